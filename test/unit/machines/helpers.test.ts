// The pure helpers the supervisor shares with the machines: sizing, clamps, restart policy,
// deterministic ids and digests, the views the two machines exchange, and "what would happen".
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import {
  fnv1a128,
  flinkJobId,
  hash128,
  savepointTriggerId,
  specDigest,
  stableStringify,
} from '../../../src/machines/ids.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import {
  DEFAULT_JOB_POLICY,
  clampCount,
  desiredTaskManagers,
  effectiveParallelism,
  requiredSlots,
  restartAllowed,
} from '../../../src/machines/policies.ts';
import type { JobStopReason, RestartPolicy } from '../../../src/machines/policies.ts';
import { predict } from '../../../src/machines/predict.ts';
import {
  clusterHealth,
  clusterResourceStatus,
  clusterView,
  jobResourceStatus,
  jobSummary,
  lifecycleState,
} from '../../../src/machines/views.ts';
import {
  SECOND,
  T0,
  clusterObservation,
  clusterPolicy,
  requested,
  runningClusterContext,
  runningJobContext,
} from './support.ts';

describe('sizing and clamps', () => {
  it.each([
    [0, 3, 0],
    [1, 4, 1],
    [3, 3, 1],
    [4, 3, 2],
    [7, 2, 4],
  ])('%i slots with %i per TaskManager need %i TaskManagers', (slots, taskSlots, expected) => {
    const policy = clusterPolicy({
      taskSlots,
      rescalePolicy: 'JobParallelism',
      minTaskManagers: 0,
      maxTaskManagers: 32,
    });
    expect(desiredTaskManagers(policy, [{ state: 'Started', parallelism: slots }])).toBe(expected);
  });

  it('counts only jobs that hold slots, and clamps to min and max', () => {
    const jobs = [
      { state: 'Starting', parallelism: 2 },
      { state: 'Stopping', parallelism: 3 },
      { state: 'Stopped', parallelism: 8 },
      { state: 'Unknown', parallelism: 8 },
    ];
    expect(requiredSlots(jobs)).toBe(5);
    expect(desiredTaskManagers(clusterPolicy({ taskSlots: 1, maxTaskManagers: 4 }), jobs)).toBe(4);
    expect(desiredTaskManagers(clusterPolicy({ taskSlots: 1, minTaskManagers: 6 }), jobs)).toBe(6);
  });

  it('uses taskManagers with rescalePolicy None or without jobs', () => {
    expect(
      desiredTaskManagers(clusterPolicy({ rescalePolicy: 'None', taskManagers: 3 }), [
        { state: 'Started', parallelism: 9 },
      ]),
    ).toBe(3);
    expect(desiredTaskManagers(clusterPolicy({ taskManagers: 2 }), [])).toBe(2);
    expect(desiredTaskManagers(clusterPolicy({ taskManagers: 50, maxTaskManagers: 10 }), [])).toBe(10);
  });

  it('clamps counts: negative, fractional, inverted bounds', () => {
    expect(clampCount(-3, 0, 10)).toBe(0);
    expect(clampCount(2.7, 0, 10)).toBe(2);
    expect(clampCount(5, 8, 4)).toBe(4);
    expect(clampCount(Number.NaN, 1, 4)).toBe(1);
    expect(effectiveParallelism({ ...DEFAULT_JOB_POLICY, jobParallelism: 50, maxJobParallelism: 8 })).toBe(8);
    expect(effectiveParallelism({ ...DEFAULT_JOB_POLICY, jobParallelism: 0 })).toBe(0);
  });
});

describe('restart policy', () => {
  const reasons: JobStopReason[] = [
    'Manual',
    'Finished',
    'Canceled',
    'Failed',
    'Lost',
    'StartTimedOut',
    'BootstrapFailed',
    'ClusterStopped',
    'Suspended',
    'Deleted',
  ];
  const expected: Record<RestartPolicy, JobStopReason[]> = {
    Never: [],
    OnlyIfFailed: ['Failed', 'Lost', 'StartTimedOut', 'BootstrapFailed'],
    Always: ['Finished', 'Canceled', 'Failed', 'Lost', 'StartTimedOut', 'BootstrapFailed'],
  };
  it.each(Object.entries(expected))('%s restarts exactly %j', (policy, allowed) => {
    expect(reasons.filter((reason) => restartAllowed(policy as RestartPolicy, reason))).toEqual(allowed);
    expect(restartAllowed(policy as RestartPolicy, null)).toBe(false);
  });
});

