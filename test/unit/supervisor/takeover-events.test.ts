// Events and action outcomes are said once per intent, across leaders: a new leader restores the
// machines from status, and what the restored snapshot already holds (its notice, its last action
// outcome) was announced by the leader that stored it. Saying it again misleads whoever reads the
// Events (a second "SavepointCompleted", a second "ActionAccepted" for one request).
import { afterEach, describe, expect, it } from 'vitest';
import { ANNOTATIONS, FLINK_JOB } from '../../../src/api/names.ts';
import { flush } from '../../support/manual-clock.ts';
import { JOB_ID, NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('a leader takeover', () => {
  it('does not announce again what the previous leader announced: no second ActionAccepted, notice or transition Event', async () => {
    const t = setup();
    const { second, stopBoth } = t.successor();
    cleanup = stopBoth;
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'STOP' } },
    });
    await t.settle();
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    expect(t.flink.calls).toEqual([`cancel ${JOB_ID}`]);
    expect(t.jobStatus()['supervisorStatus']).toBe('Stopped');
    const announced = t.events.events.map((e) => `${e.reason}: ${e.message}`);
    expect(announced.filter((e) => e.startsWith('ActionAccepted'))).toHaveLength(1);
    expect(announced.length).toBeGreaterThan(1);

    // The leader goes; another takes over from the stored status.
    t.leadership.abort();
    t.supervisor.stop();
    await second.supervisor.start();
    void second.supervisor.lead(second.leadership.signal);
    for (let i = 0; i < 4; i++) {
      await t.clock.advance(POLL_MS);
      for (let j = 0; j < 10; j++) {
        await second.supervisor.idle();
        await flush();
      }
    }
    expect(second.supervisor.machines().map((m) => m.kind)).toEqual(['cluster', 'job']);
    expect(t.events.events.slice(announced.length).map((e) => `${e.reason}: ${e.message}`)).toEqual([]);
    expect(t.flink.calls).toEqual([`cancel ${JOB_ID}`]);
    expect(t.jobStatus()['supervisorStatus']).toBe('Stopped');
  }, 30_000);
});
