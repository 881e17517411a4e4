import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3Client } from '../../../src/storage/s3-client.ts';
import { S3Error, S3TransportError } from '../../../src/storage/s3-errors.ts';
import type { FakeS3 } from './fake-s3.ts';
import { FAKE_CREDENTIALS, FAKE_REGION, startFakeS3 } from './fake-s3.ts';

let fake: FakeS3;
let client: S3Client;

beforeEach(async () => {
  fake = await startFakeS3();
  client = new S3Client({
    endpoint: fake.endpoint,
    region: FAKE_REGION,
    ...FAKE_CREDENTIALS,
    timeoutMs: 5_000,
  });
});

afterEach(async () => {
  await fake.close();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
}

describe('S3Client against a fake S3 on loopback', () => {
  it('creates a bucket once and again without error, and sees it with headBucket', async () => {
    expect(await client.headBucket('flink-state')).toBe(false);
    await client.createBucket('flink-state');
    await client.createBucket('flink-state');
    expect(await client.headBucket('flink-state')).toBe(true);
    const creates = fake.requests.filter((r) => r.method === 'PUT');
    // Outside us-east-1 the region is named in the body.
    expect(creates[0]!.body.toString()).toContain(`<LocationConstraint>${FAKE_REGION}</LocationConstraint>`);
  });

  it('stores and reads objects whose keys need encoding, signed as sent', async () => {
    await client.createBucket('flink-state');
    const key = "ckpt/a b+c/ü€ %41 *'()!/_metadata";
    await client.putObject('flink-state', key, 'hello');
    expect(fake.buckets.get('flink-state')!.has(key)).toBe(true);
    expect((await client.getObject('flink-state', key)).toString()).toBe('hello');
    const err = await failure(client.getObject('flink-state', 'missing'));
    expect(err).toBeInstanceOf(S3Error);
    expect(err).toMatchObject({ status: 404, code: 'NoSuchKey', requestId: 'FAKE-NoSuchKey' });
  });

  it('lists every page with continuation tokens and decodes keys', async () => {
    await client.createBucket('flink-state');
    const keys = Array.from({ length: 7 }, (_, i) => `ckpt/job/chk-${i}/a&b<${i}>`);
    for (const key of keys) await client.putObject('flink-state', key, 'xy');
    await client.putObject('flink-state', 'ckpt/jobber/other', 'z');
    fake.pageSize = 3;
    const listed = await client.listObjects('flink-state', 'ckpt/job/');
    expect(listed.map((o) => o.key)).toEqual([...keys].sort());
    expect(listed[0]).toEqual({ key: keys[0], size: 2, lastModified: new Date('2026-01-02T03:04:05Z') });
    const lists = fake.requests.filter((r) => r.url.includes('list-type=2'));
    expect(lists).toHaveLength(3);
    expect(lists[0]!.url).not.toContain('continuation-token');
    expect(lists[1]!.url).toContain('continuation-token=');
  });

  it('stops when a truncated page carries no token instead of looping', async () => {
    await client.createBucket('flink-state');
    fake.failNext = {
      status: 200,
      body: '<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>',
    };
    await expect(client.listObjects('flink-state')).rejects.toThrow(
      /truncated page without NextContinuationToken/,
    );
  });

  it('deletes a prefix in batches of 1000 with Content-MD5, and leaves the rest', async () => {
    await client.createBucket('flink-state');
    const bucket = fake.buckets.get('flink-state')!;
    for (let i = 0; i < 2345; i++) bucket.set(`ckpt/c1/chk-${String(i).padStart(5, '0')}`, Buffer.from('x'));
    bucket.set('ckpt/c10/keep', Buffer.from('y'));
    bucket.set('ckpt/c1/&special<>', Buffer.from('z'));
    expect(await client.deletePrefix('flink-state', 'ckpt/c1/')).toBe(2346);
    expect([...bucket.keys()]).toEqual(['ckpt/c10/keep']);
    const deletes = fake.requests.filter((r) => r.method === 'POST');
    expect(deletes.map((r) => r.body.toString().match(/<Object>/g)!.length)).toEqual([1000, 1000, 346]);
    expect(deletes.every((r) => typeof r.headers['content-md5'] === 'string')).toBe(true);
  });

  it('reports keys DeleteObjects could not delete as an S3Error', async () => {
    await client.createBucket('flink-state');
    const bucket = fake.buckets.get('flink-state')!;
    bucket.set('d/a', Buffer.from('x'));
    bucket.set('d/b&c', Buffer.from('x'));
    fake.undeletable.add('d/b&c');
    const err = await failure(client.deletePrefix('flink-state', 'd/'));
    expect(err).toBeInstanceOf(S3Error);
    expect(err).toMatchObject({ code: 'AccessDenied' });
    expect(String(err)).toContain('1 of 2 keys not deleted, first "d/b&c"');
  });

  it('refuses to delete a whole bucket through an empty prefix', async () => {
    await expect(client.deletePrefix('flink-state', '')).rejects.toThrow(/empty prefix/);
    expect(fake.requests).toHaveLength(0);
  });

  it('turns a wrong secret into a typed 403 that carries no secret', async () => {
    await client.createBucket('flink-state');
    const wrong = new S3Client({
      endpoint: fake.endpoint,
      region: FAKE_REGION,
      accessKeyId: FAKE_CREDENTIALS.accessKeyId,
      secretAccessKey: 'not-the-secret',
      timeoutMs: 5_000,
    });
    const err = await failure(wrong.listObjects('flink-state', ''));
    expect(err).toBeInstanceOf(S3Error);
    expect(err).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
      requestId: 'FAKE-SignatureDoesNotMatch',
    });
    expect(JSON.stringify(err) + String(err)).not.toContain('not-the-secret');
    // HEAD answers have no body: the code then comes from the status.
    expect(await failure(wrong.headBucket('flink-state'))).toMatchObject({ status: 403, code: 'Forbidden' });
  });

  it('refuses bucket names and keys that path-style URLs cannot carry, before sending', async () => {
    await expect(client.getObject('Bad_Bucket', 'k')).rejects.toThrow(/not a valid S3 bucket name/);
    await expect(client.getObject('flink-state', 'a/../b')).rejects.toThrow(/'\.' or '\.\.' segment/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('S3Client transport', () => {
  it('gives up after its timeout with an S3TransportError that has no status', async () => {
    const silent = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const slow = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        ...FAKE_CREDENTIALS,
        timeoutMs: 100,
      });
      const err = await failure(slow.headBucket('flink-state'));
      expect(err).toBeInstanceOf(S3TransportError);
      expect(err).toMatchObject({ timedOut: true });
      expect(err).not.toHaveProperty('status');
      expect(String(err)).toContain('no answer within 100 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('signs with the injected clock and sends through the injected fetch', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const injected = new S3Client({
      endpoint: 'http://s3.test:9000/',
      region: 'us-east-1',
      ...FAKE_CREDENTIALS,
      now: () => new Date('2026-03-04T05:06:07Z'),
      fetch: async (input, init) => {
        seen.push({ url: String(input), headers: init!.headers as Record<string, string> });
        return new Response('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>');
      },
    });
    expect(await injected.listObjects('flink-state', 'a b/')).toEqual([]);
    expect(seen[0]!.url).toBe('http://s3.test:9000/flink-state?list-type=2&prefix=a%20b%2F');
    expect(seen[0]!.headers['x-amz-date']).toBe('20260304T050607Z');
    expect(seen[0]!.headers['authorization']).toContain(
      'Credential=fake-key/20260304/us-east-1/s3/aws4_request',
    );
    expect(JSON.stringify(seen)).not.toContain(FAKE_CREDENTIALS.secretAccessKey);
  });

  it('answers an error that is not S3 XML with the status and a short excerpt', async () => {
    await client.createBucket('flink-state');
    fake.failNext = { status: 502, body: '<html>Bad Gateway</html>' };
    expect(await failure(client.getObject('flink-state', 'k'))).toMatchObject({
      status: 502,
      code: 'Http502',
      message: 'S3 GET flink-state/k: 502 Http502: <html>Bad Gateway</html>',
      requestId: 'FAKE-REQ',
    });
  });
});
