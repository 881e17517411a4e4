import { describe, expect, it } from 'vitest';
import { LeaderElector, type LeadershipTerm } from '../../../src/kube/lease-elector.ts';
import { ConflictError, type LeaseRecord, type LeaseStore } from '../../../src/kube/lease-store.ts';
import { ManualClock, flush } from '../../support/manual-clock.ts';

/** An in-memory Lease that honours resourceVersion preconditions as the API server does. */
class FakeLeaseStore implements LeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  failWrites = false;
  /** Every call from now on waits forever (an API server that went silent mid-connection). */
  hang = false;
  async get() {
    if (this.hang) await new Promise(() => undefined);
    return this.record ? { record: this.record, resourceVersion: String(this.version) } : undefined;
  }
  async create(record: LeaseRecord) {
    if (this.failWrites) throw new Error('api down');
    if (this.record) throw new ConflictError('exists');
    this.record = record;
    return String(++this.version);
  }
  async update(record: LeaseRecord, rv: string) {
    if (this.failWrites) throw new Error('api down');
    if (rv !== String(this.version)) throw new ConflictError('stale');
    this.record = record;
    return String(++this.version);
  }
}

function candidate(store: LeaseStore, clock: ManualClock, identity: string) {
  const events: string[] = [];
  const terms: LeadershipTerm[] = [];
  let leadingSignal: AbortSignal | undefined;
  const elector = new LeaderElector({
    store,
    clock,
    identity,
    random: () => 0,
    onStartedLeading: (signal, term) => {
      leadingSignal = signal;
      terms.push(term);
      events.push(`${identity}:started`);
    },
    onStoppedLeading: () => void events.push(`${identity}:stopped`),
    onNewLeader: (id) => events.push(`${identity}:sees:${id}`),
  });
  const stop = new AbortController();
  const done = elector.run(stop.signal);
  return {
    elector,
    events,
    terms,
    stop,
    done,
    leading: () => leadingSignal !== undefined && !leadingSignal.aborted,
  };
}

