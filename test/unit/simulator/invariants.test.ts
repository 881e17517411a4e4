// Each invariant checker of the simulator catches a violation planted on purpose: a checker that
// never fires would make a clean batch mean nothing.
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, FLINK_JOB, FLINK_SAVEPOINT } from '../../../src/api/names.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import { SimFlink } from '../../simulator/flink.ts';
import {
  Ledger,
  MAX_WRITES_PER_WINDOW,
  RECORDING_GRACE_MS,
  WRITE_WINDOW_MS,
} from '../../simulator/invariants.ts';
import { Prng } from '../../simulator/prng.ts';
import { runSeed } from '../../simulator/run-seed.ts';
import { SimClock } from '../../simulator/sim-clock.ts';

const JOB_ID = '0123456789abcdef0123456789abcdef';
const OTHER_JOB_ID = 'fedcba9876543210fedcba9876543210';

function world() {
  const clock = new SimClock(Date.UTC(2026, 10, 20, 10));
  const ledger = new Ledger(() => clock.now());
  const flink = new SimFlink(clock, new Prng(7), ledger);
  ledger.flink = flink;
  flink.start();
  return { clock, ledger, flink };
}

function job(generation: number, status: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return {
    metadata: { name: 'job-a', uid: 'uid-1', generation, annotations },
    status,
  } satisfies CustomObject;
}

const invariants = (ledger: Ledger) => ledger.violations.map((v) => v.invariant);

