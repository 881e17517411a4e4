// The policies are declared once (JobPolicySchema, ClusterPolicySchema in policies.ts): the
// defaults satisfy them, and the persisted snapshot keeps exactly their fields in the format
// snapshots were always written in, so a snapshot written before the schemas moved still restores.
import { describe, expect, it } from 'vitest';
import type { PersistedEnvelope } from '../../../src/machines/envelope.ts';
import {
  decodeClusterEnvelope,
  decodeJobEnvelope,
  encodeClusterSnapshot,
  encodeJobSnapshot,
} from '../../../src/machines/persistence.ts';
import {
  ClusterPolicySchema,
  DEFAULT_CLUSTER_POLICY,
  DEFAULT_JOB_POLICY,
  jobManagerReplicas,
  JobPolicySchema,
} from '../../../src/machines/policies.ts';
import type { ClusterPolicy, JobPolicy } from '../../../src/machines/policies.ts';
import { UID, runningClusterContext, runningJobContext } from './support.ts';

// Written out by hand, as status.machine.context.policy has always looked: if a field is renamed,
// retyped or added without a migration, these stop restoring.
const PERSISTED_JOB_POLICY = {
  savepointMode: 'Manual',
  savepointIntervalSeconds: 0,
  savepointTargetPath: 's3://bucket/savepoints/ns/cluster/job',
  initialSavepointPath: null,
  savepointOnDelete: true,
  restartPolicy: 'OnlyIfFailed',
  restartDelaySeconds: 30,
  restartTimeoutSeconds: 120,
  taskTimeoutSeconds: 600,
  jobParallelism: 4,
  minJobParallelism: 1,
  maxJobParallelism: 8,
} as const;

const PERSISTED_CLUSTER_POLICY = {
  taskSlots: 2,
  taskManagers: 3,
  minTaskManagers: 1,
  maxTaskManagers: 10,
  rescalePolicy: 'None',
  rescaleDelaySeconds: 90,
  taskTimeoutSeconds: 600,
  jobManagerReplicas: 2,
  autoClean: true,
} as const;

/** Policy fields added after snapshots were first persisted: an older snapshot lacks them. */
const ADDED_CLUSTER_POLICY_KEYS: readonly string[] = ['jobManagerReplicas', 'autoClean'];
/** Job policy fields added after version 1 of the envelope: optional, older snapshots lack them. */
const ADDED_JOB_POLICY_KEYS: readonly string[] = [
  'upgradeMode',
  'drainOnStop',
  'maxCheckpointAgeSeconds',
  'healthCheckWindowSeconds',
  'healthCheckMaxRestarts',
  'rollback',
  'autoscalerParallelism',
  'adaptiveScheduler',
];

function persistedJob(policy: unknown): PersistedEnvelope {
  const envelope = encodeJobSnapshot({ value: { Started: 'Running' }, context: runningJobContext() });
  return JSON.parse(JSON.stringify({ ...envelope, context: { ...envelope.context, policy } }));
}

function persistedCluster(policy: unknown): PersistedEnvelope {
  const envelope = encodeClusterSnapshot({ value: { Started: 'Idle' }, context: runningClusterContext() });
  return JSON.parse(JSON.stringify({ ...envelope, context: { ...envelope.context, policy } }));
}

describe('policy schemas', () => {
  it('accept the defaults the machines start with', () => {
    expect(JobPolicySchema.parse(DEFAULT_JOB_POLICY)).toEqual(DEFAULT_JOB_POLICY);
    expect(ClusterPolicySchema.parse(DEFAULT_CLUSTER_POLICY)).toEqual(DEFAULT_CLUSTER_POLICY);
  });

  it('name every field of the policies (and the hand-written persisted ones)', () => {
    const jobKeys: readonly (keyof JobPolicy)[] = JobPolicySchema.keyof().options;
    const clusterKeys: readonly (keyof ClusterPolicy)[] = ClusterPolicySchema.keyof().options;
    expect([...jobKeys].sort()).toEqual(Object.keys(DEFAULT_JOB_POLICY).sort());
    expect(jobKeys.filter((key) => !ADDED_JOB_POLICY_KEYS.includes(key)).sort()).toEqual(
      Object.keys(PERSISTED_JOB_POLICY).sort(),
    );
    expect([...clusterKeys].sort()).toEqual(Object.keys(DEFAULT_CLUSTER_POLICY).sort());
    expect([...clusterKeys].sort()).toEqual(Object.keys(PERSISTED_CLUSTER_POLICY).sort());
  });

  it('reject what a CRD spec can never give: negative, fractional or infinite counts, unknown enums', () => {
    for (const bad of [
      { jobParallelism: -1 },
      { maxJobParallelism: 2.5 },
      { restartDelaySeconds: Number.POSITIVE_INFINITY },
      { savepointMode: 'Sometimes' },
      { restartPolicy: 'OnFailure' },
      { savepointTargetPath: undefined },
    ]) {
      expect(JobPolicySchema.safeParse({ ...DEFAULT_JOB_POLICY, ...bad }).success, JSON.stringify(bad)).toBe(
        false,
      );
    }
    for (const bad of [{ taskSlots: -1 }, { taskManagers: 1.5 }, { rescalePolicy: 'Auto' }]) {
      expect(ClusterPolicySchema.safeParse({ ...DEFAULT_CLUSTER_POLICY, ...bad }).success).toBe(false);
    }
  });
});

