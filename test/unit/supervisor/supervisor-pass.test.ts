// A supervisor's passes end to end on in-memory ports: the custom resources in memory, watch
// caches the test fills, a recorder for the owned objects, a Flink that answers from a table, and
// a clock moved by hand. Nothing is spawned and nothing listens.
import { afterEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, FINALIZERS, FLINK_CLUSTER, FLINK_JOB } from '../../../src/api/names.ts';
import { fixture, JOB_ID, NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

let running: ReturnType<typeof setup> | undefined;
afterEach(() => {
  running?.leadership.abort();
  running?.supervisor.stop();
  running = undefined;
});

describe('a supervisor pass on in-memory ports', () => {
  it('adds its finalizers, adopts the running job and writes status with conditions', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.metadata.finalizers).toContain(FINALIZERS.supervisor);
    expect(t.stored(FLINK_JOB, 'minimal-wordcount')?.metadata.finalizers).toContain(FINALIZERS.supervisor);
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Started', jobId: JOB_ID, jobStatus: 'RUNNING' });
    expect(t.condition('SpecValid')).toMatchObject({ status: 'True', reason: 'Parsed' });
    expect(t.condition('Ready')?.status).toBeDefined();
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.status?.['supervisorStatus']).toBeDefined();
    expect(t.supervisor.machines().map((m) => [m.kind, m.name])).toEqual([
      ['cluster', 'minimal'],
      ['job', 'minimal-wordcount'],
    ]);
  });

  it('writes nothing on a pass where nothing changed', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    // The adopted cluster converges first (its TaskManager appears, then it is Ready).
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.status?.['resourceStatus']).toBe('Updated');
    const before = t.resources.writes.length;
    for (let i = 0; i < 2; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    expect(t.resources.writes.slice(before)).toEqual([]);
  });

  it('takes a requested STOP: stamps it, hands it to the machine, clears it, and reports the stopped job truthfully', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'STOP' } },
    });
    await t.settle();
    expect(t.condition('ActionProcessed')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const annotations = t.stored(FLINK_JOB, 'minimal-wordcount')?.metadata.annotations ?? {};
    expect(annotations[ANNOTATIONS.requestedAction]).toBeUndefined();
    expect(annotations[ANNOTATIONS.actionTimestamp]).toBeUndefined();
    // The next observation decides the stop (savepointMode Manual: cancel); Flink then lists the
    // job CANCELED and the machine is stopped.
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    expect(t.flink.calls).toEqual([`cancel ${JOB_ID}`]);
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Stopped', jobId: '', jobStatus: 'CANCELED' });
    expect(t.events.events.map((e) => e.reason)).toContain('ActionAccepted');
  });

  it('an invalid requested action ends in ActionProcessed=False (InvalidAction), not only an Event', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'EXPLODE' } },
    });
    await t.settle();
    expect(t.condition('ActionProcessed')).toMatchObject({ status: 'False', reason: 'InvalidAction' });
    expect(t.events.events.find((e) => e.reason === 'InvalidAction')?.type).toBe('Warning');
    expect(
      t.stored(FLINK_JOB, 'minimal-wordcount')?.metadata.annotations?.[ANNOTATIONS.requestedAction],
    ).toBeUndefined();
  });

  it('an invalid spec keeps SpecValid=False through machine writes, and SpecValid=True once fixed', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', { spec: { jobParallelism: -3 } });
    await t.settle();
    await t.clock.advance(POLL_MS);
    await t.settle();
    expect(t.condition('SpecValid')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(t.events.events.filter((e) => e.reason === 'InvalidSpec')).toHaveLength(1);
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', { spec: { jobParallelism: 1 } });
    await t.settle();
    expect(t.condition('SpecValid')).toMatchObject({ status: 'True', reason: 'Parsed' });
  });

  it('a new leader leaves running the Flink job of a FlinkJob whose spec no longer parses, and says the spec is invalid', async () => {
    const job = fixture('job-minimal.yaml');
    job.metadata = { ...job.metadata, finalizers: [FINALIZERS.supervisor] };
    job.spec = { ...job.spec, jobParallelism: -3 };
    const t = (running = setup(job));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    for (let i = 0; i < 4; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    // The cluster is up and watching for unmanaged jobs, yet the job it cannot parse stays managed.
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.status?.['supervisorStatus']).toBe('Started');
    expect(t.flink.calls).toEqual([]);
    expect(t.flink.jobs.get(JOB_ID)).toBe('RUNNING');
    expect(t.condition('SpecValid')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(t.events.events.filter((e) => e.reason === 'InvalidSpec')).toHaveLength(1);
    expect(t.events.events.find((e) => e.reason === 'InvalidSpec')?.type).toBe('Warning');
  });

  it('after a STOP with savepoint, reports how Flink ended the job (FINISHED), not the RUNNING seen before the stop', async () => {
    const job = fixture('job-minimal.yaml');
    job.spec = {
      ...job.spec,
      savepoint: { savepointMode: 'Automatic', savepointTargetPath: 'file:///savepoints' },
    };
    const t = (running = setup(job));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Started', jobStatus: 'RUNNING' });
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'STOP' } },
    });
    await t.settle();
    // The stop completes on the savepoint's status, before any observation showed the job ended.
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    expect(t.flink.calls).toEqual([`stop ${JOB_ID}`]);
    expect(t.jobStatus()).toMatchObject({
      supervisorStatus: 'Stopped',
      jobId: '',
      jobStatus: 'FINISHED',
      savepointPath: 'file:///savepoints/sp-1',
    });
    expect(t.condition('Ready')?.message).toContain(`last Flink job ${JOB_ID} FINISHED`);
  });
});

