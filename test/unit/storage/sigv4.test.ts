// The published examples of the S3 API Reference ("Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk"): same credentials, date and region for each.
import { describe, expect, it } from 'vitest';
import {
  amzDate,
  canonicalQuery,
  canonicalUri,
  EMPTY_SHA256,
  encodeS3Path,
  sha256Hex,
  signRequest,
  UNSIGNED_PAYLOAD,
} from '../../../src/storage/sigv4.ts';

// The AWS documentation's example secret has '/' after MDENG (not '+'); the published signatures
// below are reproduced with it only.
const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const scope = { region: 'us-east-1', date: new Date('2013-05-24T00:00:00Z') };

describe('signRequest (AWS S3 example vectors)', () => {
  it('GET Object with a Range header', () => {
    const signed = signRequest(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
        headers: { Range: 'bytes=0-9' },
        payloadHash: EMPTY_SHA256,
      },
      credentials,
      scope,
    );
    expect(signed.canonicalRequest).toBe(
      [
        'GET',
        '/test.txt',
        '',
        'host:examplebucket.s3.amazonaws.com',
        'range:bytes=0-9',
        `x-amz-content-sha256:${EMPTY_SHA256}`,
        'x-amz-date:20130524T000000Z',
        '',
        'host;range;x-amz-content-sha256;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    expect(signed.stringToSign.split('\n')[3]).toBe(
      '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    expect(signed.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(signed.headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object: a $ in the key is encoded, the body hash is signed', () => {
    const body = 'Welcome to Amazon S3.';
    const signed = signRequest(
      {
        method: 'PUT',
        url: new URL('https://examplebucket.s3.amazonaws.com/test$file.text'),
        headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
        payloadHash: sha256Hex(body),
      },
      credentials,
      scope,
    );
    expect(signed.canonicalRequest.split('\n')[1]).toBe('/test%24file.text');
    expect(signed.signature).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('GET Bucket Lifecycle: a subresource without a value signs as "lifecycle="', () => {
    const signed = signRequest(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/?lifecycle'),
        headers: {},
        payloadHash: EMPTY_SHA256,
      },
      credentials,
      scope,
    );
    expect(signed.canonicalRequest.split('\n')[2]).toBe('lifecycle=');
    expect(signed.signature).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('Get Bucket (List Objects) with max-keys=2 and prefix=J', () => {
    const signed = signRequest(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'),
        headers: {},
        payloadHash: EMPTY_SHA256,
      },
      credentials,
      scope,
    );
    expect(signed.signature).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('never puts the secret into anything it returns, and does not send host itself', () => {
    const signed = signRequest(
      {
        method: 'GET',
        url: new URL('http://127.0.0.1:9000/b/k'),
        headers: { Host: 'ignored' },
        payloadHash: UNSIGNED_PAYLOAD,
      },
      credentials,
      scope,
    );
    const everything = JSON.stringify(signed);
    expect(everything).not.toContain(credentials.secretAccessKey);
    expect(signed.headers).not.toHaveProperty('host');
    expect(signed.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(signed.canonicalRequest).toContain('host:127.0.0.1:9000\n');
    expect(signed.canonicalRequest.endsWith('\nUNSIGNED-PAYLOAD')).toBe(true);
  });

  it('refuses a header given twice in different case', () => {
    expect(() =>
      signRequest(
        {
          method: 'GET',
          url: new URL('http://h/b'),
          headers: { Range: 'a', range: 'b' },
          payloadHash: EMPTY_SHA256,
        },
        credentials,
        scope,
      ),
    ).toThrow(/range given twice/);
  });
});

describe('canonical forms', () => {
  it('encodes each path segment once and keeps the slashes', () => {
    expect(encodeS3Path("a b/c+d/ü€/x*'()!~._-")).toBe('a%20b/c%2Bd/%C3%BC%E2%82%AC/x%2A%27%28%29%21~._-');
    // What the URL parser left encoded is decoded first, so nothing is encoded twice.
    expect(canonicalUri(new URL(`http://h/b/${encodeS3Path('a b%c/d')}`).pathname)).toBe('/b/a%20b%25c/d');
    expect(canonicalUri('/b/a%2Fb')).toBe('/b/a%2Fb');
    expect(canonicalUri('')).toBe('/');
  });

  it('sorts the query by name and encodes per RFC 3986', () => {
    expect(canonicalQuery('?prefix=a%2Fb&list-type=2&continuation-token=x%2By&delete')).toBe(
      'continuation-token=x%2By&delete=&list-type=2&prefix=a%2Fb',
    );
    expect(canonicalQuery('?b=2&a=2&a=1')).toBe('a=1&a=2&b=2');
    expect(canonicalQuery('?q=a+b')).toBe('q=a%20b');
    expect(canonicalQuery('')).toBe('');
  });

  it('writes the date in the basic ISO 8601 form', () => {
    expect(amzDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });
});
