import { excerptFlinkErrors, excerptText, parseFlinkErrorBody } from './error-excerpt.ts';

/**
 * The one place that reads Flink REST failures (as src/kube/errors.ts is for Kubernetes). Callers ask
 * `isFlinkNotFound(err)` and friends or test `instanceof`, never a status code, so how Flink reports a
 * condition (a 404, or a 500 naming `UnknownTaskExecutorException`) is decided here only.
 *
 * Messages carry the method, the route and excerpts of Flink's error list, never a whole body.
 */

export type FlinkErrorKind =
  | 'not-found'
  | 'conflict'
  | 'job-already-submitted'
  | 'bad-request'
  | 'unavailable'
  | 'timeout'
  | 'server-error'
  | 'invalid-response'
  | 'unsupported'
  | 'invalid-argument';

/** Where a request failed: for timeouts, which of the client's clocks fired. */
export type FlinkTimeoutPhase = 'connect' | 'headers' | 'body' | 'request';

export interface FlinkRequestContext {
  readonly method: string;
  /** The route template, e.g. `/jobs/:jobid/savepoints` (bounded, fit for metric labels). */
  readonly route: string;
  /** The concrete path without the query string, e.g. `/jobs/0123…/savepoints`. */
  readonly path: string;
}

export interface FlinkRestErrorOptions {
  readonly context?: FlinkRequestContext | undefined;
  readonly status?: number | undefined;
  readonly errors?: readonly string[] | undefined;
  /**
   * True when Flink may have acted on the request although no answer arrived (the connection broke
   * or a clock fired after the request was sent). A write that fails this way must be repeated only
   * with the same job id or trigger id, which makes the repeat harmless.
   */
  readonly outcomeUnknown?: boolean | undefined;
  /** False when the failure came before any byte of the request left (refused, connect timeout). */
  readonly sent?: boolean | undefined;
  readonly cause?: unknown;
}

export class FlinkRestError extends Error {
  readonly kind: FlinkErrorKind;
  readonly method: string | undefined;
  readonly route: string | undefined;
  readonly path: string | undefined;
  readonly status: number | undefined;
  /** Excerpts of Flink's `errors` list (exception lines, no stack frames, clipped). */
  readonly errors: readonly string[];
  readonly outcomeUnknown: boolean;
  readonly sent: boolean;