describe('checkpoint progress in a supervisor pass', () => {
  it('a store outage: CheckpointsProgressing=False with one Warning, True with one Normal Event after; read when due, the job never touched', async () => {
    const t = (running = setup());
    // Flink checkpoints every 2 s while the store is up; `down` stops completions (writes hang).
    const model = { down: false, id: 0, at: 0, reads: 0 };
    const client = t.flink.client as unknown as Record<string, unknown>;
    client['getCheckpointConfig'] = async () => ({ interval: 2000, timeout: 600_000, min_pause: 0 });
    client['getCheckpoints'] = async () => {
      model.reads++;
      if (!model.down) {
        const at = t.clock.now() - 500;
        model.id += Math.max(1, Math.floor((at - model.at) / 2000));
        model.at = at;
      }
      const completed = model.id > 0 ? { id: model.id, status: 'COMPLETED', is_savepoint: false } : null;
      return {
        counts: {
          restored: 0,
          total: model.id,
          in_progress: model.down ? 1 : 0,
          completed: model.id,
          failed: 0,
        },
        latest: {
          completed: completed && { ...completed, latest_ack_timestamp: model.at, end_to_end_duration: 100 },
        },
        history: [],
      };
    };
    const checkpointEvents = () => t.events.events.filter((e) => e.reason.startsWith('Checkpoints'));
    const run = async (ms: number) => {
      for (let i = 0; i < ms / POLL_MS; i++) {
        await t.clock.advance(POLL_MS);
        await t.settle();
      }
    };
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await run(60_000);
    expect(t.condition('CheckpointsProgressing')).toMatchObject({
      status: 'True',
      reason: 'CheckpointsCompleting',
    });
    expect(checkpointEvents()).toEqual([]);
    // Twelve passes in a minute; the statistics were read about every interval + 10 s, not each pass.
    expect(model.reads).toBeLessThanOrEqual(6);

    model.down = true;
    await run(30_000);
    expect(t.condition('CheckpointsProgressing')).toMatchObject({
      status: 'False',
      reason: 'CheckpointsStalled',
    });
    expect(t.condition('CheckpointsProgressing')?.message).toContain(`the last, ${model.id}, completed at`);
    expect(checkpointEvents().map((e) => [e.type, e.reason])).toEqual([['Warning', 'CheckpointsStalled']]);
    // Stalled and still stalled: nothing more said, nothing written.
    const before = t.resources.writes.length;
    await run(30_000);
    expect(t.resources.writes.slice(before)).toEqual([]);
    expect(checkpointEvents()).toHaveLength(1);

    model.down = false;
    await run(15_000);
    expect(t.condition('CheckpointsProgressing')).toMatchObject({
      status: 'True',
      reason: 'CheckpointsCompleting',
    });
    expect(checkpointEvents().map((e) => [e.type, e.reason])).toEqual([
      ['Warning', 'CheckpointsStalled'],
      ['Normal', 'CheckpointsResumed'],
    ]);
    expect(t.flink.calls).toEqual([]);
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Started', jobId: JOB_ID, jobStatus: 'RUNNING' });
  });
});