describe('the simulator invariants catch planted violations', () => {
  it('a savepoint triggered again under a new id while the first is in flight (a fake that triggers twice)', async () => {
    const { clock, ledger, flink } = world();
    flink.submit(JOB_ID, 'job-a', null);
    await clock.runUntil(clock.now() + 2_000);
    flink.trigger(JOB_ID, 'trigger-1', 'savepoint', 'file:///savepoints');
    flink.trigger(JOB_ID, 'trigger-1', 'savepoint', 'file:///savepoints'); // a repeat joins: fine
    expect(ledger.violations).toEqual([]);
    flink.trigger(JOB_ID, 'trigger-2', 'savepoint', 'file:///savepoints');
    expect(invariants(ledger)).toEqual(['savepoint-triggered-once']);
    expect(ledger.violations[0]?.detail).toContain('trigger-1 is in progress');
  });

  it('two Flink jobs running for one FlinkJob', async () => {
    const { clock, ledger, flink } = world();
    flink.submit(JOB_ID, 'job-a', null);
    await clock.runUntil(clock.now() + 2_000);
    ledger.checkStep();
    expect(ledger.violations).toEqual([]);
    flink.submit(OTHER_JOB_ID, 'job-a', null);
    ledger.checkStep();
    expect(invariants(ledger)).toEqual(['one-running-flink-job']);
  });

  it('a completed savepoint that no FlinkSavepoint ever recorded', async () => {
    const { clock, ledger, flink } = world();
    flink.submit(JOB_ID, 'job-a', null);
    await clock.runUntil(clock.now() + 2_000);
    flink.trigger(JOB_ID, 'trigger-1', 'savepoint', 'file:///savepoints');
    await clock.runUntil(clock.now() + 5_000);
    expect(ledger.completed).toHaveLength(1);
    // Just completed when the run ends: still being polled, not judged yet.
    ledger.checkEnd();
    expect(ledger.violations).toEqual([]);
    await clock.runUntil(clock.now() + RECORDING_GRACE_MS);
    ledger.checkEnd();
    expect(invariants(ledger)).toEqual(['savepoint-not-lost']);

    const savepoint = ledger.completed[0] as (typeof ledger.completed)[0];
    // Its path in the job's status alone is not a record: retention never disposes of such files.
    const inStatusOnly = world();
    inStatusOnly.ledger.savepointCompleted(savepoint);
    inStatusOnly.ledger.customResource(FLINK_JOB, 'job-a', job(1, { savepointPath: savepoint.location }));
    await inStatusOnly.clock.runUntil(inStatusOnly.clock.now() + RECORDING_GRACE_MS);
    inStatusOnly.ledger.checkEnd();
    expect(invariants(inStatusOnly.ledger)).toEqual(['savepoint-not-lost']);

    // Its FlinkSavepoint record, Completed with its path, records it (ADR 0015); Pending does not.
    const inRecord = world();
    inRecord.ledger.savepointCompleted(savepoint);
    const record = (state: string) => ({
      metadata: { name: 'job-a-sp-1', uid: 'uid-9' },
      status: { state, path: savepoint.location },
    });
    inRecord.ledger.customResource(FLINK_SAVEPOINT, 'job-a-sp-1', record('Pending'));
    await inRecord.clock.runUntil(inRecord.clock.now() + RECORDING_GRACE_MS);
    inRecord.ledger.checkEnd();
    expect(invariants(inRecord.ledger)).toEqual(['savepoint-not-lost']);
    inRecord.ledger.violations.length = 0;
    inRecord.ledger.customResource(FLINK_SAVEPOINT, 'job-a-sp-1', record('Completed'));
    inRecord.ledger.checkEnd();
    expect(inRecord.ledger.violations).toEqual([]);
  });

  it('observedGeneration going back', () => {
    const { ledger } = world();
    ledger.customResource(FLINK_JOB, 'job-a', job(2, { observedGeneration: 2 }));
    ledger.customResource(FLINK_JOB, 'job-a', job(2, { observedGeneration: 2 }));
    expect(ledger.violations).toEqual([]);
    ledger.customResource(FLINK_JOB, 'job-a', job(2, { observedGeneration: 1 }));
    expect(invariants(ledger)).toEqual(['observed-generation-monotonic']);
  });

  it('a status written by a replaced leader (its epoch below one stored before)', () => {
    const { ledger } = world();
    ledger.customResource(FLINK_JOB, 'job-a', job(1, { leaderEpoch: 3 }));
    ledger.customResource(FLINK_JOB, 'job-a', job(1, { leaderEpoch: 4 }));
    ledger.customResource(FLINK_JOB, 'job-a', job(1, { leaderEpoch: 4 }));
    expect(ledger.violations).toEqual([]);
    ledger.customResource(FLINK_JOB, 'job-a', job(1, { leaderEpoch: 3 }));
    expect(invariants(ledger)).toEqual(['leader-epoch-monotonic']);
  });

  it('a resource written in a hot loop (more than the bound within the window), once per spell', async () => {
    const { clock, ledger } = world();
    // At the bound, spread over the window: fine.
    const spacing = Math.floor(WRITE_WINDOW_MS / MAX_WRITES_PER_WINDOW);
    for (let i = 0; i < MAX_WRITES_PER_WINDOW; i++) {
      ledger.customResource(FLINK_JOB, 'job-a', job(1, { observedGeneration: 1 }));
      await clock.runUntil(clock.now() + spacing);
    }
    expect(ledger.violations).toEqual([]);
    // Twice the bound within a second: one violation, not one per write.
    await clock.runUntil(clock.now() + WRITE_WINDOW_MS);
    for (let i = 0; i < 2 * MAX_WRITES_PER_WINDOW; i++) {
      ledger.customResource(FLINK_JOB, 'job-a', job(1, { observedGeneration: 1 }));
      await clock.runUntil(clock.now() + 10);
    }
    expect(invariants(ledger)).toEqual(['writes-bounded']);
    expect(ledger.violations[0]?.detail).toContain('FlinkJob/job-a');
  });

  it('a request cleared before its answer is stored, and one never answered', () => {
    const { ledger } = world();
    const stamp = Date.UTC(2026, 10, 20, 10, 1);
    ledger.request({ job: 'job-a', action: 'STOP', madeAt: stamp });
    ledger.customResource(
      FLINK_JOB,
      'job-a',
      job(1, {}, { [ANNOTATIONS.requestedAction]: 'STOP', [ANNOTATIONS.actionTimestamp]: `${stamp}:STOP` }),
    );
    expect(ledger.requests[0]?.stamp).toBe(stamp);
    ledger.customResource(FLINK_JOB, 'job-a', job(1, {}));
    ledger.checkEnd();
    expect(invariants(ledger)).toEqual(['action-answered-once', 'action-answered-once']);
    expect(ledger.violations[0]?.detail).toContain('cleared before its answer was stored');
    expect(ledger.violations[1]?.detail).toContain('never answered');
  });

  it('a request answered once, and only then cleared, passes', () => {
    const { ledger } = world();
    const stamp = Date.UTC(2026, 10, 20, 10, 1);
    const answered = { machine: { context: { lastAction: { requestedAt: stamp, outcome: 'accepted' } } } };
    ledger.request({ job: 'job-a', action: 'STOP', madeAt: stamp });
    const annotations = {
      [ANNOTATIONS.requestedAction]: 'STOP',
      [ANNOTATIONS.actionTimestamp]: `${stamp}:STOP`,
    };
    ledger.customResource(FLINK_JOB, 'job-a', job(1, {}, annotations));
    ledger.customResource(FLINK_JOB, 'job-a', job(1, answered, annotations));
    ledger.customResource(FLINK_JOB, 'job-a', job(1, answered));
    ledger.checkEnd();
    expect(ledger.violations).toEqual([]);
  });

  it('a world given no time to settle does not converge', async () => {
    const result = await runSeed({ seed: 1, faultSteps: 0, quietSteps: 3, faults: false });
    expect(result.violations.map((v) => v.invariant)).toContain('converges');
    expect(result.violations.find((v) => v.invariant === 'converges')?.detail).toMatch(
      /FlinkJob job-a: Starting/,
    );
  });
});
