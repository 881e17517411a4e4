import { Readable } from 'node:stream';
import {
  errorFromResponse,
  errorFromTransport,
  FlinkInvalidResponseError,
  FlinkRestError,
  FlinkTimeoutError,
  isFlinkRequestNotSent,
  isRetryableFlinkError,
  type FlinkErrorKind,
  type FlinkRequestContext,
} from './errors.ts';
import type { MultipartBody } from './jar-upload.ts';
import { exponentialBackoff, realSleep, type RetryPolicy, type Sleep } from './retry-policy.ts';

/**
 * One HTTP exchange with Flink's REST endpoint on an injected dispatcher (FlinkDispatcher): per-attempt clocks
 * (headers, between body chunks, whole attempt), cancellation, a cap on the answer's size, typed
 * errors, and retries only where a repeat cannot do anything twice:
 * - GET: retried on `unavailable` and `timeout` failures, up to the policy's bound, with jitter;
 * - any other method: retried only when the request provably never left (refused, connect timeout).
 * Writes that may have reached Flink are left to the caller, who repeats them with the same job id or
 * trigger id (ADR 0004).
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface FlinkTimeouts {
  /** Enforced by the dispatcher (see createFlinkDispatcher); here only to name it in errors. */
  readonly connectMs?: number | undefined;
  /** From the request's last byte written to the response's complete headers. */
  readonly headersMs: number;
  /** Between two chunks of the response body. */
  readonly bodyMs: number;
  /** One whole attempt, connect to last body byte (retries get a fresh one each). */
  readonly requestMs: number;
}

export const DEFAULT_TIMEOUTS: FlinkTimeouts = { headersMs: 30_000, bodyMs: 30_000, requestMs: 60_000 };

/**
 * What the transport asks of an HTTP client: undici's dispatchers (`Pool`, `Agent`, `MockAgent`)
 * have it, and so has Node's own client where undici cannot run (node-http-dispatcher.ts).
 */
export interface FlinkDispatcher {
  request(options: FlinkDispatchRequest): Promise<FlinkDispatchResponse>;
  /** Lets the requests in flight finish, then closes every connection. */
  close(): Promise<void>;
}

export interface FlinkDispatchRequest {
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly method: HttpMethod;
  readonly headers: Record<string, string>;
  readonly body: string | Readable | null;
  readonly signal: AbortSignal;
  /** From the request sent to the response's complete headers (0: none). */
  readonly headersTimeout: number;
  /** Between two chunks of the response body (0: none). */
  readonly bodyTimeout: number;
}

export interface FlinkDispatchResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: AsyncIterable<unknown> & { text(): Promise<string>; destroy(): unknown };
}

export type FlinkRequestOutcome = 'ok' | 'aborted' | 'error' | FlinkErrorKind;

/** One attempt, for metrics (`route` is a template, so its values are bounded). */
export interface FlinkRequestEvent {
  readonly method: HttpMethod;
  readonly route: string;
  readonly attempt: number;
  readonly status: number | undefined;
  readonly outcome: FlinkRequestOutcome;
  readonly durationMs: number;
}

export interface FlinkTransportOptions {
  /** e.g. `http://127.0.0.2:8081`, or a prefix such as `https://host/flink/` behind a gateway. */
  readonly baseUrl: string;
  readonly dispatcher: FlinkDispatcher;
  readonly timeouts?: Partial<FlinkTimeouts>;
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  /** A monotonic clock in ms, for event durations. */
  readonly now?: () => number;
  /** Answers larger than this fail as invalid instead of filling memory. */
  readonly maxResponseBytes?: number;
  readonly userAgent?: string;
  readonly onRequest?: (event: FlinkRequestEvent) => void;
}

export interface FlinkTransportRequest {
  readonly method: HttpMethod;
  readonly route: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly json?: unknown;
  readonly multipart?: MultipartBody;
  readonly signal?: AbortSignal | undefined;
  /** Overrides the whole-attempt clock (uploads get a longer one). */
  readonly requestTimeoutMs?: number | undefined;
}

