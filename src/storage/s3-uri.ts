// Flink names its state by URI (`s3://bucket/checkpoints/ns/cluster`, or `s3a://` / `s3p://` for the
// Hadoop and Presto file systems): this turns one into the bucket and key prefix the S3 API speaks.

export interface S3Location {
  readonly scheme: 's3' | 's3a' | 's3p';
  readonly bucket: string;
  /**
   * The key prefix of the directory: '' for the whole bucket, else ending in '/', so that
   * `s3://b/ckpt/a` lists and deletes `ckpt/a/…` and never `ckpt/ab/…`.
   */
  readonly prefix: string;
}

export class S3UriError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'S3UriError';
  }
}

const SCHEMES = ['s3', 's3a', 's3p'] as const;

/** S3's rule for bucket names that path-style requests can carry: 3 to 63 of a-z 0-9 . - */
export function isValidBucketName(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes('..');
}

/** The URI as an error may show it: credentials written into it are replaced. */
function shown(uri: string): string {
  return JSON.stringify(uri.replace(/^([a-zA-Z0-9]+:\/\/)[^/@]*@/, '$1***@'));
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^([a-zA-Z0-9]+):\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!match) throw new S3UriError(`not an S3 URI: ${shown(uri)}; expected s3://bucket/prefix`);
  const scheme = match[1]!.toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new S3UriError(`${shown(uri)} is not an S3 URI: the scheme must be s3, s3a or s3p, not ${scheme}`);
  }
  const authority = match[2]!;
  if (authority.includes('@')) {
    throw new S3UriError(
      `${shown(uri)}: credentials in the URI are not supported; configure them separately`,
    );
  }
  if (authority === '') throw new S3UriError(`${shown(uri)} names no bucket`);
  if (!isValidBucketName(authority)) {
    throw new S3UriError(
      `${shown(uri)}: bucket ${JSON.stringify(authority)} is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-')`,
    );
  }
  const path = match[3] ?? '';
  if (/[?#]/.test(path))
    throw new S3UriError(`${shown(uri)}: a query or fragment has no meaning in an S3 path`);
  // Flink's paths drop empty segments (`a//b` is `a/b`); '.' and '..' would mean different keys to
  // S3 than to a file system, so they are refused rather than guessed at.
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) {
    throw new S3UriError(`${shown(uri)}: '.' and '..' segments are not allowed in an S3 path`);
  }
  return {
    scheme: scheme as S3Location['scheme'],
    bucket: authority,
    prefix: segments.length === 0 ? '' : `${segments.join('/')}/`,
  };
}
