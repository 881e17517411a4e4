// Bounds on Flink reads run on the injected clock, not the process's own timers: a seeded
// simulation replays them in virtual time, bit for bit, and tests move them by hand.
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../../src/kube/clock.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { FlinkClusterReader, readSnapshots } from '../../../src/supervisor/flink-gateway.ts';
import { savepointFlink } from '../../../src/supervisor/savepoint-flink.ts';
import { ManualClock, flush } from '../../support/manual-clock.ts';

/** A call that answers only when its signal aborts (a JobManager that went silent). */
function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

type Call = { signal?: AbortSignal };
const silentFlink = {
  getOverview: (c: Call) => hang(c.signal),
  listJobs: (c: Call) => hang(c.signal),
  getCheckpoints: (_jobId: string, c: Call) => hang(c.signal),
  getSavepointStatus: (_jobId: string, _triggerId: string, c: Call) => hang(c.signal),
} as unknown as FlinkRestClient;

describe('withTimeout', () => {
  it('aborts with a TimeoutError when the injected clock passes the bound, and drops its timer otherwise', async () => {
    const clock = new ManualClock();
    let reason: unknown;
    const hung = withTimeout(clock, 3000, hang).catch((err: unknown) => (reason = err));
    await clock.advance(2999);
    expect(reason).toBeUndefined();
    await clock.advance(1);
    await hung;
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(await withTimeout(clock, 3000, async () => 'answered')).toBe('answered');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("the supervisor's Flink reads", () => {
  it('end at their bound on the injected clock (no real timer involved)', async () => {
    const clock = new ManualClock();
    const reader = new FlinkClusterReader(
      () => 3000,
      () => clock,
    );
    let observed: unknown;
    void reader
      .observe(silentFlink, { jobManagerReady: true, topology: 't', slots: 1, now: clock.now() })
      .then((o) => (observed = o));
    let snapshots: unknown;
    void readSnapshots(silentFlink, 'a'.repeat(32), 3000, clock).catch((err: unknown) => (snapshots = err));
    let verdict: unknown;
    void savepointFlink(() => silentFlink, 3000, clock)
      .savepointStatus('a'.repeat(32), 'b'.repeat(32))
      .then((v) => (verdict = v));
    await flush();
    expect([observed, snapshots, verdict]).toEqual([undefined, undefined, undefined]);
    await clock.advance(3000);
    expect(observed).toEqual({ reachable: false });
    expect(snapshots).toBeDefined();
    expect(verdict).toEqual({ state: 'UNREACHABLE' });
  });
});
