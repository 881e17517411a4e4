// What a deletion removes after Flink (ADR 0012): the cleanup Job the supervisor builds, the HA
// ConfigMap selector, what the machine is told about the Job, and the admission rule of autoClean.
import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/api/names.ts';
import { parseFlinkCluster, safeParseFlinkCluster } from '../../../src/api/parse.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import { clusterPolicy } from '../../../src/supervisor/spec-policies.ts';
import {
  autoCleanDirectories,
  flinkClusterId,
  highAvailabilityConfigMapSelector,
  readStorageCleanup,
  s3Paths,
  storageCleanupJob,
} from '../../../src/supervisor/storage-cleanup.ts';
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

function cluster(spec: Record<string, unknown>): CustomObject {
  const raw = structuredClone(
    validFixtures().find((f) => f.file === 'cluster-minimal.yaml')!.resource,
  ) as unknown as CustomObject;
  return {
    ...raw,
    metadata: { ...raw.metadata, name: 'c', namespace: 'ns', uid: 'uid-c' },
    spec: { ...(raw.spec as Record<string, unknown>), ...spec },
  };
}

describe('autoClean', () => {
  it('is off by default: nothing in storage is removed, only the HA ConfigMaps', () => {
    const parsed = parseFlinkCluster(cluster({ storage: S3 }));
    expect(parsed.spec.autoClean).toBe(false);
    expect(clusterPolicy(parsed).autoClean).toBe(false);
    expect(autoCleanDirectories(parsed)).toEqual([]);
  });

  it('is refused without S3 storage', () => {
    for (const spec of [
      { autoClean: true },
      { autoClean: true, storage: { scheme: 'file', baseDir: '/d' } },
    ]) {
      const parsed = safeParseFlinkCluster(cluster(spec));
      expect(parsed.ok ? '' : parsed.error.message).toContain(
        'autoClean removes directories from S3 storage',
      );
    }
  });

  it('removes the derived HA and checkpoint directories, never the savepoint directory', () => {
    const parsed = parseFlinkCluster(cluster({ storage: S3, autoClean: true }));
    expect(clusterPolicy(parsed).autoClean).toBe(true);
    expect(autoCleanDirectories(parsed)).toEqual([
      's3://state/flink/ha/ns/c',
      's3://state/flink/checkpoints/ns/c',
    ]);
  });

  it('runs as a Job of the supervisor image, as the Flink pods identity, with their credentials by reference', () => {
    const parsed = parseFlinkCluster(
      cluster({
        storage: S3,
        autoClean: true,
        flinkConfiguration: { 's3.endpoint.region': 'eu-west-1' },
        jobManager: { serviceAccount: 'flink-ha' },
      }),
    );
    const job: V1Job = storageCleanupJob(parsed, {
      directories: autoCleanDirectories(parsed),
      keep: ['s3://state/flink/savepoints/ns/c/j/savepoint-1'],
    });
    expect(job.metadata?.name).toBe('clean-c');
    expect(job.metadata?.labels?.[LABELS.cluster]).toBe('c');
    expect(job.metadata?.labels?.[LABELS.role]).toBe('cleanup');
    expect(job.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'FlinkCluster',
      uid: 'uid-c',
      controller: true,
    });
    expect(job.spec?.backoffLimit).toBe(2);
    expect(job.spec?.activeDeadlineSeconds).toBe(parsed.spec.supervisor.taskTimeout);
    const pod = job.spec?.template.spec;
    expect(pod?.serviceAccountName).toBe('flink-ha');
    const container = pod?.containers[0];
    expect(container?.image).toBe(parsed.spec.supervisor.image);
    expect(container?.args).toEqual([
      'storage',
      'clean',
      '--endpoint=http://s3.storage:7070',
      '--region=eu-west-1',
      '--uri=s3://state/flink/ha/ns/c',
      '--uri=s3://state/flink/checkpoints/ns/c',
      '--keep=s3://state/flink/savepoints/ns/c/j/savepoint-1',
    ]);
    expect(container?.env).toEqual([
      { name: 'TMPDIR', value: '/flinkvisor-scratch' },
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'creds', key: 'a' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'creds', key: 'b' } } },
    ]);
  });

  it("selects Flink's HA ConfigMaps by its labels and the cluster id in effect", () => {
    expect(highAvailabilityConfigMapSelector(flinkClusterId(parseFlinkCluster(cluster({}))))).toBe(
      'app=c,type=flink-native-kubernetes',
    );
    const renamed = parseFlinkCluster(cluster({ flinkConfiguration: { 'kubernetes.cluster-id': 'other' } }));
    expect(flinkClusterId(renamed)).toBe('other');
  });

  it('tells the machine how the cleanup Job stands', () => {
    const labels = { [LABELS.role]: 'cleanup' };
    expect(readStorageCleanup(undefined)).toBe('absent');
    expect(readStorageCleanup({ metadata: { labels: { [LABELS.role]: 'bootstrap' } } })).toBe('absent');
    expect(readStorageCleanup({ metadata: { labels }, status: {} })).toBe('active');
    expect(readStorageCleanup({ metadata: { labels }, status: { succeeded: 1 } })).toBe('succeeded');
    expect(
      readStorageCleanup({
        metadata: { labels },
        status: { conditions: [{ type: 'Failed', status: 'True' } as never] },
      }),
    ).toBe('failed');
  });

  it('keeps only S3 savepoint locations, once each', () => {
    expect(s3Paths(['s3://b/sp/1', 'file:///d/sp', null, undefined, 's3a://b/sp/2', 's3://b/sp/1'])).toEqual([
      's3://b/sp/1',
      's3a://b/sp/2',
    ]);
  });
});
