// The bootstrap's look for a snapshot's `_metadata` before a restore (docs/upgrades.md): missing is
// a clear error with its own exit code, never an empty start; what it cannot see is left to Flink.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBootstrap } from '../../../src/bootstrap/bootstrap-runner.ts';
import { BOOTSTRAP_EXIT } from '../../../src/bootstrap/exit-codes.ts';
import { metadataUri, snapshotPresence } from '../../../src/bootstrap/snapshot-check.ts';
import { FlinkNotFoundError } from '../../../src/flink/errors.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'snapshot-check-'));
  await mkdir(join(root, 'savepoints', 'savepoint-1'), { recursive: true });
  await writeFile(join(root, 'savepoints', 'savepoint-1', '_metadata'), 'x');
  await mkdir(join(root, 'savepoints', 'savepoint-empty'), { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('snapshotPresence', () => {
  it('the _metadata of a directory, or the file itself', () => {
    expect(metadataUri('s3://b/savepoints/sp-1/')).toBe('s3://b/savepoints/sp-1/_metadata');
    expect(metadataUri('s3://b/chk-7/_metadata')).toBe('s3://b/chk-7/_metadata');
  });

  it('file: present, missing (the directory or its _metadata), or unknown when not visible here', async () => {
    expect(await snapshotPresence(`file://${root}/savepoints/savepoint-1`)).toBe('present');
    expect(await snapshotPresence(`file:${root}/savepoints/savepoint-1/_metadata`)).toBe('present');
    expect(await snapshotPresence(`file://${root}/savepoints/savepoint-empty`)).toBe('missing');
    expect(await snapshotPresence(`file://${root}/savepoints/savepoint-gone`)).toBe('missing');
    expect(await snapshotPresence(`file://${root}/not-mounted/savepoints/savepoint-1`)).toBe('unknown');
  });

  it('s3: asks the object store for the _metadata; without a way to ask, or when it fails, unknown', async () => {
    const asked: string[] = [];
    const store = async (uri: string) => {
      asked.push(uri);
      return uri.includes('sp-1');
    };
    expect(await snapshotPresence('s3://state/savepoints/sp-1', store)).toBe('present');
    expect(await snapshotPresence('s3a://state/savepoints/sp-2', store)).toBe('missing');
    expect(asked).toEqual(['s3://state/savepoints/sp-1/_metadata', 's3a://state/savepoints/sp-2/_metadata']);
    expect(await snapshotPresence('s3://state/savepoints/sp-2')).toBe('unknown');
    const broken = async () => {
      throw new Error('403 Forbidden');
    };
    expect(await snapshotPresence('s3://state/savepoints/sp-2', broken)).toBe('unknown');
    expect(await snapshotPresence('hdfs://nn/savepoints/sp-2', store)).toBe('unknown');
  });
});

describe('runBootstrap with the snapshot check', () => {
  const request = {
    jobId: 'a'.repeat(32),
    jar: { kind: 'path', path: '/nonexistent.jar' },
    savepointPath: 's3://state/savepoints/gone',
    arguments: [],
    workDir: '/tmp',
    allowPrivateNetworks: false,
  } as unknown as Parameters<typeof runBootstrap>[1];
  const log = { info: () => undefined, warn: () => undefined };

  function client(calls: string[]): FlinkRestClient {
    return {
      getJobStatus: async () => {
        calls.push('getJobStatus');
        throw new FlinkNotFoundError('not found', { status: 404 });
      },
      uploadJar: async () => {
        calls.push('uploadJar');
        throw new Error('not expected');
      },
    } as unknown as FlinkRestClient;
  }

  it('a missing snapshot fails with its own exit code before anything is uploaded or submitted', async () => {
    const calls: string[] = [];
    const outcome = await runBootstrap(client(calls), request, log, async () => 'missing');
    expect(outcome).toMatchObject({
      result: 'failed',
      permanent: true,
      exitCode: BOOTSTRAP_EXIT.snapshotMissing,
    });
    expect(calls).toEqual(['getJobStatus']);
  });

  it('a present or unknown snapshot goes on to the submission', async () => {
    for (const presence of ['present', 'unknown'] as const) {
      // The jar of this request does not exist: the run gets past the check and fails on the jar.
      const outcome = await runBootstrap(client([]), request, log, async () => presence);
      expect(outcome.exitCode).not.toBe(BOOTSTRAP_EXIT.snapshotMissing);
      expect(outcome).toMatchObject({ result: 'failed' });
    }
  });
});
