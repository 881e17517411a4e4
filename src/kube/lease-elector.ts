import { ConflictError } from './lease-store.ts';
import type { LeaseRecord, LeaseStore } from './lease-store.ts';
import type { Clock } from './clock.ts';

/**
 * Leader election on a Lease, following client-go's algorithm and defaults: a candidate takes the
 * lease only when its record has not changed for `leaseDuration` as observed on the candidate's own
 * clock (no trust in the holder's clock); the leader renews every `retryPeriod` and gives up leading
 * when it could not renew for `renewDeadline` — before anyone else may take the lease, since
 * renewDeadline < leaseDuration. Every write is preconditioned on the resourceVersion just read.
 *
 * Both durations are measured on the monotonic clock (`Clock.monotonic`), never the wall clock, so a
 * clock step cannot stretch them; the renew deadline counts from the start of the last successful
 * renew (the server stored it no earlier). A renew that hangs does not hold the deadline back: the
 * leader stops leading when the deadline passes, whether or not the attempt has answered.
 */
export interface LeaderElectorOptions {
  readonly store: LeaseStore;
  readonly identity: string;
  readonly clock: Clock;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  /**
   * client-go's jitter of the retry period (1.2 → up to +120 %): here it only bounds the renew
   * deadline (renewDeadline > jitterFactor × retryPeriod); candidates look every half retry period.
   */
  readonly jitterFactor?: number;
  readonly random?: () => number;
  readonly onStartedLeading: (signal: AbortSignal, term: LeadershipTerm) => void | Promise<void>;
  readonly onStoppedLeading?: () => void | Promise<void>;
  readonly onNewLeader?: (identity: string) => void;
  readonly onError?: (err: unknown) => void;
}

/**
 * One leadership, as its holder sees it. `epoch` is the Lease's `leaseTransitions` as this leader
 * stored it when it took the lease: every new leadership stores a greater one (even the same
 * identity taking its own lease back), so a write stamped with an older epoch than the one stored
 * on an object comes from a leader that has been replaced (ADR 0014, fencing). `stepDown` ends
 * the leadership at once, for a leader that finds it has been replaced before its renew fails.
 */
export interface LeadershipTerm {
  readonly epoch: number;
  stepDown(reason: string): void;
}

