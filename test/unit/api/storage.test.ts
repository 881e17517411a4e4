import { describe, expect, it } from 'vitest';
import { parseFlinkClusterSpecOrThrow } from './helpers.ts';
import {
  clusterFlinkConfiguration,
  defaultSavepointTargetPath,
  storageBaseUri,
  storageCredentialEnv,
  storageDirectories,
} from '../../../src/api/storage.ts';

describe('storage helper', () => {
  it('builds the base URI from scheme and baseDir', () => {
    expect(storageBaseUri({ scheme: 'file', baseDir: '/flink-data/' })).toBe('file:///flink-data');
    expect(storageBaseUri({ scheme: 's3', baseDir: 'bucket/flink' })).toBe('s3://bucket/flink');
  });

  it('gives each namespace and cluster its own checkpoint, savepoint and HA directories', () => {
    const storage = { scheme: 's3', baseDir: 'bucket/flink' };
    expect(storageDirectories(storage, 'team-a', 'demo')).toEqual({
      checkpoints: 's3://bucket/flink/checkpoints/team-a/demo',
      savepoints: 's3://bucket/flink/savepoints/team-a/demo',
      highAvailability: 's3://bucket/flink/ha/team-a/demo',
    });
    expect(defaultSavepointTargetPath(storage, 'team-a', 'demo', 'demo-wordcount')).toBe(
      's3://bucket/flink/savepoints/team-a/demo/demo-wordcount',
    );
  });

  it('derives the Flink configuration, and explicit flinkConfiguration entries win', () => {
    const spec = parseFlinkClusterSpecOrThrow({
      runtime: { image: 'flink' },
      supervisor: { image: 'flinkvisor' },
      taskManager: { taskSlots: 4 },
      storage: {
        scheme: 's3',
        baseDir: 'bucket/flink',
        s3: { endpoint: 'http://minio:9000', pathStyleAccess: true },
      },
      flinkConfiguration: {
        'execution.checkpointing.dir': 's3://elsewhere/cp',
        'state.backend.type': 'rocksdb',
      },
    });
    expect(clusterFlinkConfiguration(spec, 'ns', 'demo')).toEqual({
      'taskmanager.numberOfTaskSlots': '4',
      'execution.checkpointing.dir': 's3://elsewhere/cp',
      'execution.checkpointing.savepoint-dir': 's3://bucket/flink/savepoints/ns/demo',
      'high-availability.storageDir': 's3://bucket/flink/ha/ns/demo',
      's3.endpoint': 'http://minio:9000',
      's3.path.style.access': 'true',
      's3.directory.marker.retention': 'keep',
      'state.backend.type': 'rocksdb',
    });
  });

  it('passes S3 credentials as Secret references, never as values', () => {
    expect(storageCredentialEnv(undefined)).toEqual([]);
    const spec = parseFlinkClusterSpecOrThrow({
      runtime: { image: 'flink' },
      supervisor: { image: 'flinkvisor' },
      storage: { scheme: 's3a', baseDir: 'bucket', s3: { credentialsSecret: { name: 's3-credentials' } } },
    });
    expect(storageCredentialEnv(spec.storage)).toEqual([
      {
        name: 'AWS_ACCESS_KEY_ID',
        valueFrom: { secretKeyRef: { name: 's3-credentials', key: 'AWS_ACCESS_KEY_ID' } },
      },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 's3-credentials', key: 'AWS_SECRET_ACCESS_KEY' } },
      },
    ]);
  });
});
