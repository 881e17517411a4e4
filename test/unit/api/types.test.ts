import type {
  V1Affinity,
  V1Container,
  V1ContainerPort,
  V1EnvFromSource,
  V1EnvVar,
  V1LocalObjectReference,
  V1ObjectMeta,
  V1PodSecurityContext,
  V1SecurityContext,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { FlinkCluster, JobManagerSpec } from '../../../src/api/flink-cluster.ts';
import type { BootstrapSpec, FlinkJob } from '../../../src/api/flink-job.ts';
import { toV1ResourceRequirements } from '../../../src/api/kubernetes-types.ts';
import type { localObjectReference } from '../../../src/api/kubernetes-types.ts';
import type { z } from 'zod';

// The supervisor builds pods from these fields with client-node's models: the types must fit
// without casts (checked by `npm run typecheck`, which covers this file).
type Item<T> = T extends readonly (infer U)[] ? U : never;

describe('TypeScript types', () => {
  it('embedded core types fit the client-node models', () => {
    expectTypeOf<Item<NonNullable<JobManagerSpec['environment']>>>().toExtend<V1EnvVar>();
    expectTypeOf<Item<NonNullable<JobManagerSpec['environmentFrom']>>>().toExtend<V1EnvFromSource>();
    expectTypeOf<Item<NonNullable<JobManagerSpec['volumes']>>>().toExtend<V1Volume>();
    expectTypeOf<Item<NonNullable<JobManagerSpec['volumeMounts']>>>().toExtend<V1VolumeMount>();
    expectTypeOf<Item<NonNullable<JobManagerSpec['extraPorts']>>>().toExtend<V1ContainerPort>();
    expectTypeOf<Item<NonNullable<JobManagerSpec['sideContainers']>>>().toExtend<V1Container>();
    expectTypeOf<Item<NonNullable<JobManagerSpec['tolerations']>>>().toExtend<V1Toleration>();
    expectTypeOf<
      Item<NonNullable<JobManagerSpec['topologySpreadConstraints']>>
    >().toExtend<V1TopologySpreadConstraint>();
    expectTypeOf<NonNullable<JobManagerSpec['affinity']>>().toExtend<V1Affinity>();
    expectTypeOf<NonNullable<BootstrapSpec['securityContext']>>().toExtend<V1SecurityContext>();
    expectTypeOf<NonNullable<BootstrapSpec['podSecurityContext']>>().toExtend<V1PodSecurityContext>();
    expectTypeOf<z.infer<typeof localObjectReference>>().toExtend<V1LocalObjectReference>();
    expectTypeOf<FlinkCluster['metadata']>().toEqualTypeOf<V1ObjectMeta>();
    expectTypeOf<FlinkJob['spec']['clusterName']>().toEqualTypeOf<string>();
    expectTypeOf<FlinkJob['spec']['savepoint']['savepointMode']>().toEqualTypeOf<'Automatic' | 'Manual'>();
  });

  it('converts quantities to the strings client-node expects', () => {
    expect(
      toV1ResourceRequirements({ limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: '500m' } }),
    ).toEqual({
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '500m' },
    });
    expect(toV1ResourceRequirements({})).toEqual({});
  });
});
