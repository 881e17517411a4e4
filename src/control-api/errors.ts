import type { FieldIssue } from '../api/parse.ts';
import {
  FlinkBadRequestError,
  FlinkInvalidResponseError,
  FlinkNotFoundError,
  FlinkRestError,
  FlinkServerError,
  FlinkTimeoutError,
  FlinkUnavailableError,
  FlinkUnsupportedError,
} from '../flink/errors.ts';
import { kubeMessageOf, kubeStatusOf, statusCodeOf } from '../kube/errors.ts';

/**
 * The body of every failed control API request: a short machine-readable `error` (a CamelCase
 * word scripts can switch on), a `message` for people, and for invalid input the offending
 * fields in the API server's notation (`spec.savepoint.savepointTargetPath`).
 */
export interface ProblemBody {
  readonly error: string;
  readonly message: string;
  readonly fields?: readonly FieldIssue[];
}

/** A failure with its HTTP status; handlers throw it, the server writes it. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly error: string;
  readonly fields: readonly FieldIssue[] | undefined;
  /** Extra response headers (WWW-Authenticate on 401, Allow on 405). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    error: string,
    message: string,
    options: { fields?: readonly FieldIssue[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.error = error;
    this.fields = options.fields;
    this.headers = options.headers ?? {};
  }

  body(): ProblemBody {
    return {
      error: this.error,
      message: this.message,
      ...(this.fields && this.fields.length > 0 ? { fields: this.fields } : {}),
    };
  }
}

export const badRequest = (error: string, message: string, fields?: readonly FieldIssue[]) =>
  new HttpProblem(400, error, message, fields ? { fields } : {});
export const unauthorized = (message: string) =>
  new HttpProblem(401, 'Unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
export const forbidden = (message: string) => new HttpProblem(403, 'Forbidden', message);
export const notFound = (message: string, error = 'NotFound') => new HttpProblem(404, error, message);
export const conflict = (message: string, error = 'Conflict') => new HttpProblem(409, error, message);

/**
 * A Kubernetes API failure while acting for the caller. The caller was already authorized, so a
 * 401/403 here is the control API's own ServiceAccount lacking a permission: a server fault (500)
 * that says so, never a 403 that would send the caller to fix their own RBAC.
 */
export function problemFromKubernetes(err: unknown, what: string): HttpProblem {
  const code = statusCodeOf(err);
  const message = kubeMessageOf(err);
  const status = kubeStatusOf(err);
  switch (code) {
    case 404:
      return notFound(`${what} not found`);
    case 409:
      return status?.reason === 'AlreadyExists'
        ? conflict(`${what} already exists`, 'AlreadyExists')
        : conflict(`${what} was changed concurrently; try again (${message})`);
    case 400:
    case 422: {
      const fields = (status?.details?.causes ?? [])
        .filter((c) => c.message)
        .map((c) => ({ path: c.field ?? '', message: c.message ?? '' }));
      // Strict field validation names unknown fields only in the message.
      for (const m of message.matchAll(/unknown field "([^"]+)"/g)) {
        if (!fields.some((f) => f.path === m[1])) fields.push({ path: m[1] ?? '', message: 'unknown field' });
      }
      return badRequest('Invalid', message, fields);
    }
    case 401:
    case 403:
      return new HttpProblem(
        500,
        'ControlApiNotPermitted',
        `the control API's own ServiceAccount may not do this (install its RBAC rules): ${message}`,
        { cause: err },
      );
    case 429:
      return new HttpProblem(503, 'KubernetesBusy', `the Kubernetes API is throttling: ${message}`, {
        cause: err,
      });
    case undefined:
      return new HttpProblem(503, 'KubernetesUnavailable', `the Kubernetes API is unreachable: ${message}`, {
        cause: err,
      });
    default:
      return new HttpProblem(502, 'KubernetesError', `the Kubernetes API failed: ${message}`, { cause: err });
  }
}

/**
 * A Flink REST failure while proxying to a cluster's JobManager: not found stays 404, an
 * unreachable or unready JobManager is 503, a clock that fired is 504, and a JobManager that
 * answered badly is 502 (it is the upstream that failed, not this API).
 */
export function problemFromFlink(err: FlinkRestError, what: string): HttpProblem {
  if (err instanceof FlinkNotFoundError) return notFound(`${what}: Flink does not know it (${err.message})`);
  if (err instanceof FlinkUnavailableError)
    return new HttpProblem(503, 'FlinkUnavailable', `the JobManager is unavailable: ${err.message}`);
  if (err instanceof FlinkTimeoutError)
    return new HttpProblem(504, 'FlinkTimeout', `the JobManager did not answer in time: ${err.message}`);
  if (err instanceof FlinkUnsupportedError)
    return new HttpProblem(501, 'FlinkUnsupported', `this Flink version cannot answer: ${err.message}`);
  if (
    err instanceof FlinkBadRequestError ||
    err instanceof FlinkServerError ||
    err instanceof FlinkInvalidResponseError
  ) {
    return new HttpProblem(502, 'FlinkError', `the JobManager failed: ${err.message}`);
  }
  return new HttpProblem(502, 'FlinkError', `the JobManager failed: ${err.message}`);
}

/** Any error a handler let through, as the problem to answer with. */
export function toProblem(err: unknown, what = 'the resource'): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof FlinkRestError) return problemFromFlink(err, what);
  if (statusCodeOf(err) !== undefined || isNetworkError(err)) return problemFromKubernetes(err, what);
  return new HttpProblem(500, 'InternalError', 'internal error', { cause: err });
}

function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code;
  const causeCode = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return [code, causeCode].some((c) => typeof c === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(c));
}
