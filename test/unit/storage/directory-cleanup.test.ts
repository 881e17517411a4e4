import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeDirectories } from '../../../src/storage/directory-cleanup.ts';
import { S3Client } from '../../../src/storage/s3-client.ts';
import type { FakeS3 } from './fake-s3.ts';
import { FAKE_CREDENTIALS, FAKE_REGION, startFakeS3 } from './fake-s3.ts';

let fake: FakeS3;
let client: S3Client;

beforeEach(async () => {
  fake = await startFakeS3();
  client = new S3Client({ endpoint: fake.endpoint, region: FAKE_REGION, ...FAKE_CREDENTIALS });
  await client.createBucket('state');
  const bucket = fake.buckets.get('state')!;
  for (const key of [
    'ha/ns/c/default/blob/job_1/blob_p-1',
    'ha/ns/c/default/completedCheckpoint123',
    'checkpoints/ns/c/abc/chk-4/_metadata',
    'checkpoints/ns/c/abc/shared/x',
    'checkpoints/ns/c/manual-savepoint/_metadata',
    'checkpoints/ns/c2/abc/chk-1/_metadata',
    'savepoints/ns/c/job/savepoint-1/_metadata',
  ])
    bucket.set(key, Buffer.from('x'));
});

afterEach(async () => {
  await fake.close();
});

describe('removeDirectories', () => {
  it('removes every object under each directory, never a neighbour with a longer name, never savepoints', async () => {
    const results = await removeDirectories(
      client,
      ['s3://state/ha/ns/c', 's3://state/checkpoints/ns/c'],
      ['s3://state/checkpoints/ns/c/manual-savepoint', 's3://state/savepoints/ns/c/job/savepoint-1'],
    );
    expect(results).toEqual([
      { uri: 's3://state/ha/ns/c', removed: 2, kept: 0 },
      { uri: 's3://state/checkpoints/ns/c', removed: 2, kept: 1 },
    ]);
    expect([...fake.buckets.get('state')!.keys()].sort()).toEqual([
      'checkpoints/ns/c/manual-savepoint/_metadata',
      'checkpoints/ns/c2/abc/chk-1/_metadata',
      'savepoints/ns/c/job/savepoint-1/_metadata',
    ]);
  });

  it('succeeds again with nothing left to remove (a repeat after a crash)', async () => {
    await removeDirectories(client, ['s3://state/ha/ns/c']);
    expect(await removeDirectories(client, ['s3://state/ha/ns/c'])).toEqual([
      { uri: 's3://state/ha/ns/c', removed: 0, kept: 0 },
    ]);
  });

  it('refuses a whole bucket or a URI that is not S3 before deleting anything', async () => {
    const before = fake.buckets.get('state')!.size;
    await expect(removeDirectories(client, ['s3://state/ha/ns/c', 's3://state/'])).rejects.toThrow(
      /whole bucket/,
    );
    await expect(removeDirectories(client, ['file:///flink-data/ha'])).rejects.toThrow(/not an S3 URI/);
    expect(fake.buckets.get('state')!.size).toBe(before);
  });
});
