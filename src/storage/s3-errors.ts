// The two ways an S3 call fails: the server answered with an error (`S3Error`, which carries the
// HTTP status), or no answer arrived (`S3TransportError`, deliberately without a `status`, so a
// caller waiting for a server to come up can tell "answered, even with an error" from "not up").
// Messages name the operation, bucket and key, never credentials or headers.

export interface S3ErrorDetails {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly requestId?: string | undefined;
}

export class S3Error extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  /** What was asked, e.g. `PUT flink-state/ckpt/1`. */
  readonly operation: string;

  constructor(operation: string, details: S3ErrorDetails) {
    super(`S3 ${operation}: ${details.status} ${details.code}: ${details.message}`);
    this.name = 'S3Error';
    this.operation = operation;
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
  }
}

export class S3TransportError extends Error {
  readonly operation: string;
  readonly timedOut: boolean;

  constructor(operation: string, timedOut: boolean, cause: unknown, timeoutMs: number) {
    const reason = timedOut
      ? `no answer within ${timeoutMs} ms`
      : cause instanceof Error
        ? `${cause.message}${cause.cause instanceof Error ? ` (${cause.cause.message})` : ''}`
        : String(cause);
    super(`S3 ${operation}: ${reason}`, { cause });
    this.name = 'S3TransportError';
    this.operation = operation;
    this.timedOut = timedOut;
  }
}

/** True for the error S3 gives a bucket that does not exist (or a key, with `NoSuchKey`). */
export function isS3NotFound(err: unknown): boolean {
  return err instanceof S3Error && err.status === 404;
}
