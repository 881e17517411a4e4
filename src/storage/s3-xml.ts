// The few fixed XML shapes S3 answers with, read by regexes: S3 writes no CDATA, no comments and no
// attributes on these elements, and a key cannot hold a raw '<', so a tag match cannot run into a key.
// Text content is entity-decoded, since keys may hold '&', '<', quotes or characters S3 escapes as
// numeric references.
import type { S3ErrorDetails } from './s3-errors.ts';

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (entity, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return NAMED_ENTITIES[body] ?? entity;
  });
}

export function escapeXmlText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\r', '&#13;');
}

/** The decoded text of the first `<tag>` in `xml`, or undefined; `<tag/>` reads as ''. */
export function xmlTag(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>|<${tag}\\s*/>`).exec(xml);
  return match ? decodeXmlText(match[1] ?? '') : undefined;
}

function xmlBlocks(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

/** The `<Error>` document of a failed call; a body that is not one yields a code named after the status. */
export function parseErrorBody(
  status: number,
  body: string,
  requestIdHeader?: string | null,
): S3ErrorDetails {
  const code = xmlTag(body, 'Code');
  const requestId = xmlTag(body, 'RequestId') ?? requestIdHeader ?? undefined;
  if (code !== undefined) {
    return { status, code, message: xmlTag(body, 'Message') ?? code, requestId };
  }
  // HEAD answers carry no body; proxies answer with HTML. Keep a short, single-line excerpt.
  const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return {
    status,
    code: statusCode(status),
    message: excerpt === '' ? `HTTP ${status}` : excerpt,
    requestId,
  };
}

function statusCode(status: number): string {
  const names: Readonly<Record<number, string>> = {
    400: 'BadRequest',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    503: 'ServiceUnavailable',
  };
  return names[status] ?? `Http${status}`;
}

export interface S3ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ListPage {
  readonly objects: S3ObjectSummary[];
  readonly isTruncated: boolean;
  readonly nextContinuationToken: string | undefined;
}

export function parseListObjectsV2(xml: string): ListPage {
  if (!xml.includes('<ListBucketResult')) throw new Error('not a ListBucketResult document');
  const objects = xmlBlocks(xml, 'Contents').map((block) => {
    const key = xmlTag(block, 'Key');
    if (key === undefined) throw new Error('a <Contents> entry without <Key>');
    return {
      key,
      size: Number(xmlTag(block, 'Size') ?? '0'),
      lastModified: new Date(xmlTag(block, 'LastModified') ?? 0),
    };
  });
  return {
    objects,
    isTruncated: xmlTag(xml, 'IsTruncated') === 'true',
    nextContinuationToken: xmlTag(xml, 'NextContinuationToken'),
  };
}

export interface DeleteFailure {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/** The per-key `<Error>` entries of a DeleteObjects answer (quiet mode lists failures only). */
export function parseDeleteResult(xml: string): DeleteFailure[] {
  return xmlBlocks(xml, 'Error').map((block) => ({
    key: xmlTag(block, 'Key') ?? '',
    code: xmlTag(block, 'Code') ?? 'Unknown',
    message: xmlTag(block, 'Message') ?? '',
  }));
}

export function deleteObjectsBody(keys: readonly string[]): string {
  const objects = keys.map((key) => `<Object><Key>${escapeXmlText(key)}</Key></Object>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${objects}</Delete>`;
}
