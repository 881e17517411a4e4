// A supervisor stand-in for the visualizer tests: a real cluster machine and a real job machine
// (src/machines, fake effects as in test/unit/machines/support.ts), both journaled through their
// `inspect` option exactly as the supervisor does, plus the MachineSource the debug server reads.
import { createActor } from 'xstate';
import type { MachineSource } from '../../../src/visualizer/debug-routes.ts';
import { MachineJournal } from '../../../src/visualizer/machine-journal.ts';
import {
  ClusterDriver,
  FakeClock,
  FakeEffects,
  JobDriver,
  providedClusterMachine,
  providedJobMachine,
} from '../machines/support.ts';

export const CLUSTER_NAME = 'demo';
export const JOB_NAME = 'wordcount';

export interface MachineHarness {
  readonly journal: MachineJournal;
  readonly source: MachineSource;
  readonly effects: FakeEffects;
  readonly clock: FakeClock;
  readonly job: JobDriver;
  readonly cluster: ClusterDriver;
  readonly errors: unknown[];
  stop(): void;
}

/**
 * Both machines, started and journaled; `start()` on the drivers brings them to Started. The
 * clock starts at the real time so the page shows sensible times and countdowns.
 */
export function machineHarness(options: { capacity?: number; now?: number } = {}): MachineHarness {
  const clock = new FakeClock(options.now ?? Date.now());
  const effects = new FakeEffects();
  const journal = new MachineJournal({ capacity: options.capacity ?? 100 });
  const errors: unknown[] = [];
  const clusterActor = createActor(providedClusterMachine(effects, clock), {
    input: { uid: 'cluster-uid', at: clock.now },
    inspect: journal.inspector('cluster', CLUSTER_NAME),
  });
  const jobActor = createActor(providedJobMachine(effects, clock), {
    input: { uid: 'job-uid', idSeed: 'seed', at: clock.now },
    inspect: journal.inspector('job', JOB_NAME),
  });
  clusterActor.subscribe({ error: (err) => errors.push(err) });
  jobActor.subscribe({ error: (err) => errors.push(err) });
  clusterActor.start();
  jobActor.start();
  const source: MachineSource = {
    list: () => [
      { kind: 'cluster', name: CLUSTER_NAME, snapshot: clusterActor.getSnapshot() },
      { kind: 'job', name: JOB_NAME, snapshot: jobActor.getSnapshot() },
    ],
  };
  return {
    journal,
    source,
    effects,
    clock,
    job: new JobDriver(jobActor, clock),
    cluster: new ClusterDriver(clusterActor, clock),
    errors,
    stop() {
      clusterActor.stop();
      jobActor.stop();
    },
  };
}

/** Resolves when `check` holds, polling every 20 ms; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
