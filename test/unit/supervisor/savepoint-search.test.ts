// The Job that looks for a forgotten savepoint's files (ADR 0023): what the supervisor builds, and
// how it reads what the Job reports.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABELS, savepointSearchJobName } from '../../../src/api/names.ts';
import { parseFlinkCluster, parseFlinkJob } from '../../../src/api/parse.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import { renderSearchReport } from '../../../src/storage/savepoint-search.ts';
import {
  REPORT_LAG_MS,
  SavepointSearchReader,
  savepointSearchJob,
  savepointSearches,
  searchable,
} from '../../../src/supervisor/savepoint-search.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';

const S3 = {
  scheme: 's3',
  baseDir: 'state/flink',
  s3: {
    endpoint: 'http://s3.storage:7070',
    pathStyleAccess: true,
    credentialsSecret: { name: 'creds', accessKeyIdKey: 'a', secretAccessKeyKey: 'b' },
  },
};
const JOB_ID = '0123456789abcdef0123456789abcdef';

function cluster(spec: Record<string, unknown>) {
  const raw = structuredClone(
    validFixtures().find((f) => f.file === 'cluster-minimal.yaml')!.resource,
  ) as unknown as CustomObject;
  return parseFlinkCluster({
    ...raw,
    metadata: { ...raw.metadata, name: 'c', namespace: 'ns', uid: 'uid-c' },
    spec: { ...(raw.spec as Record<string, unknown>), ...spec },
  });
}

const flinkJob = parseFlinkJob({
  metadata: { name: 'c-orders', namespace: 'ns', uid: 'uid-j' },
  spec: {
    clusterName: 'c',
    bootstrap: { image: 'i', jarPath: '/job.jar' },
    savepoint: { savepointTargetPath: 's3://state/flink/savepoints/ns/c/c-orders' },
  },
});

const request = {
  savepointName: `c-orders-sp-${'e'.repeat(12)}`,
  directory: 's3://state/flink/savepoints/ns/c/c-orders',
  jobId: JOB_ID,
  since: '2026-12-07T10:00:00.000Z',
};

describe('savepoint search Job', () => {
  it('runs the supervisor image as the Flink pods, with their credentials by reference, read only and bounded', () => {
    const parsed = cluster({
      storage: S3,
      flinkConfiguration: { 's3.endpoint.region': 'eu-west-1' },
      jobManager: { serviceAccount: 'flink-ha' },
    });
    const job: V1Job = savepointSearchJob(parsed, flinkJob, request);
    expect(job.metadata?.name).toBe(savepointSearchJobName(request.savepointName));
    expect(job.metadata?.name).toMatch(/^spsearch-[0-9a-f]{16}$/);
    expect(job.metadata?.namespace).toBe('ns');
    expect(job.metadata?.labels).toMatchObject({
      [LABELS.cluster]: 'c',
      [LABELS.role]: 'savepoint-search',
      [LABELS.job]: 'c-orders',
    });
    expect(job.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'FlinkJob', name: 'c-orders', uid: 'uid-j' }),
    ]);
    expect(job.spec?.backoffLimit).toBe(2);
    expect(job.spec?.activeDeadlineSeconds).toBe(parsed.spec.supervisor.taskTimeout);
    expect(job.spec?.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const pod = job.spec?.template.spec;
    expect(job.spec?.template.metadata?.labels).toEqual(job.metadata?.labels);
    expect(pod?.serviceAccountName).toBe('flink-ha');
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.restartPolicy).toBe('Never');
    const container = pod?.containers[0];
    expect(container?.name).toBe('search');
    expect(container?.image).toBe(parsed.spec.supervisor.image);
    expect(container?.args).toEqual([
      'storage',
      'find-savepoints',
      '--endpoint=http://s3.storage:7070',
      '--region=eu-west-1',
      `--directory=${request.directory}`,
      `--job-id=${JOB_ID}`,
      `--since=${request.since}`,
      '--report=/dev/termination-log',
    ]);
    expect(container?.terminationMessagePath).toBe('/dev/termination-log');
    expect(container?.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect(container?.env).toEqual([
      { name: 'TMPDIR', value: '/flinkvisor-scratch' },
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'creds', key: 'a' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'b' } } },
    ]);
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });

  it('takes the endpoint a user set in flinkConfiguration, as Flink does', () => {
    const job = savepointSearchJob(
      cluster({ storage: S3, flinkConfiguration: { 's3.endpoint': 'https://minio.example:9000' } }),
      flinkJob,
      request,
    );
    expect(job.spec?.template.spec?.containers[0]?.args).toContain('--endpoint=https://minio.example:9000');
  });

  it('has one name per record, at most 63 characters whatever the record is called', () => {
    const long = `${'j'.repeat(53)}-sp-${'a'.repeat(12)}`;
    expect(savepointSearchJobName(long).length).toBeLessThanOrEqual(63);
    expect(savepointSearchJobName(long)).toBe(savepointSearchJobName(long));
    expect(savepointSearchJobName(long)).not.toBe(savepointSearchJobName(`${long}b`));
  });

  it('searches S3 target directories only', () => {
    expect(searchable('s3://state/flink/savepoints')).toBe(true);
    expect(searchable('s3a://state/sp')).toBe(true);
    expect(searchable('file:///flink-data/savepoints')).toBe(false);
    expect(searchable('hdfs://nn/savepoints')).toBe(false);
    expect(searchable(null)).toBe(false);
  });
});

