// Fencing by leadership epoch (ADR 0014): a leader that has been replaced but has not noticed yet
// (frozen, partitioned from the API server and back before its renew deadline told it) must not
// write over its successor. Every status carries the writer's epoch; the replaced leader's first
// write after its successor's is refused, and it steps down at once.
import { afterEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, FLINK_JOB } from '../../../src/api/names.ts';
import type { LeadershipTerm } from '../../../src/kube/lease-elector.ts';
import { flush } from '../../support/manual-clock.ts';
import { NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function term(epoch: number, leadership: AbortController, steppedDown: string[]): LeadershipTerm {
  return {
    epoch,
    stepDown: (reason) => {
      steppedDown.push(reason);
      leadership.abort();
    },
  };
}

describe('a replaced leader that has not noticed', () => {
  it('is refused its next status write once its successor has written, and steps down', async () => {
    const t = setup();
    const { second, stopBoth } = t.successor();
    cleanup = stopBoth;
    const firstSteppedDown: string[] = [];
    const secondSteppedDown: string[] = [];
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal, term(1, t.leadership, firstSteppedDown));
    await t.settle();
    expect(t.jobStatus()['leaderEpoch']).toBe(1);

    // The successor takes over while the first still believes it leads (its renew has not failed).
    await second.supervisor.start();
    void second.supervisor.lead(second.leadership.signal, term(2, second.leadership, secondSteppedDown));
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'STOP' } },
    });
    for (let i = 0; i < 6; i++) {
      await t.clock.advance(POLL_MS);
      for (let j = 0; j < 10; j++) {
        await t.supervisor.idle();
        await second.supervisor.idle();
        await flush();
      }
    }
    expect(firstSteppedDown.length).toBeGreaterThanOrEqual(1);
    for (const reason of firstSteppedDown) expect(reason).toContain('epoch 2');
    expect(secondSteppedDown).toEqual([]);
    expect(t.leadership.signal.aborted).toBe(true);
    expect(t.supervisor.machines()).toEqual([]);
    const status = t.jobStatus();
    expect(status['leaderEpoch']).toBe(2);
    expect(status['supervisorStatus']).toBe('Stopped');
  }, 30_000);
});
