import { describe, expect, it } from 'vitest';
import { DEFAULT_SUPERVISOR_RESOURCES } from '../../../src/api/flink-cluster.ts';
import { supervisorDeployment } from '../../../src/operator/supervisor-deployment.ts';
import {
  SUPERVISOR_MIN_OLD_SPACE_MIB,
  quantityBytes,
  supervisorMemoryEnv,
  supervisorNodeOptions,
} from '../../../src/operator/supervisor-memory.ts';
import { parseFlinkCluster } from '../../../src/api/parse.ts';

describe('quantityBytes', () => {
  it('reads binary, decimal, exponent and plain quantities', () => {
    expect(quantityBytes('256Mi')).toBe(256 * 2 ** 20);
    expect(quantityBytes('1Gi')).toBe(2 ** 30);
    expect(quantityBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityBytes('128M')).toBe(128e6);
    expect(quantityBytes('1e9')).toBe(1e9);
    expect(quantityBytes('268435456')).toBe(268435456);
    expect(quantityBytes(1024)).toBe(1024);
  });

  it('gives up on what is not a quantity', () => {
    expect(quantityBytes('lots')).toBeUndefined();
    expect(quantityBytes('12Qi')).toBeUndefined();
  });
});

describe('supervisorNodeOptions', () => {
  it('ends the old space 64 MiB below the memory limit and bounds the young generation', () => {
    expect(supervisorNodeOptions('256Mi')).toBe('--max-old-space-size=192 --max-semi-space-size=2');
    expect(supervisorNodeOptions('128Mi')).toBe('--max-old-space-size=64 --max-semi-space-size=2');
  });

  it('never gives less than the minimum old space, and no old-space limit without a readable limit', () => {
    expect(supervisorNodeOptions('64Mi')).toBe(
      `--max-old-space-size=${SUPERVISOR_MIN_OLD_SPACE_MIB} --max-semi-space-size=2`,
    );
    expect(supervisorNodeOptions(undefined)).toBe('--max-semi-space-size=2');
    expect(supervisorNodeOptions('lots')).toBe('--max-semi-space-size=2');
  });
});

describe('the supervisor Deployment', () => {
  const cluster = (resources?: object) =>
    parseFlinkCluster({
      apiVersion: 'flinkvisor.io/v1',
      kind: 'FlinkCluster',
      metadata: { name: 'c', namespace: 'ns', uid: 'u' },
      spec: {
        runtime: { image: 'flink:1.20.3' },
        supervisor: { image: 'flinkvisor:0.1.0', ...(resources ? { resources } : {}) },
      },
    });

  it('gives the container the memory settings of its limit', () => {
    const env = (c: ReturnType<typeof cluster>) =>
      supervisorDeployment(c).spec?.template.spec?.containers[0]?.env ?? [];
    expect(env(cluster())).toEqual(
      expect.arrayContaining(supervisorMemoryEnv(DEFAULT_SUPERVISOR_RESOURCES.limits.memory)),
    );
    expect(env(cluster({ limits: { memory: '512Mi' } }))).toContainEqual({
      name: 'NODE_OPTIONS',
      value: '--max-old-space-size=448 --max-semi-space-size=2',
    });
    expect(env(cluster({ limits: { memory: '512Mi' } }))).toContainEqual({
      name: 'MALLOC_MMAP_THRESHOLD_',
      value: '16384',
    });
    expect(env(cluster({ limits: { memory: '512Mi' } }))).toContainEqual({
      name: 'MALLOC_ARENA_MAX',
      value: '2',
    });
  });
});