describe('persisted policies', () => {
  it('restore a job snapshot with its policy and write it back unchanged', () => {
    const envelope = persistedJob(PERSISTED_JOB_POLICY);
    const decoded = decodeJobEnvelope(envelope, UID);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.state.context.policy).toEqual(PERSISTED_JOB_POLICY);
    expect(JSON.parse(JSON.stringify(encodeJobSnapshot(decoded.state)))).toEqual(envelope);
  });

  it('restore a cluster snapshot with its policy and write it back unchanged', () => {
    const envelope = persistedCluster(PERSISTED_CLUSTER_POLICY);
    const decoded = decodeClusterEnvelope(envelope, UID);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.state.context.policy).toEqual(PERSISTED_CLUSTER_POLICY);
    expect(JSON.parse(JSON.stringify(encodeClusterSnapshot(decoded.state)))).toEqual(envelope);
  });

  it('restore a job snapshot persisted before upgrade modes: their fields stay absent (savepoint, no drain)', () => {
    const decoded = decodeJobEnvelope(persistedJob(PERSISTED_JOB_POLICY), UID);
    expect(decoded.ok && decoded.state.context.policy).not.toHaveProperty('upgradeMode');
  });

  it('drop policy fields the schema does not know', () => {
    const decoded = decodeJobEnvelope(persistedJob({ ...PERSISTED_JOB_POLICY, retired: 1 }), UID);
    expect(decoded.ok && decoded.state.context.policy).toEqual(PERSISTED_JOB_POLICY);
  });

  it.each(JobPolicySchema.keyof().options.filter((key) => !ADDED_JOB_POLICY_KEYS.includes(key)))(
    'refuse a job snapshot whose policy lacks %s',
    (key) => {
      const { [key as keyof typeof PERSISTED_JOB_POLICY]: _missing, ...policy } = PERSISTED_JOB_POLICY;
      const decoded = decodeJobEnvelope(persistedJob(policy), UID);
      expect(decoded.ok ? null : decoded.failure.reason).toBe('SnapshotInvalid');
      expect(decoded.ok ? '' : decoded.failure.message).toContain(`policy.${key}`);
    },
  );

  it.each(ClusterPolicySchema.keyof().options.filter((key) => !ADDED_CLUSTER_POLICY_KEYS.includes(key)))(
    'refuse a cluster snapshot whose policy lacks %s',
    (key) => {
      const { [key]: _missing, ...policy } = PERSISTED_CLUSTER_POLICY;
      const decoded = decodeClusterEnvelope(persistedCluster(policy), UID);
      expect(decoded.ok ? null : decoded.failure.reason).toBe('SnapshotInvalid');
      expect(decoded.ok ? '' : decoded.failure.message).toContain(`policy.${key}`);
    },
  );

  it('restore a cluster snapshot written before JobManager HA as one JobManager, no leader, no failover', () => {
    const { jobManagerReplicas: _added, ...policy } = PERSISTED_CLUSTER_POLICY;
    const envelope = persistedCluster(policy);
    const context = envelope.context as Record<string, unknown>;
    delete context['jobManagerLeader'];
    delete context['jobManagerLeaderId'];
    delete context['jobManagerFailovers'];
    delete context['lastFailoverAt'];
    const decoded = decodeClusterEnvelope(envelope, UID);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(jobManagerReplicas(decoded.state.context.policy)).toBe(1);
    expect(decoded.state.context).toMatchObject({
      jobManagerLeader: null,
      jobManagerLeaderId: null,
      jobManagerFailovers: 0,
      lastFailoverAt: null,
    });
  });

  it('restore a cluster snapshot written before pod disruptions were recorded as one that recorded none', () => {
    const envelope = persistedCluster(PERSISTED_CLUSTER_POLICY);
    const context = envelope.context as Record<string, unknown>;
    delete context['lastDisruption'];
    delete context['podDisruptions'];
    const decoded = decodeClusterEnvelope(envelope, UID);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.state.context).toMatchObject({ lastDisruption: null, podDisruptions: 0 });
  });

  it('restore a cluster snapshot written before autoClean as one that cleans no storage and is not cleaning up', () => {
    const { autoClean: _added, ...policy } = PERSISTED_CLUSTER_POLICY;
    const envelope = persistedCluster(policy);
    delete (envelope.context as Record<string, unknown>)['cleanup'];
    const decoded = decodeClusterEnvelope(envelope, UID);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.state.context.policy.autoClean).toBeUndefined();
    expect(decoded.state.context.cleanup).toBeNull();
  });
});
