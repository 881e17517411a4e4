import { createHash } from 'node:crypto';
import { S3Error, S3TransportError } from './s3-errors.ts';
import type { S3ObjectSummary } from './s3-xml.ts';
import { deleteObjectsBody, parseDeleteResult, parseErrorBody, parseListObjectsV2 } from './s3-xml.ts';
import { isValidBucketName } from './s3-uri.ts';
import { EMPTY_SHA256, encodeRfc3986, encodeS3Path, sha256Hex, signRequest } from './sigv4.ts';

// A small S3 client for what Flink's state needs from the outside: make a bucket, list and read what
// Flink wrote, delete a directory. Path-style URLs (`endpoint/bucket/key`) only, which every
// S3-compatible server accepts; one request at a time, each bounded by a timeout.

export type { S3ObjectSummary } from './s3-xml.ts';

export interface S3ClientOptions {
  /** `http://127.0.0.1:7070` or `https://s3.eu-west-1.amazonaws.com`; a path, if any, is kept. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Bound on each request, answer body included. */
  readonly timeoutMs?: number;
}

/** DeleteObjects takes at most 1000 keys per request. */
export const DELETE_BATCH_SIZE = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;

interface Call {
  readonly method: 'GET' | 'PUT' | 'HEAD' | 'POST' | 'DELETE';
  readonly bucket: string;
  readonly key?: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

export class S3Client {
  readonly endpoint: string;
  readonly region: string;
  readonly #credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly #fetch: typeof fetch;
  readonly #now: () => Date;
  readonly #timeoutMs: number;

  constructor(options: S3ClientOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`S3 endpoint must be http(s)://, got ${url.protocol}`);
    }
    this.endpoint = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.region = options.region;
    this.#credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? (() => new Date());
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Creates the bucket; one that exists and is ours already counts as created. */
  async createBucket(bucket: string): Promise<void> {
    // Outside us-east-1, S3 wants the region named in the body, or it answers IllegalLocationConstraint.
    const body =
      this.region === 'us-east-1'
        ? undefined
        : Buffer.from(
            `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${this.region}</LocationConstraint></CreateBucketConfiguration>`,
          );
    try {
      await this.#send({ method: 'PUT', bucket, ...(body && { body }) });
    } catch (err) {
      if (err instanceof S3Error && err.code === 'BucketAlreadyOwnedByYou') return;
      throw err;
    }
  }

  /** True when the bucket exists and we may use it, false when it does not exist. */
  async headBucket(bucket: string): Promise<boolean> {
    try {
      await this.#send({ method: 'HEAD', bucket });
      return true;
    } catch (err) {
      if (err instanceof S3Error && err.status === 404) return false;
      throw err;
    }
  }

