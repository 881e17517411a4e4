// A state machine that throws is a bug, but one bug must not leave its resource unsupervised, nor
// restore-and-throw in a hot loop, nor let the cluster take the resource's Flink job for an
// unmanaged one: the machine is dropped and restored from the stored status after a doubling
// backoff, each failure in an Event, and supervision resumes once it stops throwing.
import { afterEach, describe, expect, it } from 'vitest';
import { FLINK_CLUSTER } from '../../../src/api/names.ts';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import { fixture, JOB_ID, POLL_MS, setup } from '../../support/supervisor-harness.ts';

type Guard = (...args: never[]) => boolean;

/** A machine whose `guard` throws while `fault.on` is set, and otherwise decides as the real one. */
function faulty<M extends typeof jobMachine | typeof clusterMachine>(machine: M, guard: string) {
  const fault = { on: false, thrown: 0 };
  const guards = machine.implementations.guards as Record<string, Guard>;
  const real = guards[guard];
  if (!real) throw new Error(`no guard ${guard}`);
  const provided = machine.provide({
    guards: {
      [guard]: (...args: never[]) => {
        if (fault.on) {
          fault.thrown++;
          throw new Error(`planted bug in ${guard}`);
        }
        return real(...args);
      },
    },
  } as never) as M;
  return { fault, machine: provided };
}

let running: ReturnType<typeof setup> | undefined;
afterEach(() => {
  running?.leadership.abort();
  running?.supervisor.stop();
  running = undefined;
});

async function passes(t: ReturnType<typeof setup>, ms: number, step = 1000) {
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    await t.clock.advance(step);
    await t.settle();
  }
}

const failures = (t: ReturnType<typeof setup>) => t.events.events.filter((e) => e.reason === 'MachineFailed');

describe('a state machine that throws', () => {
  it('a job machine is restored after a doubling backoff, its Flink job untouched, and supervised again once it stops throwing', async () => {
    const { fault, machine } = faulty(jobMachine, 'staleObservation');
    const t = (running = setup(fixture('job-minimal.yaml'), { machines: { job: machine } }));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await passes(t, 2 * POLL_MS);
    expect(t.supervisor.machines().map((m) => m.kind)).toEqual(['cluster', 'job']);

    fault.on = true;
    await passes(t, 60_000);
    const failed = failures(t);
    // 1 + 2 + 4 + 8 + 16 s of backoff fit in a minute, 32 s more do not: six failures, not one a pass.
    expect(failed.map((e) => /\((\d+) in a row\)/.exec(e.message)?.[1])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ]);
    expect(failed.every((e) => e.type === 'Warning' && e.message.includes('planted bug'))).toBe(true);
    expect(failed[0]?.message).toContain('restoring it from the stored status in 1s');
    expect(failed[5]?.message).toContain('in 32s');
    // Meanwhile the cluster keeps the job managed: Flink is never asked to cancel or stop it.
    expect(t.flink.calls).toEqual([]);
    expect(t.flink.jobs.get(JOB_ID)).toBe('RUNNING');
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.status?.['supervisorStatus']).toBe('Started');

    fault.on = false;
    const thrown = fault.thrown;
    await passes(t, 3 * 60_000, POLL_MS);
    expect(fault.thrown).toBe(thrown);
    expect(failures(t)).toHaveLength(6);
    expect(t.supervisor.machines().map((m) => m.kind)).toEqual(['cluster', 'job']);
    expect(t.jobStatus()['jobId']).toBe(JOB_ID);
    expect(t.flink.calls).toEqual([]);
  });

  it('a cluster machine that throws stops the passes until its backoff ends; nothing acts on Flink meanwhile', async () => {
    const { fault, machine } = faulty(clusterMachine, 'staleObservation');
    const t = (running = setup(fixture('job-minimal.yaml'), { machines: { cluster: machine } }));
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await passes(t, 2 * POLL_MS);
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.status?.['supervisorStatus']).toBe('Started');

    fault.on = true;
    await passes(t, 10_000);
    expect(failures(t).length).toBeGreaterThanOrEqual(2);
    expect(failures(t).length).toBeLessThanOrEqual(4);
    expect(t.flink.calls).toEqual([]);

    fault.on = false;
    await passes(t, 60_000, POLL_MS);
    const count = failures(t).length;
    await passes(t, 60_000, POLL_MS);
    expect(failures(t)).toHaveLength(count);
    expect(t.supervisor.machines().map((m) => m.kind)).toEqual(['cluster', 'job']);
    expect(t.stored(FLINK_CLUSTER, 'minimal')?.status?.['supervisorStatus']).toBe('Started');
    expect(t.flink.jobs.get(JOB_ID)).toBe('RUNNING');
  });
});
