// A new leader whose watch cache lags behind the stored status (a watch still re-listing after a
// partition): the machines are restored from the object as stored, read from the API server, never
// from the lagging copy. Restored from the copy, a job machine owned the Flink job of an earlier
// submission: the cluster machine took the job the last leader had started since for an unmanaged
// one and cancelled it, and the job machine wrote its old state over the newer one (the
// deterministic simulator's finding K12, seed 1005051).
import { afterEach, describe, expect, it } from 'vitest';
import { FLINK_JOB } from '../../../src/api/names.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import { flush } from '../../support/manual-clock.ts';
import { JOB_ID, NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

const NEWER_JOB_ID = 'fedcba9876543210fedcba9876543210';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('a leader takeover on a lagging watch cache', () => {
  it('restores the machines from the stored status: the Flink job the last leader started since is kept, not cancelled', async () => {
    const t = setup();
    const { second, stopBoth } = t.successor();
    cleanup = stopBoth;
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    for (let i = 0; i < 3; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Started', jobId: JOB_ID });
    const lagging = structuredClone(t.stored(FLINK_JOB, 'minimal-wordcount')) as CustomObject;

    // The leader goes; before it went it had resubmitted the job: Flink runs the newer submission
    // and status (the machine's write-ahead record) names it.
    t.leadership.abort();
    t.supervisor.stop();
    const stored = t.stored(FLINK_JOB, 'minimal-wordcount') as CustomObject;
    const resubmitted = JSON.parse(JSON.stringify(stored.status).replaceAll(JOB_ID, NEWER_JOB_ID)) as Record<
      string,
      unknown
    >;
    await t.resources.replaceStatus(
      FLINK_JOB,
      NS,
      'minimal-wordcount',
      stored.metadata.resourceVersion ?? '',
      resubmitted,
    );
    t.flink.jobs.set(JOB_ID, 'CANCELED');
    t.flink.jobs.set(NEWER_JOB_ID, 'RUNNING');
    // The new leader's watch has not caught up: its cache holds the status before the resubmission.
    t.caches.jobs.put(lagging);

    await second.supervisor.start();
    void second.supervisor.lead(second.leadership.signal);
    for (let i = 0; i < 4; i++) {
      await t.clock.advance(POLL_MS);
      for (let j = 0; j < 10; j++) {
        await second.supervisor.idle();
        await flush();
      }
    }
    expect(t.flink.calls).toEqual([]);
    expect(t.flink.jobs.get(NEWER_JOB_ID)).toBe('RUNNING');
    expect(t.jobStatus()).toMatchObject({
      supervisorStatus: 'Started',
      jobId: NEWER_JOB_ID,
      jobStatus: 'RUNNING',
    });
  }, 30_000);
});