describe('SavepointSearchReader', () => {
  const job = (status: NonNullable<V1Job['status']>, extra: Partial<V1Job['metadata']> = {}): V1Job => ({
    metadata: { name: 'spsearch-1', labels: { [LABELS.role]: 'savepoint-search' }, ...extra },
    status,
  });
  const found = [
    { path: `s3://b/sp/savepoint-012345-${'a'.repeat(12)}`, completedAt: '2026-12-07T10:00:01.000Z' },
  ];
  const pod = (message: string | undefined, phase = 'Succeeded'): V1Pod => ({
    metadata: { name: 'spsearch-1-x', labels: { 'batch.kubernetes.io/job-name': 'spsearch-1' } },
    status: {
      phase,
      containerStatuses: [
        {
          name: 'search',
          image: 'i',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, ...(message ? { message } : {}) } },
        },
      ],
    },
  });

  it('reads the savepoints its succeeded pod reports', () => {
    const reader = new SavepointSearchReader();
    const report = renderSearchReport({ savepoints: found, truncated: false });
    expect(reader.read('spsearch-1', job({ succeeded: 1 }), [pod(report)], 0)).toEqual({
      state: 'found',
      savepoints: found,
    });
    expect(
      reader.read(
        'spsearch-1',
        job({ succeeded: 1 }),
        [pod(renderSearchReport({ savepoints: [], truncated: false }))],
        0,
      ),
    ).toEqual({
      state: 'found',
      savepoints: [],
    });
  });

  it('is absent without a Job, running while it runs or is deleted', () => {
    const reader = new SavepointSearchReader();
    expect(reader.read('spsearch-1', undefined, [], 0)).toEqual({ state: 'absent' });
    expect(
      reader.read(
        'spsearch-1',
        { metadata: { name: 'spsearch-1', labels: { [LABELS.role]: 'bootstrap' } } },
        [],
        0,
      ),
    ).toEqual({
      state: 'absent',
    });
    expect(reader.read('spsearch-1', job({ active: 1 }), [], 0)).toEqual({ state: 'running' });
    expect(
      reader.read('spsearch-1', job({ succeeded: 1 }, { deletionTimestamp: new Date(0) }), [], 0),
    ).toEqual({
      state: 'running',
    });
  });

  it('waits for the pod of a succeeded Job to come into view, then fails saying why', () => {
    const reader = new SavepointSearchReader();
    const start = 1_000_000;
    expect(reader.read('spsearch-1', job({ succeeded: 1 }), [], start)).toEqual({ state: 'running' });
    expect(
      reader.read('spsearch-1', job({ succeeded: 1 }), [pod(undefined)], start + REPORT_LAG_MS - 1),
    ).toEqual({
      state: 'running',
    });
    // A clock stepped back does not make the wait longer than measured.
    expect(reader.read('spsearch-1', job({ succeeded: 1 }), [], start - 5_000)).toEqual({ state: 'running' });
    const late = reader.read('spsearch-1', job({ succeeded: 1 }), [], start + REPORT_LAG_MS);
    expect(late.state).toBe('failed');
  });

  it('takes a Job made for another since (an earlier search of the record) for stale, never reading its report (K20, seed 1015510)', () => {
    const reader = new SavepointSearchReader();
    const made = savepointSearchJob(cluster({ storage: S3 }), flinkJob, request);
    const succeeded: V1Job = { ...made, status: { succeeded: 1 } };
    const pods = [{ ...pod(renderSearchReport({ savepoints: [], truncated: false })) }];
    pods[0]!.metadata = { name: 'x', labels: { 'batch.kubernetes.io/job-name': made.metadata?.name ?? '' } };
    const name = made.metadata?.name ?? '';
    expect(reader.read(name, succeeded, pods, 0, '2026-12-07T10:05:00.000Z')).toEqual({ state: 'stale' });
    expect(reader.read(name, succeeded, pods, 0, request.since)).toEqual({ state: 'found', savepoints: [] });
  });

  it('measures the wait for the report on the monotonic clock: a wall clock stepped forward does not fail it (K20, seed 1012773)', () => {
    let wall = 1_000_000;
    let monotonic = 0;
    const succeeded = job({ succeeded: 1 });
    const searches = savepointSearches(
      {
        clusterName: 'c',
        clock: {
          now: () => wall,
          monotonic: () => monotonic,
          sleep: async () => {},
          setTimeout: () => ({ cancel() {} }),
        },
        searchReader: new SavepointSearchReader(),
        batchJob: () => succeeded,
        pods: () => [],
        objects: { createJob: async () => 'created', deleteJob: async () => undefined },
        log: { info: () => undefined },
      } as unknown as Parameters<typeof savepointSearches>[0],
      cluster({ storage: S3 }),
      flinkJob,
      request.directory,
    );
    expect(searches.observe('spsearch-1')).toEqual({ state: 'running' });
    // The leader's wall clock steps 80 s forward while the pods' watch still lags by a second.
    wall += 80_000;
    monotonic += 1_000;
    expect(searches.observe('spsearch-1')).toEqual({ state: 'running' });
    monotonic += REPORT_LAG_MS;
    expect(searches.observe('spsearch-1').state).toBe('failed');
  });

  it("reports a failed Job with its reason and the end of its last pod's log", () => {
    const reader = new SavepointSearchReader();
    const log = 'listing s3://b/sp\nS3 403 AccessDenied: Access Denied (request 42)\n';
    const failed = reader.read(
      'spsearch-1',
      job({ failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }),
      [pod(log, 'Failed')],
      0,
    );
    expect(failed).toEqual({
      state: 'failed',
      message: expect.stringContaining('BackoffLimitExceeded'),
    });
    expect(failed.state === 'failed' && failed.message).toContain(
      'S3 403 AccessDenied: Access Denied (request 42)',
    );
    expect(failed.state === 'failed' && failed.message).not.toContain('listing');
  });
});
