import { describe, expect, it } from 'vitest';
import { completeEvent, mergeDeep, whatIf, WhatIfError } from '../../../src/visualizer/what-if.ts';
import {
  jobObservation,
  jobPolicy,
  runningClusterContext,
  runningJobContext,
  T0,
} from '../machines/support.ts';

const running = { value: { Started: 'Running' }, context: runningJobContext({ observed: jobObservation() }) };

describe('completeEvent', () => {
  it('dates a request after everything the machine has seen, so it is not ignored as stale', () => {
    const context = runningJobContext({ now: T0 + 5000, lastObservedAt: T0 + 4000 });
    const event = completeEvent(
      'job',
      { value: running.value, context },
      { type: 'ACTION_REQUESTED', action: 'STOP' },
      T0,
    );
    expect(event).toEqual({
      type: 'ACTION_REQUESTED',
      action: 'STOP',
      withoutSavepoint: false,
      at: T0 + 5001,
      requestedAt: T0 + 5001,
    });
  });

  it('builds an OBSERVED on the last observation and policy', () => {
    const event = completeEvent(
      'job',
      running,
      { type: 'OBSERVED', observation: { cluster: { ready: false } }, policy: { jobParallelism: 4 } },
      T0 + 10,
    );
    expect(event['observation']).toEqual({
      ...jobObservation(),
      cluster: { ...jobObservation().cluster, ready: false },
    });
    expect(event['policy']).toEqual({ ...jobPolicy(), jobParallelism: 4 });
    expect(event['at']).toBe(T0 + 10);
  });

  it('needs a complete observation when the machine has observed nothing', () => {
    const fresh = { value: 'Unknown', context: runningJobContext({ observed: null }) };
    expect(() => completeEvent('job', fresh, { type: 'OBSERVED' }, T0)).toThrow(/observed nothing yet/);
    expect(() =>
      completeEvent(
        'job',
        fresh,
        { type: 'OBSERVED', observation: jobObservation(), policy: jobPolicy() },
        T0,
      ),
    ).not.toThrow();
  });

  it('rejects unknown fields and event types with a readable reason', () => {
    expect(() =>
      completeEvent('job', running, { type: 'ACTION_REQUESTED', action: 'STOP', x: 1 }, T0),
    ).toThrow(WhatIfError);
    expect(() =>
      completeEvent('job', running, { type: 'OBSERVED', observation: { extra: true } }, T0),
    ).toThrow(/invalid observation/);
    expect(() => completeEvent('job', running, { type: 'xstate.done.actor.persist' }, T0)).toThrow(
      /no effect "persist" runs in Started.Running/,
    );
    expect(() => completeEvent('job', running, null, T0)).toThrow(/event.type must be/);
  });
});

describe('whatIf', () => {
  it('predicts an effect failure', () => {
    const answer = whatIf('job', 'a', running, { type: 'xstate.error.actor.savepointDue' }, T0 + 1);
    expect(answer.event.label).toBe('error(savepointDue)');
    expect(answer.from).toBe('Started.Running');
  });

  it('works on the cluster machine', () => {
    const answer = whatIf(
      'cluster',
      'c',
      { value: { Started: 'Idle' }, context: runningClusterContext() },
      { type: 'ACTION_REQUESTED', action: 'STOP', withoutSavepoint: true },
      T0 + 1,
    );
    expect(answer).toMatchObject({ to: 'Stopping.WaitingForJobs', state: 'Stopping' });
    expect(answer.started.map((effect) => effect.id)).toEqual(['jobsStopTimeout']);
    expect(answer.context['stop']).toMatchObject({ withoutSavepoint: true, reason: 'Manual' });
  });
});

describe('mergeDeep', () => {
  it('merges nested objects and replaces everything else', () => {
    expect(mergeDeep({ a: { b: 1, c: 2 }, d: [1], e: 1 }, { a: { c: 3 }, d: [2], f: null })).toEqual({
      a: { b: 1, c: 3 },
      d: [2],
      e: 1,
      f: null,
    });
    expect(mergeDeep(null, { a: 1 })).toEqual({ a: 1 });
  });
});
