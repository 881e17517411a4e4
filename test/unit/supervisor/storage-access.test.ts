// Refused S3 credentials, as Flink reports them in a savepoint's failure cause, become a
// StorageAccessible=False condition and a Warning that names the Secret the credentials came from.
import { describe, expect, it } from 'vitest';
import type { StorageSpec } from '../../../src/api/flink-cluster.ts';
import { initialJobContext, type JobContext } from '../../../src/machines/job-machine.ts';
import type { Condition } from '../../../src/api/status.ts';
import { statusFromSnapshot, type JobReport } from '../../../src/supervisor/status-report.ts';
import {
  credentialsSource,
  storageAccessVerdict,
  storageRefusalIn,
} from '../../../src/supervisor/storage-access.ts';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const STORAGE: StorageSpec = {
  scheme: 's3',
  baseDir: 'flink-state/prod',
  s3: {
    endpoint: 'http://s3.storage:7070',
    pathStyleAccess: true,
    credentialsSecret: {
      name: 'state-credentials',
      accessKeyIdKey: 's3.access-key',
      secretAccessKeyKey: 's3.secret-key',
    },
  },
};

// Failure causes as Flink's S3 file systems (Hadoop S3A on AWS SDK v1 and v2) word them.
const SDK_V1 =
  'java.nio.file.AccessDeniedException: s3a://flink-state/prod/savepoints/x: getFileStatus on s3a://flink-state/prod/savepoints/x: com.amazonaws.services.s3.model.AmazonS3Exception: The request signature we calculated does not match the signature you provided. (Service: Amazon S3; Status Code: 403; Error Code: SignatureDoesNotMatch; Request ID: 1)';
const SDK_V2 =
  'java.nio.file.AccessDeniedException: s3a://flink-state/prod/savepoints/x: software.amazon.awssdk.services.s3.model.S3Exception: The AWS Access Key Id you provided does not exist in our records. (Service: S3, Status Code: 403, Request ID: 2) InvalidAccessKeyId';

describe('storageRefusalIn', () => {
  it('finds the store error code in either SDK wording', () => {
    expect(storageRefusalIn(SDK_V1)).toEqual({ code: 'SignatureDoesNotMatch' });
    expect(storageRefusalIn(SDK_V2)).toEqual({ code: 'InvalidAccessKeyId' });
    expect(storageRefusalIn('Status Code: 403; something else')).toEqual({ code: 'Forbidden' });
  });

  it('leaves other failures alone (timeouts, missing tasks, a 404)', () => {
    expect(storageRefusalIn('java.util.concurrent.TimeoutException: savepoint timed out')).toBeUndefined();
    expect(storageRefusalIn('Not all required tasks are currently running.')).toBeUndefined();
    expect(storageRefusalIn('Status Code: 404; Error Code: NoSuchBucket')).toBeUndefined();
  });
});

describe('credentialsSource', () => {
  it('names the Secret and its keys', () => {
    expect(credentialsSource(STORAGE, 'prod-ns')).toBe(
      'Secret prod-ns/state-credentials (keys s3.access-key, s3.secret-key)',
    );
  });

  it('says when there is no Secret (cloud identity)', () => {
    expect(credentialsSource({ scheme: 's3', baseDir: 'b/p' }, 'prod-ns')).toMatch(/no credentials Secret/);
  });
});

describe('storageAccessVerdict', () => {
  it('an abandoned savepoint refused by the store is StorageAccessDenied naming the Secret', () => {
    const v = storageAccessVerdict(
      { reason: 'SavepointAbandoned', message: `savepoint abandoned (failed: ${SDK_V1})` },
      STORAGE,
      'prod-ns',
    );
    expect(v).toEqual({
      accessible: false,
      reason: 'StorageAccessDenied',
      message:
        "the state storage refused Flink's credentials (SignatureDoesNotMatch); check Secret prod-ns/state-credentials (keys s3.access-key, s3.secret-key)",
    });
  });

  it('a failed stop-with-savepoint counts too; a completed savepoint makes it accessible again', () => {
    expect(
      storageAccessVerdict({ reason: 'StopWithSavepointFailed', message: SDK_V2 }, STORAGE, 'n')?.accessible,
    ).toBe(false);
    expect(
      storageAccessVerdict(
        { reason: 'SavepointCompleted', message: 'savepoint completed at s3://x' },
        STORAGE,
        'n',
      ),
    ).toMatchObject({ accessible: true, reason: 'SavepointCompleted' });
  });

  it('says nothing for other notices or other failures', () => {
    expect(storageAccessVerdict(null, STORAGE, 'n')).toBeUndefined();
    expect(storageAccessVerdict({ reason: 'Adopted', message: SDK_V1 }, STORAGE, 'n')).toBeUndefined();
    expect(
      storageAccessVerdict({ reason: 'SavepointAbandoned', message: 'timed out' }, STORAGE, 'n'),
    ).toBeUndefined();
  });
});

describe('the StorageAccessible condition in a FlinkJob status', () => {
  function report(context: Partial<JobContext>, stored?: Record<string, unknown>): JobReport {
    return {
      kind: 'job',
      now: NOW,
      generation: 2,
      stored,
      restoreFailure: null,
      invalidSpec: null,
      invalidAction: null,
      snapshot: {
        value: { Started: 'Running' },
        context: { ...initialJobContext({ uid: 'u', idSeed: '1', at: NOW - 1000 }), ...context },
      },
      clusterName: 'prod',
      clusterUid: 'uc',
      cluster: undefined,
      job: undefined,
      lastFlinkJob: null,
      storage: STORAGE,
      namespace: 'prod-ns',
    };
  }
  const storageCondition = (status: Record<string, unknown>) =>
    (status['conditions'] as Condition[]).find((c) => c.type === 'StorageAccessible');

  it('is absent until a savepoint says something, False on refusal, kept across passes, True after a savepoint', () => {
    expect(storageCondition(statusFromSnapshot(report({})))).toBeUndefined();
    const refused = statusFromSnapshot(
      report({ notice: { reason: 'SavepointAbandoned', message: SDK_V2, at: NOW } }),
    );
    expect(storageCondition(refused)).toMatchObject({
      status: 'False',
      reason: 'StorageAccessDenied',
      observedGeneration: 2,
    });
    expect(storageCondition(refused)?.message).toContain('Secret prod-ns/state-credentials');
    // A later notice about something else keeps the stored verdict.
    const later = statusFromSnapshot(
      report({ notice: { reason: 'Adopted', message: 'x', at: NOW } }, refused),
    );
    expect(storageCondition(later)?.status).toBe('False');
    const fixed = statusFromSnapshot(
      report(
        { notice: { reason: 'SavepointCompleted', message: 'savepoint completed at s3://x', at: NOW } },
        later,
      ),
    );
    expect(storageCondition(fixed)).toMatchObject({ status: 'True', reason: 'SavepointCompleted' });
  });
});
