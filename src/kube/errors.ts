import { ApiException } from '@kubernetes/client-node';

/**
 * The one place that reads Kubernetes API failures. Callers ask `isNotFound(err)` and friends,
 * never `err.code === 404`, so a change in how the client reports errors is fixed here only.
 */
export interface KubeStatus {
  readonly code: number;
  readonly reason?: string;
  readonly message?: string;
  readonly details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly status: KubeStatus | undefined;
  constructor(code: number, message: string, status: KubeStatus | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.reason = status?.reason;
    this.status = status;
  }
}

function parseStatus(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (value && typeof value === 'object' && 'code' in value) return value as KubeStatus;
  return undefined;
}

export function statusCodeOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.code;
  if (err instanceof ApiException) return err.code;
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

export function kubeStatusOf(err: unknown): KubeStatus | undefined {
  if (err instanceof KubeApiError) return err.status;
  if (err instanceof ApiException) return parseStatus(err.body);
  return undefined;
}

/** The API server's own message ("FlinkJob.flinkvisor.io \"x\" is invalid: spec.a: ..."), else the error's. */
export function kubeMessageOf(err: unknown): string {
  const status = kubeStatusOf(err);
  if (status?.message) return status.message;
  return err instanceof Error ? err.message : String(err);
}

export function toKubeApiError(err: unknown): KubeApiError | undefined {
  if (err instanceof KubeApiError) return err;
  const code = statusCodeOf(err);
  if (code === undefined) return undefined;
  return new KubeApiError(code, kubeMessageOf(err), kubeStatusOf(err), err);
}

export const isNotFound = (err: unknown): boolean => statusCodeOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusCodeOf(err) === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  statusCodeOf(err) === 409 && kubeStatusOf(err)?.reason === 'AlreadyExists';
export const isGone = (err: unknown): boolean => statusCodeOf(err) === 410;
export const isForbidden = (err: unknown): boolean => statusCodeOf(err) === 403;
export const isUnauthorized = (err: unknown): boolean => statusCodeOf(err) === 401;
export const isInvalid = (err: unknown): boolean => statusCodeOf(err) === 422;
export const isTooManyRequests = (err: unknown): boolean => statusCodeOf(err) === 429;
/** Worth retrying with backoff: conflicts, throttling, server-side and network failures. */
export const isTransient = (err: unknown): boolean => {
  const code = statusCodeOf(err);
  if (code === undefined) return true;
  return code === 409 || code === 429 || code >= 500;
};
