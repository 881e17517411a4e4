import { describe, expect, it } from 'vitest';
import {
  decodeXmlText,
  deleteObjectsBody,
  escapeXmlText,
  parseDeleteResult,
  parseErrorBody,
  parseListObjectsV2,
} from '../../../src/storage/s3-xml.ts';

describe('parseErrorBody', () => {
  it('reads code, message and request id of an S3 <Error> document', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
      '<Message>The request signature we calculated does not match &amp; so on.</Message>' +
      '<StringToSign>AWS4-HMAC-SHA256…</StringToSign><RequestId>4442587FB7D0A2F9</RequestId></Error>';
    expect(parseErrorBody(403, body, 'header-id')).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match & so on.',
      requestId: '4442587FB7D0A2F9',
    });
  });

  it('names the status when there is no body (HEAD) and takes the request id from the header', () => {
    expect(parseErrorBody(404, '', 'REQ1')).toEqual({
      status: 404,
      code: 'NotFound',
      message: 'HTTP 404',
      requestId: 'REQ1',
    });
  });

  it('keeps a short single-line excerpt of a body that is not S3 XML', () => {
    const details = parseErrorBody(502, `<html>\n<body>Bad gateway ${'x'.repeat(500)}</body></html>`, null);
    expect(details.code).toBe('Http502');
    expect(details.message).not.toContain('\n');
    expect(details.message.length).toBe(200);
    expect(details.requestId).toBeUndefined();
  });
});

describe('XML text', () => {
  it('decodes the named and numeric entities and leaves unknown ones', () => {
    expect(decodeXmlText('a&amp;b&lt;c&gt;&quot;&apos;&#13;&#x20AC;&#228;&nbsp;')).toBe(
      'a&b<c>"\'\r€ä&nbsp;',
    );
  });

  it('escapes what decoding restores', () => {
    const key = 'a&b<c>"\'\r€';
    expect(decodeXmlText(escapeXmlText(key))).toBe(key);
  });
});

describe('parseListObjectsV2', () => {
  it('reads keys (entity-decoded), sizes, dates and the continuation', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      '<Name>b</Name><Prefix>ckpt/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>' +
      '<NextContinuationToken>tok&amp;1</NextContinuationToken>' +
      '<Contents><Key>ckpt/a&amp;b &lt;1&gt;</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>' +
      '<ETag>&quot;abc&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>' +
      '<Contents><Key>ckpt/empty</Key><LastModified>2026-01-02T03:04:06Z</LastModified><Size>0</Size>' +
      '<Owner><ID>x</ID></Owner></Contents></ListBucketResult>';
    expect(parseListObjectsV2(xml)).toEqual({
      objects: [
        { key: 'ckpt/a&b <1>', size: 1234, lastModified: new Date('2026-01-02T03:04:05Z') },
        { key: 'ckpt/empty', size: 0, lastModified: new Date('2026-01-02T03:04:06Z') },
      ],
      isTruncated: true,
      nextContinuationToken: 'tok&1',
    });
  });

  it('reads an empty listing', () => {
    expect(
      parseListObjectsV2(
        '<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>',
      ),
    ).toEqual({ objects: [], isTruncated: false, nextContinuationToken: undefined });
  });

  it('refuses a document that is not a listing', () => {
    expect(() => parseListObjectsV2('<html></html>')).toThrow(/not a ListBucketResult/);
  });
});

describe('DeleteObjects', () => {
  it('writes a quiet request with escaped keys', () => {
    expect(deleteObjectsBody(['a&b', 'c<d>'])).toContain(
      '<Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c&lt;d&gt;</Key></Object></Delete>',
    );
  });

  it('reads the per-key failures', () => {
    const xml =
      '<DeleteResult><Deleted><Key>ok</Key></Deleted><Error><Key>a&amp;b</Key><Code>AccessDenied</Code>' +
      '<Message>Access Denied</Message></Error></DeleteResult>';
    expect(parseDeleteResult(xml)).toEqual([{ key: 'a&b', code: 'AccessDenied', message: 'Access Denied' }]);
    expect(parseDeleteResult('<DeleteResult></DeleteResult>')).toEqual([]);
  });
});
