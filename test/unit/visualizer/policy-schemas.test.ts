// The visualizer reads the policies through the machines' schemas (policies.ts): the sanitizer shows
// every field the schema names, and what-if accepts exactly the schema, no field more, none less.
import { describe, expect, it } from 'vitest';
import { ClusterPolicySchema, JobPolicySchema } from '../../../src/machines/policies.ts';
import type { ClusterPolicy, JobPolicy } from '../../../src/machines/policies.ts';
import { CONTEXT_SHAPES, sanitizeContext, summarizeEvent } from '../../../src/visualizer/sanitize.ts';
import { completeEvent, WhatIfError } from '../../../src/visualizer/what-if.ts';
import {
  clusterObservation,
  jobObservation,
  runningClusterContext,
  runningJobContext,
  T0,
} from '../machines/support.ts';

// A value in every field that differs from the defaults, so nothing passes by coincidence.
const JOB_POLICY: JobPolicy = {
  savepointMode: 'Manual',
  savepointIntervalSeconds: 900,
  savepointTargetPath: 's3://bucket/savepoints',
  initialSavepointPath: 's3://bucket/savepoints/savepoint-0',
  savepointOnDelete: true,
  restartPolicy: 'Always',
  restartDelaySeconds: 15,
  restartTimeoutSeconds: 240,
  taskTimeoutSeconds: 120,
  jobParallelism: 6,
  minJobParallelism: 2,
  maxJobParallelism: 12,
};

const CLUSTER_POLICY: ClusterPolicy = {
  taskSlots: 4,
  taskManagers: 5,
  minTaskManagers: 1,
  maxTaskManagers: 9,
  rescalePolicy: 'None',
  rescaleDelaySeconds: 45,
  taskTimeoutSeconds: 150,
};

const JOB_KEYS = JobPolicySchema.keyof().options;
const CLUSTER_KEYS = ClusterPolicySchema.keyof().options;

const job = (policy: unknown) => ({
  value: { Started: 'Running' },
  context: { ...runningJobContext({ observed: jobObservation() }), policy },
});
const cluster = (policy: unknown) => ({
  value: { Started: 'Idle' },
  context: { ...runningClusterContext({ observed: clusterObservation() }), policy },
});

describe('the sanitizer', () => {
  it('allows exactly the keys of the policy schemas', () => {
    const shapes = CONTEXT_SHAPES as Record<'job' | 'cluster', { policy: object }>;
    expect(Object.keys(shapes.job.policy).sort()).toEqual([...JOB_KEYS].sort());
    expect(Object.keys(shapes.cluster.policy).sort()).toEqual([...CLUSTER_KEYS].sort());
  });

  it('keeps every policy field of a context and of an OBSERVED event', () => {
    expect(sanitizeContext('job', job(JOB_POLICY).context)['policy']).toEqual(JOB_POLICY);
    expect(sanitizeContext('cluster', cluster(CLUSTER_POLICY).context)['policy']).toEqual(CLUSTER_POLICY);
    const observed = (policy: unknown) => ({ type: 'OBSERVED', at: T0, policy, observation: {} });
    expect(summarizeEvent('job', observed(JOB_POLICY)).fields['policy']).toEqual(JOB_POLICY);
    expect(summarizeEvent('cluster', observed(CLUSTER_POLICY)).fields['policy']).toEqual(CLUSTER_POLICY);
  });

  it('drops policy fields the schemas do not name', () => {
    const view = sanitizeContext('job', job({ ...JOB_POLICY, smuggled: 'x' }).context);
    expect(view['policy']).toEqual(JOB_POLICY);
  });
});

describe('what-if', () => {
  it('takes the live policy as it is, with every field of the schema', () => {
    const jobEvent = completeEvent('job', job(JOB_POLICY), { type: 'OBSERVED' }, T0 + 10);
    expect(jobEvent['policy']).toEqual(JOB_POLICY);
    const clusterEvent = completeEvent('cluster', cluster(CLUSTER_POLICY), { type: 'OBSERVED' }, T0 + 10);
    expect(clusterEvent['policy']).toEqual(CLUSTER_POLICY);
  });

  it('accepts a change to any field the schema names', () => {
    const event = completeEvent(
      'job',
      job(JOB_POLICY),
      { type: 'OBSERVED', policy: { restartPolicy: 'Never', savepointTargetPath: null } },
      T0 + 10,
    );
    expect(event['policy']).toEqual({ ...JOB_POLICY, restartPolicy: 'Never', savepointTargetPath: null });
  });

  it('refuses a field the schema does not name', () => {
    expect(() =>
      completeEvent('job', job(JOB_POLICY), { type: 'OBSERVED', policy: { savepointEvery: 1 } }, T0),
    ).toThrow(/invalid policy/);
    expect(() =>
      completeEvent('cluster', cluster(CLUSTER_POLICY), { type: 'OBSERVED', policy: { slots: 1 } }, T0),
    ).toThrow(/invalid policy/);
  });

  it('refuses values the schema refuses', () => {
    for (const policy of [{ jobParallelism: -1 }, { jobParallelism: 1.5 }, { restartPolicy: 'Sometimes' }]) {
      expect(() => completeEvent('job', job(JOB_POLICY), { type: 'OBSERVED', policy }, T0)).toThrow(
        WhatIfError,
      );
    }
  });

  // The upgrade settings came later and may be absent (snapshots from before them).
  const LATER_JOB_KEYS: readonly string[] = [
    'upgradeMode',
    'drainOnStop',
    'maxCheckpointAgeSeconds',
    'healthCheckWindowSeconds',
    'healthCheckMaxRestarts',
    'rollback',
    'autoscalerParallelism',
    'adaptiveScheduler',
  ];
  it.each(JOB_KEYS.filter((key) => !LATER_JOB_KEYS.includes(key)))('needs the job policy field %s', (key) => {
    const { [key]: _missing, ...policy } = JOB_POLICY;
    expect(() => completeEvent('job', job(policy), { type: 'OBSERVED' }, T0)).toThrow(
      new RegExp(`invalid policy: ${key}:`),
    );
  });

  // jobManagerReplicas and autoClean came later and may be absent (snapshots from before them).
  it.each(CLUSTER_KEYS.filter((key) => key !== 'jobManagerReplicas' && key !== 'autoClean'))(
    'needs the cluster policy field %s',
    (key) => {
      const { [key]: _missing, ...policy } = CLUSTER_POLICY;
      expect(() => completeEvent('cluster', cluster(policy), { type: 'OBSERVED' }, T0)).toThrow(
        new RegExp(`invalid policy: ${key}:`),
      );
    },
  );
});