export interface FlinkTransportResponse {
  readonly status: number;
  /** The parsed JSON answer, or undefined for an empty body. */
  readonly body: unknown;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

function queryString(query: FlinkTransportRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export class FlinkHttpTransport {
  readonly origin: string;
  readonly #prefix: string;
  readonly #dispatcher: FlinkDispatcher;
  readonly #timeouts: FlinkTimeouts;
  readonly #retry: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #now: () => number;
  readonly #maxBytes: number;
  readonly #userAgent: string;
  readonly #onRequest: ((event: FlinkRequestEvent) => void) | undefined;

  constructor(options: FlinkTransportOptions) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`Flink REST base URL must be http(s), got ${url.protocol}`);
    }
    this.origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.#dispatcher = options.dispatcher;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#retry = options.retry ?? exponentialBackoff();
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? (() => performance.now());
    this.#maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#userAgent = options.userAgent ?? 'flinkvisor';
    this.#onRequest = options.onRequest;
  }

  get timeouts(): FlinkTimeouts {
    return this.#timeouts;
  }

  async send(req: FlinkTransportRequest): Promise<FlinkTransportResponse> {
    const context: FlinkRequestContext = { method: req.method, route: req.route, path: req.path };
    const readOnly = req.method === 'GET';
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(req, context, attempt);
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        const again =
          attempt < this.#retry.maxAttempts &&
          isRetryableFlinkError(err) &&
          (readOnly || isFlinkRequestNotSent(err));
        if (!again) throw err;
        const hint = (err as { retryAfterMs?: number }).retryAfterMs;
        try {
          await this.#sleep(this.#retry.delayMs(attempt, hint), req.signal);
        } catch (sleepErr) {
          throw req.signal?.aborted ? req.signal.reason : sleepErr;
        }
      }
    }
  }

  async #attempt(
    req: FlinkTransportRequest,
    context: FlinkRequestContext,
    attempt: number,
  ): Promise<FlinkTransportResponse> {
    req.signal?.throwIfAborted();
    const started = this.#now();
    const requestMs = req.requestTimeoutMs ?? this.#timeouts.requestMs;
    const deadline = AbortSignal.timeout(requestMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    let status: number | undefined;
    const report = (outcome: FlinkRequestOutcome) => {
      if (!this.#onRequest) return;
      try {
        this.#onRequest({
          method: req.method,
          route: req.route,
          attempt,
          status,
          outcome,
          durationMs: this.#now() - started,
        });
      } catch {
        // An observer's failure must not fail the call.
      }
    };
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#userAgent };
    let body: string | Readable | null = null;
    if (req.multipart) {
      headers['content-type'] = req.multipart.contentType;
      headers['content-length'] = String(req.multipart.contentLength);
      body = Readable.from(req.multipart.open(), { objectMode: false });
    } else if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    try {
      const res = await this.#dispatcher.request({
        origin: this.origin,
        path: `${this.#prefix}${req.path}${queryString(req.query)}`,
        method: req.method,
        headers,
        body,
        signal,
        headersTimeout: this.#timeouts.headersMs,
        bodyTimeout: this.#timeouts.bodyMs,
      });
      status = res.statusCode;
      const text = await this.#readText(res, context, status);
      if (status < 200 || status >= 300) {
        const retryAfter = res.headers['retry-after'];
        throw errorFromResponse(context, status, text, {
          retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        });
      }
      const parsed = this.#parse(text, context, status);
      report('ok');
      return { status, body: parsed };
    } catch (err) {
      if (req.signal?.aborted) {
        report('aborted');
        throw req.signal.reason;
      }
      let mapped: unknown;
      if (deadline.aborted && !(err instanceof FlinkRestError)) {
        mapped = new FlinkTimeoutError('request', requestMs, { context, cause: err });
      } else {
        mapped = errorFromTransport(context, err, this.#timeouts) ?? err;
      }
      report(mapped instanceof FlinkRestError ? mapped.kind : 'error');
      throw mapped;
    }
  }

  async #readText(res: FlinkDispatchResponse, context: FlinkRequestContext, status: number): Promise<string> {
    const tooLarge = () =>
      new FlinkInvalidResponseError(`answer is larger than ${this.#maxBytes} bytes`, { context, status });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared)) {
      // Flink always declares the length: check it up front and let undici collect the body.
      if (declared > this.#maxBytes) {
        res.body.destroy();
        throw tooLarge();
      }
      return res.body.text();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > this.#maxBytes) {
        res.body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }

  #parse(text: string, context: FlinkRequestContext, status: number): unknown {
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      // No cause: JSON.parse's message quotes the body.
      throw new FlinkInvalidResponseError(`answer is not JSON (${text.length} characters)`, {
        context,
        status,
      });
    }
  }
}