export const LEASE_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  jitterFactor: 1.2,
};

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectorOptions, 'onStoppedLeading' | 'onNewLeader' | 'onError'>> &
    Pick<LeaderElectorOptions, 'onStoppedLeading' | 'onNewLeader' | 'onError'>;
  #observed: { record: LeaseRecord; resourceVersion: string } | undefined;
  #observedAt = 0;
  #lastRenew = 0;
  #leading: AbortController | undefined;
  #reportedLeader: string | undefined;

  constructor(options: LeaderElectorOptions) {
    const o = { ...LEASE_DEFAULTS, random: Math.random, ...options };
    if (!(o.leaseDurationMs > o.renewDeadlineMs))
      throw new Error('leaseDuration must be greater than renewDeadline');
    if (!(o.renewDeadlineMs > o.jitterFactor * o.retryPeriodMs))
      throw new Error('renewDeadline must be greater than retryPeriod*jitter');
    this.#o = o;
  }

  /** Elapsed time for deadlines: monotonic, immune to wall-clock steps. */
  #elapsed(): number {
    return this.#o.clock.monotonic?.() ?? this.#o.clock.now();
  }

  get isLeader(): boolean {
    return this.#leading !== undefined && !this.#leading.signal.aborted;
  }

  /** For /healthz: a leader that has not renewed for leaseDuration + tolerance is unhealthy. */
  healthy(toleranceMs = 20_000): boolean {
    if (!this.isLeader) return true;
    return this.#elapsed() - this.#lastRenew <= this.#o.leaseDurationMs + toleranceMs;
  }

  get lastObservedHolder(): string | undefined {
    return this.#observed?.record.holderIdentity || undefined;
  }

  /**
   * How long a candidate waits before it looks again. client-go waits retryPeriod with up to 120 %
   * jitter (2 to 4.4 s), and the lease of a dead leader expires, on the candidate's clock, a lease
   * after the candidate first saw its last renew: up to 4.4 s late, so a takeover took lease + 4.4 s.
   * A candidate here looks every half retry period (up to 20 % jitter: 1 to 1.2 s), and wakes when the
   * lease it saw would expire: a dead leader is replaced within the lease plus one look (ADR 0014).
   * The safety argument is unchanged: the expiry still counts from the candidate's own observation.
   */
  #candidateWait(): number {
    const look = (this.#o.retryPeriodMs / 2) * (1 + this.#o.random() * 0.2);
    const observed = this.#observed?.record;
    if (!observed?.holderIdentity || observed.holderIdentity === this.#o.identity) return look;
    const leaseMs = (observed.leaseDurationSeconds || 0) * 1000 || this.#o.leaseDurationMs;
    const expiresIn = this.#observedAt + leaseMs - this.#elapsed();
    return Math.max(0, Math.min(look, expiresIn + 1));
  }

  /** One attempt; true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#o.clock.now(); // recorded in the Lease, for people; never compared for safety
    const observedAt = this.#elapsed();
    const desired = (prev?: LeaseRecord): LeaseRecord => ({
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: prev && prev.holderIdentity === this.#o.identity ? prev.acquireTime : now,
      renewTime: now,
      // A renew keeps the epoch; a new leadership takes the next one, even when the record still
      // names this identity (a restarted process with the same name, a lease lost and taken back).
      leaseTransitions: prev
        ? prev.holderIdentity === this.#o.identity && this.isLeader
          ? prev.leaseTransitions
          : prev.leaseTransitions + 1
        : 0,
    });
    const current = await this.#o.store.get();
    if (!current) {
      try {
        const rv = await this.#o.store.create(desired());
        this.#observe(desired(), rv, observedAt);
        return true;
      } catch (err) {
        if (err instanceof ConflictError) return false;
        throw err;
      }
    }
    if (!this.#observed || JSON.stringify(this.#observed.record) !== JSON.stringify(current.record)) {
      this.#observe(current.record, current.resourceVersion, observedAt);
    }
    const holder = current.record.holderIdentity;
    const heldByOther = holder !== '' && holder !== this.#o.identity;
    const leaseMs = (current.record.leaseDurationSeconds || 0) * 1000 || this.#o.leaseDurationMs;
    if (heldByOther && this.#observedAt + leaseMs > observedAt) return false;
    const next = desired(current.record);
    try {
      const rv = await this.#o.store.update(next, current.resourceVersion);
      this.#observe(next, rv, observedAt);
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  #observe(record: LeaseRecord, resourceVersion: string, observedAt: number): void {
    this.#observed = { record, resourceVersion };
    this.#observedAt = observedAt;
    if (record.holderIdentity && record.holderIdentity !== this.#reportedLeader) {
      this.#reportedLeader = record.holderIdentity;
      this.#o.onNewLeader?.(record.holderIdentity);
    }
  }

  async #attempt(): Promise<boolean> {
    try {
      return await this.tryAcquireOrRenew();
    } catch (err) {
      this.#o.onError?.(err);
      return false;
    }
  }

  /**
   * One renew that gives up at the renew deadline: 'renewed', 'failed' (try again), or 'expired'
   * (the deadline passed, possibly while the attempt still hangs: it is left behind, unheard).
   */
  async #renewBefore(deadline: number, signal: AbortSignal): Promise<'renewed' | 'failed' | 'expired'> {
    const startedAt = this.#elapsed();
    const remaining = deadline - startedAt;
    if (remaining <= 0) return 'expired';
    const timer = new AbortController();
    const onAbort = () => timer.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await Promise.race([
        this.#attempt(),
        this.#o.clock.sleep(remaining, timer.signal).then(
          () => 'expired' as const,
          () => 'expired' as const,
        ),
      ]);
      if (outcome === 'expired') return 'expired';
      if (!outcome) return this.#elapsed() >= deadline ? 'expired' : 'failed';
      this.#lastRenew = startedAt;
      return 'renewed';
    } finally {
      timer.abort();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Campaigns until leading, leads until the lease is lost or `signal` aborts, then returns.
   * client-go's advice applies: exit the process after it returns, so nothing acts without the lease.
   */
  async run(signal: AbortSignal): Promise<void> {
    const clock = this.#o.clock;
    for (;;) {
      if (signal.aborted) return;
      const startedAt = this.#elapsed();
      if (await this.#attempt()) {
        this.#lastRenew = startedAt;
        break;
      }
      await clock.sleep(this.#candidateWait(), signal).catch(() => undefined);
    }
    if (signal.aborted) return;
    const leading = new AbortController();
    this.#leading = leading;
    const stopLeading = () => leading.abort(new Error('leadership lost'));
    signal.addEventListener('abort', stopLeading, { once: true });
    const term: LeadershipTerm = {
      epoch: this.#observed?.record.leaseTransitions ?? 0,
      stepDown: (reason) => leading.abort(new Error(`stepped down: ${reason}`)),
    };
    void Promise.resolve(this.#o.onStartedLeading(leading.signal, term)).catch((err: unknown) =>
      this.#o.onError?.(err),
    );
    while (!leading.signal.aborted) {
      await clock.sleep(this.#o.retryPeriodMs, leading.signal).catch(() => undefined);
      if (leading.signal.aborted) break;
      // Retry within the renew deadline; past it, stop leading before the lease can expire for others.
      const deadline = this.#lastRenew + this.#o.renewDeadlineMs;
      let outcome: 'renewed' | 'failed' | 'expired' = 'failed';
      while (!leading.signal.aborted) {
        outcome = await this.#renewBefore(deadline, leading.signal);
        if (outcome !== 'failed') break;
        const pause = Math.min(this.#o.retryPeriodMs, deadline - this.#elapsed());
        await clock.sleep(Math.max(0, pause), leading.signal).catch(() => undefined);
      }
      if (outcome !== 'renewed') break;
    }
    stopLeading();
    signal.removeEventListener('abort', stopLeading);
    await this.#o.onStoppedLeading?.();
  }

  /** Gives the lease up (holder cleared) so a successor need not wait; only after work has stopped. */
  async release(): Promise<void> {
    const observed = this.#observed;
    if (!observed || observed.record.holderIdentity !== this.#o.identity) return;
    this.#leading?.abort(new Error('released'));
    const now = this.#o.clock.now();
    try {
      await this.#o.store.update(
        { ...observed.record, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        observed.resourceVersion,
      );
    } catch (err) {
      this.#o.onError?.(err);
    }
  }
}
