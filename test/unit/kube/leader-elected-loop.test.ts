import { pino } from 'pino';
import type { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startLeaderElectedLoop } from '../../../src/kube/leader-elected-loop.ts';
import { ConflictError, type LeaseRecord, type LeaseStore } from '../../../src/kube/lease-store.ts';
import { ManualClock, flush } from '../../support/manual-clock.ts';

class FakeLeaseStore implements LeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  readonly timeline: string[];
  constructor(timeline: string[]) {
    this.timeline = timeline;
  }
  async get() {
    return this.record ? { record: this.record, resourceVersion: String(this.version) } : undefined;
  }
  async create(record: LeaseRecord) {
    if (this.record) throw new ConflictError('exists');
    this.record = record;
    return String(++this.version);
  }
  async update(record: LeaseRecord, rv: string) {
    if (rv !== String(this.version)) throw new ConflictError('stale');
    if (record.holderIdentity === '') this.timeline.push('lease released');
    this.record = record;
    return String(++this.version);
  }
}

const gauge = { set: () => undefined } as unknown as Gauge;

function loop(clock: ManualClock, drain: () => Promise<void>, drainTimeoutMs?: number) {
  const timeline: string[] = [];
  const store = new FakeLeaseStore(timeline);
  const running = startLeaderElectedLoop({
    store,
    identity: 'a',
    clock,
    log: pino({ level: 'silent' }),
    leaderGauge: gauge,
    lead: (signal) =>
      new Promise<void>((resolve) =>
        signal.addEventListener(
          'abort',
          () => {
            timeline.push('stopped acting');
            resolve();
          },
          { once: true },
        ),
      ),
    drain: async () => {
      timeline.push(`drain started, holder=${store.record?.holderIdentity}`);
      await drain();
      timeline.push('drained');
    },
    ...(drainTimeoutMs ? { drainTimeoutMs } : {}),
  });
  return { running, store, timeline };
}

describe('a clean shutdown of a leader-elected process', () => {
  it('finishes the work in flight while still holding the lease, and releases it last', async () => {
    const clock = new ManualClock();
    let finish: (() => void) | undefined;
    const { running, store, timeline } = loop(
      clock,
      () => new Promise((resolve) => (finish = resolve)),
      60_000,
    );
    await flush();
    expect(running.elector.isLeader).toBe(true);
    const shutdown = running.shutdown();
    await flush();
    // Work in flight for longer than the lease: the lease is renewed meanwhile, nobody may take it.
    await clock.advance(30_000);
    expect(store.record?.holderIdentity).toBe('a');
    expect(store.record?.renewTime).toBeGreaterThan(clock.now() - 5_000);
    expect(running.elector.isLeader).toBe(true);
    finish?.();
    await clock.advance(0);
    await shutdown;
    expect(timeline).toEqual(['drain started, holder=a', 'drained', 'stopped acting', 'lease released']);
    expect(await running.done).toBe('stopped');
  });

  it('bounds the drain: work that does not finish is handed over after drainTimeoutMs', async () => {
    const clock = new ManualClock();
    const { running, store, timeline } = loop(clock, () => new Promise(() => undefined), 5_000);
    await flush();
    let done = false;
    const shutdown = running.shutdown().then(() => (done = true));
    await clock.advance(4_000);
    expect(done).toBe(false);
    await clock.advance(1_500);
    await shutdown;
    expect(timeline).toEqual(['drain started, holder=a', 'stopped acting', 'lease released']);
    expect(store.record?.holderIdentity).toBe('');
  });
});