  constructor(kind: FlinkErrorKind, summary: string, options: FlinkRestErrorOptions = {}) {
    const ctx = options.context;
    const where = ctx ? `${ctx.method} ${ctx.path}: ` : '';
    const status = options.status === undefined ? '' : `${options.status} `;
    const detail = options.errors?.length ? `: ${options.errors.join(' / ')}` : '';
    super(
      `${where}${status}${summary}${detail}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = new.target.name;
    this.kind = kind;
    this.method = ctx?.method;
    this.route = ctx?.route;
    this.path = ctx?.path;
    this.status = options.status;
    this.errors = options.errors ?? [];
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.sent = options.sent ?? true;
  }
}

/** The job, jar, TaskManager or asynchronous operation (trigger id) does not exist (any more). */
export class FlinkNotFoundError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super('not-found', summary, options);
  }
}

/** The request conflicts with the current state, e.g. cancelling a job that already finished (409). */
export class FlinkConflictError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}, kind: FlinkErrorKind = 'conflict') {
    super(kind, summary, options);
  }
}

/**
 * A job (1.x: `DuplicateJobSubmissionException`) or application (2.3: `DuplicateApplicationSubmissionException`)
 * with this id was already submitted to this cluster, running or terminated. `runJar` turns this into
 * the outcome `already-submitted`; it reaches callers only from lower layers.
 */
export class FlinkJobAlreadySubmittedError extends FlinkConflictError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super(summary, options, 'job-already-submitted');
  }
}

/** Flink rejected the request (400); `errors` holds excerpts of Flink's error list. */
export class FlinkBadRequestError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super('bad-request', summary, options);
  }
}

/** Flink could not be reached or is not serving (refused, reset, 502/503/504): worth retrying. */
export class FlinkUnavailableError extends FlinkRestError {
  /** From a `Retry-After` header, when the server sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(summary: string, options: FlinkRestErrorOptions & { retryAfterMs?: number | undefined } = {}) {
    super('unavailable', summary, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** One of the client's clocks fired: connecting, waiting for headers, between body chunks, or overall. */
export class FlinkTimeoutError extends FlinkRestError {
  readonly phase: FlinkTimeoutPhase;
  readonly timeoutMs: number | undefined;
  constructor(
    phase: FlinkTimeoutPhase,
    timeoutMs: number | undefined,
    options: Omit<FlinkRestErrorOptions, 'outcomeUnknown' | 'sent'> = {},
  ) {
    const after = timeoutMs === undefined ? '' : ` after ${timeoutMs}ms`;
    super('timeout', `timed out ${phaseText(phase)}${after}`, {
      ...options,
      // Nothing was sent before the connection existed; after that Flink may have acted.
      outcomeUnknown: phase !== 'connect',
      sent: phase !== 'connect',
    });
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

function phaseText(phase: FlinkTimeoutPhase): string {
  switch (phase) {
    case 'connect':
      return 'connecting';
    case 'headers':
      return 'waiting for the response headers';
    case 'body':
      return 'waiting for the response body';
    case 'request':
      return 'waiting for the whole request';
  }
}

/** Flink failed to serve the request (500 and other statuses not mapped above). */
export class FlinkServerError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super('server-error', summary, options);
  }
}

/** The answer was not what this Flink call returns (not JSON, wrong shape, too large). */
export class FlinkInvalidResponseError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super('invalid-response', summary, options);
  }
}

/** The connected Flink version lacks this call or field (e.g. resource requirements before 1.18). */
export class FlinkUnsupportedError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super('unsupported', summary, options);
  }
}

/** The caller's input is invalid (a malformed job id, a negative parallelism); nothing was sent. */
export class FlinkInvalidArgumentError extends FlinkRestError {
  constructor(summary: string, options: FlinkRestErrorOptions = {}) {
    super('invalid-argument', summary, options);
  }
}

// Flink names some "not found" conditions only in the message, under 400 or 500.
const NOT_FOUND_PATTERNS = [
  /FlinkJobNotFoundException/,
  /UnknownTaskExecutorException/,
  /There is no .{0,60}operation with triggerId/,
  /Jar file \S+ does not exist/,
  /File \S+\.jar does not exist in/,
];
const DUPLICATE_SUBMISSION = /Duplicate(Job|Application)SubmissionException/;
// The job's own program failed to build or submit (no such entry class, its main threw): the
// request is wrong, whatever status Flink chose (it answers 400 or 500 for these).
const PROGRAM_REJECTED = /ProgramInvocationException/;
const NOT_READY = /UnavailableDispatcherOperationException/;
// A submission under the id of a job that just ended can race Flink's clean-up of that job's
// blobs: the upload's move into blobStorage/job_<id> fails with NoSuchFileException. Nothing was
// submitted; the same request a moment later gets Flink's real answer (mostly "already submitted").
const BLOB_CLEANUP_RACE = /NoSuchFileException[^\n]*blobStorage/;

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The typed error for a non-2xx answer. `bodyText` is read here and never kept whole. */
export function errorFromResponse(
  context: FlinkRequestContext,
  status: number,
  bodyText: string,
  headers: { readonly retryAfter?: string | undefined } = {},
): FlinkRestError {
  const raw = parseFlinkErrorBody(bodyText);
  const errors = raw ? excerptFlinkErrors(raw) : bodyText.trim() ? [excerptText(bodyText)] : [];
  const all = raw?.join('\n') ?? '';
  const options = { context, status, errors };
  if (DUPLICATE_SUBMISSION.test(all)) {
    return new FlinkJobAlreadySubmittedError('a job with this id was already submitted', options);
  }
  if (status === 404 || NOT_FOUND_PATTERNS.some((p) => p.test(all))) {
    return new FlinkNotFoundError('not found', options);
  }
  if (NOT_READY.test(all)) {
    // Flink answers 500 while the job's JobMaster is still starting: come back later.
    return new FlinkUnavailableError('not ready yet', { ...options, outcomeUnknown: false });
  }
  if (BLOB_CLEANUP_RACE.test(all) || BLOB_CLEANUP_RACE.test(bodyText)) {
    return new FlinkUnavailableError('the submission raced the clean-up of an ended job', {
      ...options,
      outcomeUnknown: false,
    });
  }
  if (status === 409) return new FlinkConflictError('conflict', options);
  if (status === 400 || (status === 500 && PROGRAM_REJECTED.test(all))) {
    return new FlinkBadRequestError('bad request', options);
  }
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    return new FlinkUnavailableError('unavailable', {
      ...options,
      // A 503 from Flink means it did not take the request (no leader, shutting down); a gateway's
      // 502/504 says nothing about whether Flink acted.
      outcomeUnknown: status === 502 || status === 504,
      retryAfterMs: parseRetryAfter(headers.retryAfter),
    });
  }
  return new FlinkServerError('server error', options);
}

const REFUSED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);
const BROKEN = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'HPE_INVALID_CONSTANT',
]);

/**
 * The typed error for a failure below HTTP (undici and socket errors), or undefined when `err` is
 * not one (a programming error is passed on as it is).
 */
export function errorFromTransport(
  context: FlinkRequestContext,
  err: unknown,
  timeouts: {
    readonly connectMs?: number | undefined;
    readonly headersMs?: number;
    readonly bodyMs?: number;
  } = {},
): FlinkRestError | undefined {
  if (err instanceof FlinkRestError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const base = { context, cause: err };
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new FlinkTimeoutError('connect', timeouts.connectMs, base);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new FlinkTimeoutError('headers', timeouts.headersMs, base);
    case 'UND_ERR_BODY_TIMEOUT':
      return new FlinkTimeoutError('body', timeouts.bodyMs, base);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (REFUSED.has(code)) {
    return new FlinkUnavailableError(`cannot connect (${code})`, {
      ...base,
      outcomeUnknown: false,
      sent: false,
    });
  }
  if (BROKEN.has(code)) {
    return new FlinkUnavailableError(`connection failed (${code}: ${excerptText(message, 120)})`, {
      ...base,
      outcomeUnknown: true,
    });
  }
  return undefined;
}

export const isFlinkRestError = (err: unknown): err is FlinkRestError => err instanceof FlinkRestError;
export const isFlinkNotFound = (err: unknown): boolean => err instanceof FlinkNotFoundError;
export const isFlinkConflict = (err: unknown): boolean => err instanceof FlinkConflictError;
export const isFlinkJobAlreadySubmitted = (err: unknown): boolean =>
  err instanceof FlinkJobAlreadySubmittedError;
export const isFlinkBadRequest = (err: unknown): boolean => err instanceof FlinkBadRequestError;
export const isFlinkUnavailable = (err: unknown): boolean => err instanceof FlinkUnavailableError;
export const isFlinkTimeout = (err: unknown): boolean => err instanceof FlinkTimeoutError;
/** Worth trying again later: Flink was unreachable, not serving, or too slow. */
export const isRetryableFlinkError = (err: unknown): boolean =>
  err instanceof FlinkUnavailableError || err instanceof FlinkTimeoutError;
/** Failed before any byte of the request left (refused, connect timeout): even a write can be sent again. */
export const isFlinkRequestNotSent = (err: unknown): boolean => err instanceof FlinkRestError && !err.sent;