  async putObject(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    options: { readonly contentType?: string } = {},
  ): Promise<{ readonly etag: string | undefined }> {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const response = await this.#send({
      method: 'PUT',
      bucket,
      key,
      body: bytes,
      headers: { 'content-type': options.contentType ?? 'application/octet-stream' },
    });
    return { etag: response.headers.get('etag') ?? undefined };
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    const response = await this.#send({ method: 'GET', bucket, key });
    return response.body;
  }

  /** Every object under `prefix` (a plain key prefix: pass `dir/` for a directory), in key order. */
  async listObjects(
    bucket: string,
    prefix = '',
    options: { readonly pageSize?: number } = {},
  ): Promise<S3ObjectSummary[]> {
    const objects: S3ObjectSummary[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (;;) {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (options.pageSize !== undefined) query['max-keys'] = String(options.pageSize);
      if (token !== undefined) query['continuation-token'] = token;
      const response = await this.#send({ method: 'GET', bucket, query });
      const page = parseListObjectsV2(response.body.toString('utf8'));
      objects.push(...page.objects);
      if (!page.isTruncated) return objects;
      // A truncated page without a new token would make this loop forever: stop and say so.
      if (page.nextContinuationToken === undefined || page.nextContinuationToken === '') {
        throw new Error(`S3 list ${bucket}/${prefix}: truncated page without NextContinuationToken`);
      }
      if (seen.has(page.nextContinuationToken)) {
        throw new Error(`S3 list ${bucket}/${prefix}: the server repeated a continuation token`);
      }
      seen.add(page.nextContinuationToken);
      token = page.nextContinuationToken;
    }
  }

  /**
   * Deletes every object under `prefix` with DeleteObjects, 1000 keys a request, and returns how many.
   * An empty prefix (the whole bucket) is refused: it is never what a directory cleanup means.
   */
  async deletePrefix(bucket: string, prefix: string): Promise<number> {
    if (prefix === '') throw new Error(`S3 delete ${bucket}: refusing to delete with an empty prefix`);
    const keys = (await this.listObjects(bucket, prefix)).map((o) => o.key);
    await this.deleteObjects(bucket, keys, prefix);
    return keys.length;
  }

  /**
   * Deletes these keys with DeleteObjects, 1000 a request; a key that is already gone counts as
   * deleted (S3 answers success for it). `what` names them in an error (a prefix, say).
   */
  async deleteObjects(bucket: string, keys: readonly string[], what = ''): Promise<void> {
    for (let start = 0; start < keys.length; start += DELETE_BATCH_SIZE) {
      const batch = keys.slice(start, start + DELETE_BATCH_SIZE);
      const body = Buffer.from(deleteObjectsBody(batch));
      const response = await this.#send({
        method: 'POST',
        bucket,
        query: { delete: '' },
        body,
        headers: {
          'content-type': 'application/xml',
          // DeleteObjects requires an integrity header; Content-MD5 is the one every server knows.
          'content-md5': createHash('md5').update(body).digest('base64'),
        },
      });
      const failures = parseDeleteResult(response.body.toString('utf8'));
      if (failures.length > 0) {
        const first = failures[0]!;
        throw new S3Error(`DeleteObjects ${bucket}/${what}`, {
          status: response.status,
          code: first.code,
          message: `${failures.length} of ${batch.length} keys not deleted, first ${JSON.stringify(first.key)}: ${first.message}`,
          requestId: response.headers.get('x-amz-request-id') ?? undefined,
        });
      }
    }
  }

  async #send(call: Call): Promise<{ status: number; headers: Headers; body: Buffer }> {
    if (!isValidBucketName(call.bucket))
      throw new Error(`not a valid S3 bucket name: ${JSON.stringify(call.bucket)}`);
    const operation = `${call.method} ${call.bucket}${call.key === undefined ? '' : `/${call.key}`}`;
    if (call.key !== undefined) assertKey(call.key);
    const query = Object.entries(call.query ?? {})
      .map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)
      .join('&');
    const path = `/${call.bucket}${call.key === undefined ? '' : `/${encodeS3Path(call.key)}`}`;
    const url = new URL(`${this.endpoint}${path}${query === '' ? '' : `?${query}`}`);
    const body = call.body;
    const signed = signRequest(
      {
        method: call.method,
        url,
        headers: call.headers ?? {},
        payloadHash: body === undefined ? EMPTY_SHA256 : sha256Hex(body),
      },
      this.#credentials,
      { region: this.region, date: this.#now() },
    );
    let response: Response;
    let bytes: Buffer;
    try {
      response = await this.#fetch(url, {
        method: call.method,
        headers: signed.headers,
        ...(body !== undefined && { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new S3TransportError(operation, timedOut, err, this.#timeoutMs);
    }
    if (response.status >= 300) {
      const details = parseErrorBody(
        response.status,
        bytes.toString('utf8'),
        response.headers.get('x-amz-request-id'),
      );
      throw new S3Error(operation, details);
    }
    return { status: response.status, headers: response.headers, body: bytes };
  }
}

/**
 * Keys whose segments are '.' or '..' would be rewritten by URL parsing (even percent-encoded), and
 * the request would then address another object: refuse them instead.
 */
function assertKey(key: string): void {
  if (key === '') throw new Error('an S3 object key may not be empty');
  if (key.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(
      `S3 key ${JSON.stringify(key)} has a '.' or '..' segment, which path-style URLs cannot carry`,
    );
  }
}
