// A fake S3 on a loopback port, for unit tests only: buckets and objects in memory, ListObjectsV2
// with its own page size and opaque continuation tokens, quiet DeleteObjects. It checks every
// request's SigV4 signature the way a server does (recomputed from what arrived on the wire), and
// the Content-MD5 of DeleteObjects, so a client that signs something other than what it sends fails.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256Hex, signRequest } from '../../../src/storage/sigv4.ts';
import { decodeXmlText, escapeXmlText } from '../../../src/storage/s3-xml.ts';

export interface FakeS3Request {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface FakeS3 {
  readonly endpoint: string;
  readonly buckets: Map<string, Map<string, Buffer>>;
  readonly requests: FakeS3Request[];
  /** Keys per ListObjectsV2 page at most, whatever max-keys asks. */
  pageSize: number;
  /** Answers the next request with this instead of handling it. */
  failNext: { status: number; body: string } | undefined;
  /** Keys whose deletion DeleteObjects reports as failed. */
  readonly undeletable: Set<string>;
  close(): Promise<void>;
}

export const FAKE_CREDENTIALS = { accessKeyId: 'fake-key', secretAccessKey: 'fake-secret/+=' };
export const FAKE_REGION = 'eu-central-1';

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'FAKE-REQ' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${escapeXmlText(message)}</Message><RequestId>FAKE-${code}</RequestId></Error>`,
  );
}

function signatureMatches(req: IncomingMessage, body: Buffer): boolean {
  const auth = req.headers['authorization'] ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!match || match[1] !== FAKE_CREDENTIALS.accessKeyId || match[3] !== FAKE_REGION) return false;
  const payloadHash = String(req.headers['x-amz-content-sha256']);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256Hex(body)) return false;
  const amzDate = String(req.headers['x-amz-date']);
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const headers: Record<string, string> = {};
  for (const name of match[4]!.split(';')) {
    if (name === 'host') continue;
    if (req.headers[name] === undefined) return false;
    headers[name] = String(req.headers[name]);
  }
  const url = new URL(`http://${req.headers.host}${req.url}`);
  const again = signRequest({ method: req.method!, url, headers, payloadHash }, FAKE_CREDENTIALS, {
    region: FAKE_REGION,
    date,
  });
  return (
    again.signature === match[5] &&
    match[4] === again.headers['authorization']!.split('SignedHeaders=')[1]!.split(',')[0]
  );
}

export async function startFakeS3(): Promise<FakeS3> {
  const buckets = new Map<string, Map<string, Buffer>>();
  const requests: FakeS3Request[] = [];
  const undeletable = new Set<string>();

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    if (fake.failNext) {
      const { status, body: answer } = fake.failNext;
      fake.failNext = undefined;
      res.writeHead(status, { 'x-amz-request-id': 'FAKE-REQ' });
      res.end(answer);
      return;
    }
    if (!signatureMatches(req, body)) {
      if (req.method === 'HEAD') {
        res.writeHead(403).end();
        return;
      }
      xmlError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match.');
      return;
    }
    const url = new URL(`http://fake${req.url}`);
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    const bucket = buckets.get(bucketName);
    if (key === '') {
      if (req.method === 'PUT') {
        if (bucket) return xmlError(res, 409, 'BucketAlreadyOwnedByYou', 'You already own it.');
        buckets.set(bucketName, new Map());
        return res.writeHead(200).end();
      }
      if (!bucket) {
        if (req.method === 'HEAD') return res.writeHead(404).end();
        return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      }
      if (req.method === 'HEAD') return res.writeHead(200).end();
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? '';
        const max = Math.min(Number(url.searchParams.get('max-keys') ?? 1000), fake.pageSize);
        // The token is opaque to clients: here the base64 of the last key returned.
        const token = url.searchParams.get('continuation-token');
        const after = token === null ? '' : Buffer.from(token, 'base64').toString('utf8');
        const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
        const page = keys.slice(0, max);
        const truncated = keys.length > page.length;
        const contents = page
          .map(
            (k) =>
              `<Contents><Key>${escapeXmlText(k)}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>${bucket.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
          )
          .join('');
        const next = truncated
          ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64')}</NextContinuationToken>`
          : '';
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucketName}</Name><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${next}${contents}</ListBucketResult>`,
        );
      }
      if (req.method === 'POST' && url.searchParams.has('delete')) {
        const md5 = createHash('md5').update(body).digest('base64');
        if (req.headers['content-md5'] !== md5)
          return xmlError(res, 400, 'BadDigest', 'Content-MD5 mismatch');
        const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
          decodeXmlText(m[1]!),
        );
        if (keys.length > 1000) return xmlError(res, 400, 'MalformedXML', 'more than 1000 keys');
        const errors = keys
          .filter((k) => undeletable.has(k))
          .map(
            (k) =>
              `<Error><Key>${escapeXmlText(k)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
          )
          .join('');
        for (const k of keys) if (!undeletable.has(k)) bucket.delete(k);
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult>${errors}</DeleteResult>`);
      }
      return xmlError(res, 400, 'NotImplemented', 'not in the fake');
    }
    if (!bucket) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'PUT') {
      bucket.set(key, body);
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      return res.end();
    }
    if (req.method === 'GET') {
      const object = bucket.get(key);
      if (!object) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(object);
    }
    return xmlError(res, 400, 'NotImplemented', 'not in the fake');
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeS3 = {
    endpoint: `http://127.0.0.1:${port}`,
    buckets,
    requests,
    pageSize: 1000,
    failNext: undefined,
    undeletable,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return fake;
}
