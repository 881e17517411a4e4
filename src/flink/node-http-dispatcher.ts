import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import type { FlinkDispatcherOptions } from './dispatcher.ts';
import type { FlinkDispatcher, FlinkDispatchRequest, FlinkDispatchResponse } from './http-transport.ts';

/**
 * A Flink REST dispatcher on Node's own HTTP client, for processes without WebAssembly.
 *
 * undici parses HTTP/1 with llhttp compiled to WebAssembly, and V8's lite mode (which the supervisor
 * runs in, for memory) implies `--jitless`, which removes WebAssembly: every undici request over
 * HTTP/1 then fails before it is sent (`ERR_WEBASSEMBLY_NOT_SUPPORTED`), and Flink's REST endpoint
 * speaks nothing else. Node's `http` parses with llhttp compiled into Node. (Kubernetes' API server
 * is reached over TLS with HTTP/2, which undici hands to Node's own nghttp2: it works either way.)
 *
 * The same contract as createFlinkDispatcher's undici pool: a few keep-alive connections per
 * endpoint, idle ones closed after `keepAliveTimeoutMs`, a connect clock (TCP and TLS), the headers
 * and between-chunks clocks the transport asks for, cancellation by the request's signal. Failures
 * carry the codes errorFromTransport reads (the socket's own, or undici's for the three clocks), so
 * both dispatchers fail the same way.
 */
export class NodeHttpDispatcher implements FlinkDispatcher {
  readonly #secure: boolean;
  readonly #agent: HttpAgent;
  readonly #connectTimeoutMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(baseUrl: string, options: FlinkDispatcherOptions & { connectTimeoutMs: number }) {
    this.#secure = new URL(baseUrl).protocol === 'https:';
    const agent = {
      keepAlive: true,
      maxSockets: options.connections ?? 4,
      // The socket timeout, which Node's agent acts on only for idle (free) connections: it closes them.
      timeout: options.keepAliveTimeoutMs ?? 30_000,
    };
    this.#agent = this.#secure ? new HttpsAgent({ ...agent, ...options.tls }) : new HttpAgent(agent);
    this.#connectTimeoutMs = options.connectTimeoutMs;
  }

  request(o: FlinkDispatchRequest): Promise<FlinkDispatchResponse> {
    if (this.#closed) return Promise.reject(coded('UND_ERR_CLOSED', 'the dispatcher is closed'));
    if (o.signal.aborted) return Promise.reject(o.signal.reason as Error);
    const origin = new URL(o.origin);
    const req = (this.#secure ? httpsRequest : httpRequest)({
      protocol: origin.protocol,
      // An IPv6 literal's brackets belong to the URL, not to the address.
      hostname: origin.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: origin.port,
      path: o.path,
      method: o.method,
      headers: o.headers,
      agent: this.#agent,
    });
    const exchange = new Exchange(req, o, this.#connectTimeoutMs, this.#secure);
    const settled = exchange.closed.finally(() => this.#inFlight.delete(settled));
    this.#inFlight.add(settled);
    return exchange.response;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    this.#agent.destroy();
  }
}

/** One request and its answer: the clocks, the signal, and the body handed to the transport. */
class Exchange {
  readonly response: Promise<FlinkDispatchResponse>;
  /** Settles when the request is done with its connection, answered or failed. */
  readonly closed: Promise<void>;
  readonly #req: ClientRequest;
  #res: IncomingMessage | undefined;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(req: ClientRequest, o: FlinkDispatchRequest, connectTimeoutMs: number, secure: boolean) {
    this.#req = req;
    const onAbort = () => this.#fail(o.signal.reason as Error);
    o.signal.addEventListener('abort', onAbort, { once: true });
    this.closed = new Promise((resolve) =>
      req.once('close', () => {
        for (const t of this.#timers) clearTimeout(t);
        o.signal.removeEventListener('abort', onAbort);
        resolve();
      }),
    );
    this.response = new Promise((resolve, reject) => {
      req.on('error', reject);
      req.once('socket', (socket) => {
        // A kept-alive connection is connected already; a new one has the connect clock.
        if (!socket.connecting) return;
        const timer = this.#after(connectTimeoutMs, 'UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error');
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      });
      // The headers clock runs from the request's last byte written.
      req.once('finish', () => {
        if (!this.#res) this.#after(o.headersTimeout, 'UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error');
      });
      req.once('response', (res) => {
        this.#res = res;
        // Its reader sees a failure of the body (the async iterator): not an unhandled 'error'.
        res.on('error', () => undefined);
        for (const t of this.#timers.splice(0)) clearTimeout(t);
        // Socket inactivity while the body comes; Node drops this clock when the connection is
        // released to the agent.
        if (o.bodyTimeout > 0)
          req.setTimeout(o.bodyTimeout, () =>
            this.#fail(coded('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error')),
          );
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: bodyOf(res) });
      });
    });
    // After the answer came, a failure is the body's (its reader sees it): none goes unhandled.
    this.response.catch(() => undefined);
    if (o.body === null) req.end();
    else if (typeof o.body === 'string') req.end(o.body);
    else pipeline(o.body, req, () => undefined);
  }

  /** A clock of the exchange (none for 0): when it runs out, the exchange fails with `code`. */
  #after(ms: number, code: string, message: string): NodeJS.Timeout | undefined {
    if (ms <= 0) return undefined;
    const timer = setTimeout(() => this.#fail(coded(code, message)), ms);
    this.#timers.push(timer);
    return timer;
  }

  /** Ends the exchange with `err`: the response's reader sees it, or the request's caller. */
  #fail(err: Error): void {
    if (this.#res) this.#res.destroy(err);
    else this.#req.destroy(err);
  }
}

function bodyOf(res: IncomingMessage): FlinkDispatchResponse['body'] {
  return {
    [Symbol.asyncIterator]: () => res[Symbol.asyncIterator](),
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    destroy: () => res.destroy(),
  };
}

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
