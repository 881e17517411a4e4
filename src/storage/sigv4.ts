import { createHash, createHmac } from 'node:crypto';

// AWS Signature Version 4 for S3 requests sent with an Authorization header. The signer reads the
// URL as the transport will send it, so the client must build its URLs with the same encoding
// (`encodeS3Path`, `encodeRfc3986`): then what is signed is what goes on the wire.

/** The payload hash S3 accepts instead of a body's SHA-256 (the body is then not covered). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SHA-256 of the empty body, hex. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SigV4Request {
  readonly method: string;
  readonly url: URL;
  /** Headers to send and sign (names in any case); `host` is taken from the URL. */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or `UNSIGNED_PAYLOAD`. */
  readonly payloadHash: string;
}

export interface SigV4Scope {
  readonly region: string;
  readonly service?: string;
  readonly date: Date;
}

export interface SigV4Signature {
  /** The request's headers plus `x-amz-date`, `x-amz-content-sha256` and `authorization`, without `host`. */
  readonly headers: Record<string, string>;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 percent-encoding: every byte but A-Z a-z 0-9 - . _ ~ (encodeURIComponent leaves !'()*). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** An S3 path: each segment encoded once, the slashes kept (S3 does not normalize its paths). */
export function encodeS3Path(path: string): string {
  return path.split('/').map(encodeRfc3986).join('/');
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A stray '%' that is no escape stands for itself.
    return value;
  }
}

/** The canonical URI of a URL's path: decoded once, then encoded per `encodeS3Path`. */
export function canonicalUri(pathname: string): string {
  if (pathname === '') return '/';
  return pathname
    .split('/')
    .map((segment) => encodeRfc3986(decodeComponent(segment)))
    .join('/');
}

/** The canonical query: each name and value RFC 3986-encoded, sorted by name then value; `?delete` is `delete=`. */
export function canonicalQuery(search: string): string {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw === '') return '';
  const pairs = raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      // Servers read '+' in a query as a space, so the signature must too.
      const decode = (s: string) => encodeRfc3986(decodeComponent(s.replaceAll('+', ' ')));
      return [decode(name), decode(value)] as const;
    });
  pairs.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Signs a request; the secret goes into the HMAC chain only, never into any returned string. */
export function signRequest(
  request: SigV4Request,
  credentials: SigV4Credentials,
  scope: SigV4Scope,
): SigV4Signature {
  const service = scope.service ?? 's3';
  const timestamp = amzDate(scope.date);
  const day = timestamp.slice(0, 8);
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'authorization') continue;
    if (lower in sent) throw new Error(`header ${lower} given twice`);
    sent[lower] = value;
  }
  sent['x-amz-date'] = timestamp;
  sent['x-amz-content-sha256'] = request.payloadHash;

  const signed: Record<string, string> = { ...sent, host: request.url.host };
  const names = Object.keys(signed).sort();
  // Values are trimmed and inner runs of spaces folded to one, as the servers do before comparing.
  const canonicalHeaders = names.map((n) => `${n}:${signed[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQuery(request.url.search),
    canonicalHeaders,
    signedHeaders,
    request.payloadHash,
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', timestamp, credentialScope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), scope.region), service),
    'aws4_request',
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  const authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope},` +
    `SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers: { ...sent, authorization }, canonicalRequest, stringToSign, signature };
}