describe('leader election on a Lease', () => {
  it('rejects timing that would let two leaders overlap', () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    expect(
      () =>
        new LeaderElector({
          store,
          clock,
          identity: 'a',
          leaseDurationMs: 10_000,
          renewDeadlineMs: 10_000,
          onStartedLeading: () => undefined,
        }),
    ).toThrow('leaseDuration must be greater than renewDeadline');
  });

  it('elects exactly one of two candidates and renews every retry period', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    const b = candidate(store, clock, 'b');
    await clock.advance(30_000);
    expect(a.leading()).toBe(true);
    expect(b.leading()).toBe(false);
    expect(store.record?.holderIdentity).toBe('a');
    expect(store.record?.renewTime).toBeGreaterThan(clock.now() - 3000);
    expect(b.events).toContain('b:sees:a');
    a.stop.abort();
    b.stop.abort();
  });

  it('a leader that cannot renew stops leading after renewDeadline, before a rival may take the lease', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    expect(a.leading()).toBe(true);
    const lastRenew = store.record?.renewTime ?? 0;
    store.failWrites = true;
    const b = candidate(store, clock, 'b');
    let aStoppedAt: number | undefined;
    let bStartedAt: number | undefined;
    for (let t = 0; t < 40_000; t += 500) {
      await clock.advance(500);
      if (aStoppedAt === undefined && !a.leading()) aStoppedAt = clock.now();
      if (t === 11_000) store.failWrites = false; // the API comes back; only b can use it now
      if (bStartedAt === undefined && b.leading()) bStartedAt = clock.now();
    }
    expect(aStoppedAt).toBeDefined();
    expect((aStoppedAt ?? 0) - lastRenew).toBeLessThanOrEqual(12_000);
    expect(bStartedAt).toBeDefined();
    expect(bStartedAt ?? 0).toBeGreaterThan(aStoppedAt ?? 0);
    expect((bStartedAt ?? 0) - lastRenew).toBeGreaterThanOrEqual(15_000);
    expect(a.events).toContain('a:stopped');
    expect(store.record?.holderIdentity).toBe('b');
    expect(store.record?.leaseTransitions).toBe(1);
    await a.done;
    b.stop.abort();
  });

  it('a dead leader is replaced within the lease plus one look of the candidate (1.2 s), never before the lease', async () => {
    for (const offset of [0, 700, 1_900]) {
      const clock = new ManualClock();
      const store = new FakeLeaseStore();
      const a = candidate(store, clock, 'a');
      await flush();
      // The candidate looks out of step with the leader's renews (the worst case for how late it sees one).
      await clock.advance(1_950);
      const b = candidate(store, clock, 'b');
      await clock.advance(20_000 + offset);
      // The leader dies (no renew, no release) some time after its last renew.
      const lastRenew = store.record?.renewTime ?? 0;
      a.stop.abort();
      await a.done;
      let bStartedAt: number | undefined;
      for (let t = 0; t < 30_000 && bStartedAt === undefined; t += 50) {
        await clock.advance(50);
        if (b.leading()) bStartedAt = clock.now();
      }
      const takeover = (bStartedAt ?? Number.POSITIVE_INFINITY) - lastRenew;
      expect(takeover).toBeGreaterThanOrEqual(15_000);
      expect(takeover).toBeLessThanOrEqual(15_000 + 1_200 + 100);
      b.stop.abort();
      await b.done;
    }
  });

  it('release clears the holder so a successor takes over without waiting out the lease', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    const b = candidate(store, clock, 'b');
    await clock.advance(2_000);
    await a.elector.release();
    a.stop.abort();
    await a.done;
    expect(store.record?.holderIdentity).toBe('');
    await clock.advance(5_000);
    expect(b.leading()).toBe(true);
    b.stop.abort();
  });

  it('gives every leadership a greater epoch than the last, even one that takes its own lease back', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    await clock.advance(6_000);
    expect(a.terms.map((t) => t.epoch)).toEqual([0]);
    // Renewals keep the epoch.
    expect(store.record?.leaseTransitions).toBe(0);
    a.stop.abort();
    await a.done;
    // The same identity again (a restarted process with the same name), its own record still there.
    const again = candidate(store, clock, 'a');
    await clock.advance(20_000);
    expect(again.terms.map((t) => t.epoch)).toEqual([1]);
    await again.elector.release();
    again.stop.abort();
    await again.done;
    const b = candidate(store, clock, 'b');
    await clock.advance(3_000);
    expect(b.terms.map((t) => t.epoch)).toEqual([2]);
    expect(store.record?.leaseTransitions).toBe(2);
    b.stop.abort();
    await b.done;
  });

  it('a leader that steps down stops leading at once, without waiting for its renew to fail', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    expect(a.leading()).toBe(true);
    a.terms[0]?.stepDown('a later leadership wrote status');
    await flush();
    expect(a.leading()).toBe(false);
    expect(a.events).toContain('a:stopped');
    await a.done;
  });

  it('loses a race on a stale resourceVersion instead of overwriting', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const elector = new LeaderElector({ store, clock, identity: 'a', onStartedLeading: () => undefined });
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    // Someone else renews in between our read and write.
    const original = store.update.bind(store);
    store.update = async (record, rv) => {
      store.version++;
      return original(record, rv);
    };
    expect(await elector.tryAcquireOrRenew()).toBe(false);
  });

  it('a renew that hangs does not keep a zombie leader: it stops leading at the renew deadline', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    expect(a.leading()).toBe(true);
    await clock.advance(2_000); // one renew
    const lastRenewAt = clock.monotonic();
    store.hang = true;
    let stoppedAt: number | undefined;
    for (let t = 0; t < 60_000 && stoppedAt === undefined; t += 250) {
      await clock.advance(250);
      if (!a.leading()) stoppedAt = clock.monotonic();
    }
    expect(stoppedAt).toBeDefined();
    // Measured from the start of the last successful renew; before a rival may take the lease (15 s).
    expect((stoppedAt ?? Infinity) - lastRenewAt).toBeLessThanOrEqual(10_000 + 250);
    await a.done;
    expect(a.events).toContain('a:stopped');
  });

  it('measures the renew deadline on the monotonic clock: a wall clock stepped back does not extend it', async () => {
    const clock = new ManualClock();
    const store = new FakeLeaseStore();
    const a = candidate(store, clock, 'a');
    await flush();
    const lastRenewAt = clock.monotonic();
    store.failWrites = true;
    clock.stepWallClock(-3_600_000); // NTP steps the wall clock back an hour
    let stoppedAt: number | undefined;
    for (let t = 0; t < 60_000 && stoppedAt === undefined; t += 250) {
      await clock.advance(250);
      if (!a.leading()) stoppedAt = clock.monotonic();
    }
    expect(stoppedAt).toBeDefined();
    expect((stoppedAt ?? Infinity) - lastRenewAt).toBeLessThanOrEqual(10_000 + 250);
    await a.done;
  });
});
