import { createActor, fromPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import { MachineJournal, viewOf } from '../../../src/visualizer/machine-journal.ts';
import { encodeJobSnapshot, restoreJobActor } from '../../../src/machines/persistence.ts';
import {
  FakeClock,
  FakeEffects,
  jobSnapshot,
  providedJobMachine,
  requested,
  runningJobContext,
  settle,
  T0,
} from '../machines/support.ts';
import { JOB_NAME, machineHarness } from './harness.ts';

function steps(journal: MachineJournal, name = JOB_NAME) {
  return (journal.entry('job', name)?.transitions ?? []).map((t) => `${t.event.label}: ${t.from} -> ${t.to}`);
}

describe('MachineJournal fed by inspect', () => {
  it('records each state change with its event, effects outcomes included', async () => {
    const h = machineHarness({ now: T0 });
    await h.job.start();
    await h.job.request('STOP');
    await h.job.observeRunning();
    expect(h.job.value).toEqual({ Stopped: 'Idle' });
    expect(steps(h.journal)).toEqual([
      'xstate.init:  -> Unknown',
      'OBSERVED: Unknown -> Starting.WaitingForCluster',
      'OBSERVED: Starting.WaitingForCluster -> Starting.Launching.Idle',
      'OBSERVED: Starting.Launching.Idle -> Starting.Launching.Recording',
      'done(persist): Starting.Launching.Recording -> Starting.Launching.CreatingBootstrap',
      'done(createBootstrap): Starting.Launching.CreatingBootstrap -> Starting.Launching.Submitted',
      'OBSERVED: Starting.Launching.Submitted -> Started.Running',
      'STOP requested: Started.Running -> Stopping.Idle',
      'OBSERVED: Stopping.Idle -> Stopping.SavepointStop.Recording',
      'done(persist): Stopping.SavepointStop.Recording -> Stopping.SavepointStop.Requesting',
      'done(stopWithSavepoint): Stopping.SavepointStop.Requesting -> Stopping.SavepointStop.Awaiting',
      'done(awaitSavepoint): Stopping.SavepointStop.Awaiting -> Stopped.Idle',
    ]);
    const last = h.journal.entry('job', JOB_NAME)?.transitions.at(-1);
    // The eventless step through Stopping.Done happened within the same event.
    expect(last?.via).toEqual(['Stopping.Done']);
    expect(last?.event.fields).toEqual({
      output: { status: 'COMPLETED', location: 's3://savepoints/sp-new' },
    });
    const view = h.journal.entry('job', JOB_NAME)?.view;
    expect(view).toMatchObject({ kind: 'job', name: JOB_NAME, state: 'Stopped', path: 'Stopped.Idle' });
    expect(view?.context['savepointPath']).toBe('s3://savepoints/sp-new');
    expect(h.errors).toEqual([]);
    h.stop();
  });

  it('keeps observations that change nothing out of the transitions', async () => {
    const h = machineHarness({ now: T0 });
    await h.job.start();
    const before = h.journal.entry('job', JOB_NAME)?.transitions.length;
    await h.job.observeRunning();
    await h.job.observeRunning();
    expect(h.journal.entry('job', JOB_NAME)?.transitions.length).toBe(before);
    // ...but the latest view follows them.
    expect(h.journal.entry('job', JOB_NAME)?.view.context['lastObservedAt']).toBe(
      h.job.context.lastObservedAt,
    );
    h.stop();
  });

  it('records a request, a decision or a notice even when the state stays', () => {
    const journal = new MachineJournal();
    const running = runningJobContext();
    journal.record('job', 'a', jobSnapshot({ Started: 'Running' }, running));
    const pending = { action: 'STOP' as const, withoutSavepoint: false, requestedAt: T0 + 1 };
    journal.record(
      'job',
      'a',
      jobSnapshot({ Started: 'Running' }, { ...running, pendingAction: pending }),
      requested('STOP', T0 + 1),
    );
    journal.record(
      'job',
      'a',
      jobSnapshot({ Started: 'Running' }, { ...running, pendingAction: pending, now: T0 + 2 }),
    );
    const transitions = journal.entry('job', 'a')?.transitions ?? [];
    expect(transitions.map((t) => [t.event.label, t.from, t.to])).toEqual([
      ['snapshot', '', 'Started.Running'],
      ['STOP requested', 'Started.Running', 'Started.Running'],
    ]);
  });

  it('keeps a bounded number of transitions and counts the dropped ones', async () => {
    const h = machineHarness({ now: T0, capacity: 3 });
    await h.job.start();
    const entry = h.journal.entry('job', JOB_NAME);
    expect(entry?.transitions).toHaveLength(3);
    expect(entry?.dropped).toBe(4);
    expect(entry?.transitions.map((t) => t.seq)).toEqual([5, 6, 7]);
    expect(entry?.transitions.at(-1)?.to).toBe('Started.Running');
    h.stop();
  });

  it('ignores the snapshots of invoked effects', async () => {
    const journal = new MachineJournal();
    const machine = jobMachine.provide({
      actors: {
        waitUntil: fromPromise(async () => ({})) as never,
      },
    });
    const actor = createActor(machine, {
      input: { uid: 'u', idSeed: 's', at: T0 },
      inspect: journal.inspector('job', 'x'),
    });
    actor.start();
    await settle();
    expect(journal.entries().map((e) => `${e.view.kind}/${e.view.name}`)).toEqual(['job/x']);
    expect(journal.entry('job', 'x')?.view.path).toBe('Unknown');
    actor.stop();
  });

  it('never lets a recording problem reach the machine', () => {
    const journal = new MachineJournal({
      now: () => {
        throw new Error('clock broke');
      },
    });
    const inspect = journal.inspector('job', 'x');
    expect(() =>
      inspect({
        type: '@xstate.snapshot',
        rootId: 'r',
        actorRef: { sessionId: 'r' },
        snapshot: {},
        event: {},
      } as never),
    ).not.toThrow();
  });
});

describe('MachineJournal wired as the supervisor wires it', () => {
  it('journals a machine restored from its status through restoreJobActor actorOptions', async () => {
    const journal = new MachineJournal();
    const effects = new FakeEffects();
    const clock = new FakeClock(T0);
    const machine = providedJobMachine(effects, clock);
    const persisted = encodeJobSnapshot({ value: { Started: 'Running' }, context: runningJobContext() });
    const { actor, restored } = restoreJobActor(
      machine,
      persisted,
      { uid: 'uid-1', idSeed: 'seed-1', at: T0 },
      { actorOptions: { inspect: journal.inspector('job', 'restored') } },
    );
    expect(restored).toBe(true);
    actor.subscribe({ error: () => undefined });
    actor.start();
    await settle();
    actor.send(requested('STOP', T0 + 1000));
    await settle();
    expect(steps(journal, 'restored')).toEqual([
      'xstate.init:  -> Started.Running',
      'STOP requested: Started.Running -> Stopping.Idle',
    ]);
    actor.stop();
  });
});

describe('MachineJournal', () => {
  it('lists clusters first, forgets machines and tells subscribers', () => {
    let now = T0;
    const journal = new MachineJournal({ now: () => now });
    let changes = 0;
    const unsubscribe = journal.subscribe(() => {
      changes += 1;
    });
    const snapshot = jobSnapshot({ Started: 'Running' }, runningJobContext());
    journal.record('job', 'b', snapshot);
    journal.record('job', 'a', snapshot);
    now += 10;
    journal.record('cluster', 'z', { value: { Started: 'Idle' }, context: {}, status: 'active' });
    expect(journal.entries().map((e) => `${e.view.kind}/${e.view.name}`)).toEqual([
      'cluster/z',
      'job/a',
      'job/b',
    ]);
    expect(journal.entry('cluster', 'z')?.transitions[0]).toMatchObject({
      at: T0 + 10,
      from: '',
      to: 'Started.Idle',
    });
    expect(changes).toBe(3);
    journal.forget('job', 'a');
    expect(journal.entry('job', 'a')).toBeUndefined();
    expect(changes).toBe(4);
    unsubscribe();
    journal.record('job', 'b', snapshot);
    expect(changes).toBe(4);
  });

  it('keeps the raw state for predictions apart from the sanitized view', () => {
    const journal = new MachineJournal();
    const context = { ...runningJobContext(), token: 'planted' };
    journal.record('job', 'a', { value: { Started: 'Running' }, context, status: 'active' });
    expect(journal.latest('job', 'a')?.context).toBe(context);
    expect(JSON.stringify(journal.entries())).not.toContain('planted');
  });
});

describe('viewOf', () => {
  it('lists the deadlines the machine waits for, soonest first', () => {
    const context = runningJobContext({
      deadlines: { restartTimeoutAt: null, restartAt: null, savepointDueAt: T0 + 3_600_000 },
      savepoint: { triggerId: 't', kind: 'periodic', requestedAt: T0, deadline: T0 + 300_000 },
    });
    const view = viewOf('job', 'a', jobSnapshot({ Started: { Savepointing: 'Awaiting' } }, context), T0);
    expect(view.deadlines).toEqual([
      { field: 'savepoint.deadline', label: 'savepoint timeout', at: T0 + 300_000 },
      { field: 'deadlines.savepointDueAt', label: 'next periodic savepoint', at: T0 + 3_600_000 },
    ]);
    expect(view).toMatchObject({ state: 'Started', path: 'Started.Savepointing.Awaiting', status: 'active' });
  });

  it('copes with snapshots it cannot read', () => {
    expect(viewOf('cluster', 'c', null, T0)).toMatchObject({ state: 'Unknown', path: '', status: 'unknown' });
  });
});