describe('ids and digests', () => {
  it('FNV-1a 128 matches the reference vectors', () => {
    expect(fnv1a128('')).toBe('6c62272e07bb014262b821756295c58d');
    expect(fnv1a128('a')).toBe('d228cb696f1a8caf78912b704e4a8964');
  });

  it('FNV-1a 128 in 16-bit limbs gives what the BigInt definition gives, for any text', () => {
    // The definition, byte by byte on BigInts (what the ids were computed with before): every id
    // and digest already stored in a status must come out the same.
    const definition = (text: string): string => {
      let hash = 0x6c62272e07bb014262b821756295c58dn;
      for (const byte of Buffer.from(text, 'utf8')) {
        hash ^= BigInt(byte);
        hash = (hash * 0x0000000001000000000000000000013bn) & ((1n << 128n) - 1n);
      }
      return hash.toString(16).padStart(32, '0');
    };
    const texts = [
      '',
      'a',
      'flinkvisor/job/0b7d-uid/seed/1',
      '{"bootstrap":{"jarURI":"s3://bucket/job.jar","args":["--x","é"]}}',
      'ünïcödé ✓ 日本 𝄞 emoji 🎉',
      'x'.repeat(1000),
    ];
    // Pseudo-random texts over a mixed alphabet (one to four UTF-8 bytes a character).
    const alphabet = ['a', 'Z', '0', '{', '"', 'é', 'ß', '€', '日', '𝄞', '🎉', '\u0000', '\u007f', '\u0080'];
    let state = 1;
    for (let n = 0; n < 200; n++) {
      let text = '';
      for (let i = 0; i < n % 37; i++) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        text += alphabet[state % alphabet.length];
      }
      texts.push(text);
    }
    for (const text of texts) expect(fnv1a128(text), JSON.stringify(text)).toBe(definition(text));
  });

  it('job and trigger ids are Flink ids, deterministic, and differ in many digits', () => {
    const identity = { uid: 'u', idSeed: 's' };
    const ids = [
      flinkJobId(identity, 1),
      flinkJobId(identity, 2),
      savepointTriggerId(identity, 1),
      savepointTriggerId(identity, 2),
    ];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(4);
    expect(flinkJobId(identity, 1)).toBe(flinkJobId({ uid: 'u', idSeed: 's' }, 1));
    expect(flinkJobId({ uid: 'u', idSeed: 't' }, 1)).not.toBe(flinkJobId(identity, 1));
    const [a, b] = [savepointTriggerId(identity, 1), savepointTriggerId(identity, 2)];
    const same = [...a].filter((char, i) => char === b[i]).length;
    expect(same).toBeLessThan(12);
    expect(hash128('x')).not.toBe(fnv1a128('x'));
  });

  it('digests ignore key order but not values or array order', () => {
    expect(stableStringify({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(specDigest({ a: 1, b: 2 })).toBe(specDigest({ b: 2, a: 1 }));
    expect(specDigest({ env: ['A', 'B'] })).not.toBe(specDigest({ env: ['B', 'A'] }));
    expect(specDigest({ a: 1, skipped: undefined })).toBe(specDigest({ a: 1 }));
    expect(specDigest({ image: 'flink:2.3' })).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('views', () => {
  it('a healthy Started cluster with enough slots is ready for its jobs', () => {
    const observed = clusterObservation();
    const view = clusterView({
      value: { Started: 'Idle' },
      context: runningClusterContext({ observed, epoch: 3 }),
    });
    expect(view).toEqual({
      state: 'Started',
      healthy: true,
      ready: true,
      epoch: 3,
      stopWithoutSavepoint: false,
      startWithoutSavepoint: false,
      highAvailability: false,
      jobManagerGone: false,
    });
    expect(clusterHealth({ value: { Started: 'Idle' }, context: runningClusterContext({ observed }) })).toBe(
      'HEALTHY',
    );
    expect(
      clusterResourceStatus({ value: { Started: 'Idle' }, context: runningClusterContext({ observed }) }),
    ).toBe('Updated');
  });

  it('not ready without slots, unhealthy while unreachable, stopping without savepoint is told', () => {
    const short = clusterObservation({ flink: { reachable: true, slotsTotal: 1, jobs: [] } });
    expect(
      clusterView({ value: { Started: 'Idle' }, context: runningClusterContext({ observed: short }) }).ready,
    ).toBe(false);
    expect(
      clusterResourceStatus({
        value: { Started: 'Idle' },
        context: runningClusterContext({ observed: short }),
      }),
    ).toBe('Updating');
    const unreachable = runningClusterContext({
      observed: clusterObservation({ flink: { reachable: false } }),
    });
    expect(clusterView({ value: { Started: 'Unreachable' }, context: unreachable }).healthy).toBe(false);
    expect(clusterHealth({ value: { Started: 'Unreachable' }, context: unreachable })).toBe('UNHEALTHY');
    const stopping = runningClusterContext({
      stop: { reason: 'Manual', restart: false, delete: false, withoutSavepoint: true, jobsDeadline: null },
    });
    expect(
      clusterView({ value: { Stopping: 'WaitingForJobs' }, context: stopping }).stopWithoutSavepoint,
    ).toBe(true);
    expect(clusterHealth({ value: { Stopping: 'WaitingForJobs' }, context: stopping })).toBe('');
  });

  it('a job tells its cluster the parallelism it holds or needs', () => {
    const context = runningJobContext({ parallelism: 3 });
    expect(jobSummary('a', { value: { Started: 'Running' }, context })).toEqual({
      name: 'a',
      state: 'Started',
      parallelism: 3,
      jobId: context.jobId,
    });
    expect(
      jobSummary('a', {
        value: { Starting: 'WaitingForCluster' },
        context: runningJobContext({ policy: { ...DEFAULT_JOB_POLICY, jobParallelism: 5 } }),
      }).parallelism,
    ).toBe(5);
    expect(jobSummary('a', { value: { Stopped: 'Idle' }, context }).parallelism).toBe(0);
    expect(jobResourceStatus({ value: { Started: 'Running' }, context })).toBe('Updated');
    expect(jobResourceStatus({ value: { Started: { Savepointing: 'Awaiting' } }, context })).toBe('Updating');
    expect(lifecycleState({ Stopping: { Cancelling: 'Awaiting' } })).toBe('Stopping');
    expect(lifecycleState('Terminated')).toBe('Terminated');
  });
});

describe('predict', () => {
  it('tells the next state and the effects it would start, running nothing', () => {
    const context = runningJobContext();
    const prediction = predict(
      jobMachine,
      { value: { Started: 'Running' }, context },
      requested('TRIGGER_SAVEPOINT', T0 + SECOND),
    );
    expect(prediction.value).toEqual({ Started: { Savepointing: 'Recording' } });
    expect(prediction.state).toBe('Started');
    expect(prediction.started.map((effect) => effect.id).sort()).toEqual(['persist', 'savepointTimeout']);
    expect(prediction.started.find((effect) => effect.id === 'savepointTimeout')?.input).toEqual({
      deadline: T0 + SECOND + 300 * SECOND,
    });
    expect(prediction.stopped).toEqual(['savepointDue']);
  });

  it('works for the cluster machine too', () => {
    const prediction = predict(
      clusterMachine,
      { value: { Started: 'Idle' }, context: runningClusterContext() },
      requested('STOP', T0 + SECOND),
    );
    expect(prediction.value).toEqual({ Stopping: 'WaitingForJobs' });
    expect(prediction.started).toEqual([
      expect.objectContaining({ id: 'jobsStopTimeout', src: 'waitUntil' }),
    ]);
  });
});
