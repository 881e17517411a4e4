import type { Clock } from './clock.ts';

/**
 * A keyed, rate-limited work queue in the manner of client-go's workqueue: a key is queued at most
 * once, processed by at most one worker at a time (an add while it runs marks it dirty, so it runs
 * again after), retried after failures with per-key exponential backoff plus jitter, and re-added
 * after `requeueAfterMs` when a reconcile asks to look again later.
 */
export interface ReconcileResult {
  /** Look again after this long (level-based polling of an in-flight operation). */
  readonly requeueAfterMs?: number;
}

/** A failure that retrying cannot fix (invalid spec): logged and counted, never requeued. */
export class TerminalError extends Error {}

export interface WorkQueueOptions {
  readonly reconcile: (key: string) => Promise<ReconcileResult | void>;
  readonly clock: Clock;
  readonly concurrency?: number;
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly random?: () => number;
  readonly onResult?: (
    key: string,
    outcome: 'success' | 'requeue_after' | 'error' | 'terminal',
    durationMs: number,
    err?: unknown,
  ) => void;
}

export class WorkQueue {
  readonly #o: WorkQueueOptions;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { at: number; cancel(): void }>();
  #running = 0;
  #stopped = true;
  /** Bumped by stop(): a timer armed in an earlier epoch that fires late (cancel raced) is ignored. */
  #epoch = 0;
  #idleWaiters: (() => void)[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.#o = options;
  }

  get depth(): number {
    return this.#queue.length;
  }

  start(): void {
    this.#stopped = false;
    this.#pump();
  }

  /**
   * Stops dispatching and cancels every pending delayed add (requeueAfterMs, backoff). A reconcile
   * still running finishes, but its requeue is dropped; a timer that fires anyway is ignored. Keys
   * queued by add() stay queued and run on the next start().
   */
  stop(): void {
    this.#stopped = true;
    this.#epoch++;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#wakeIdleWaiters();
  }

  /**
   * Stops (as stop()) and resolves once no reconcile is running: a clean shutdown lets the pass in
   * flight finish before the leader gives up its Lease. Keys still queued are left to the next leader.
   */
  drain(): Promise<void> {
    this.stop();
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  add(key: string): void {
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  /**
   * Adds `key` after `ms`; an earlier pending add-after for the same key wins. Ignored while the
   * queue is stopped: a delayed add must never outlive stop().
   */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#o.clock.now() + ms;
    const existing = this.#timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const epoch = this.#epoch;
    const entry = { at, cancel: () => {} };
    const handle = this.#o.clock.setTimeout(() => {
      // A timer cancelled (stop(), or superseded by an earlier add-after) that fires anyway is stale.
      if (this.#timers.get(key) !== entry || this.#stopped || epoch !== this.#epoch) return;
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    entry.cancel = handle.cancel;
    this.#timers.set(key, entry);
  }

  /** The next backoff for a failing key: base·2^failures with ±10% jitter, capped. */
  backoffFor(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    const base = this.#o.baseBackoffMs ?? 500;
    const max = this.#o.maxBackoffMs ?? 300_000;
    const raw = Math.min(base * 2 ** failures, max);
    const jitter = 1 + ((this.#o.random ?? Math.random)() * 0.2 - 0.1);
    return Math.min(Math.round(raw * jitter), max);
  }

  /** Resolves when nothing is queued or running, or once stopped with nothing running (tests). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Nothing runs and nothing will: the queue is empty, or stopped (keys left queued never run). */
  #isIdle(): boolean {
    return this.#running === 0 && (this.#queue.length === 0 || this.#stopped);
  }

  #wakeIdleWaiters(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    if (this.#stopped) {
      this.#wakeIdleWaiters();
      return;
    }
    while (this.#running < (this.#o.concurrency ?? 1) && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      this.#queued.delete(key);
      this.#processing.add(key);
      this.#running++;
      void this.#process(key);
    }
    this.#wakeIdleWaiters();
  }

  async #process(key: string): Promise<void> {
    const started = this.#o.clock.now();
    try {
      const result = await this.#o.reconcile(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined) {
        this.#o.onResult?.(key, 'requeue_after', this.#o.clock.now() - started);
        this.addAfter(key, result.requeueAfterMs);
      } else {
        this.#o.onResult?.(key, 'success', this.#o.clock.now() - started);
      }
    } catch (err) {
      if (err instanceof TerminalError) {
        this.#failures.delete(key);
        this.#o.onResult?.(key, 'terminal', this.#o.clock.now() - started, err);
      } else {
        const delay = this.backoffFor(key);
        this.#failures.set(key, (this.#failures.get(key) ?? 0) + 1);
        this.#o.onResult?.(key, 'error', this.#o.clock.now() - started, err);
        this.addAfter(key, delay);
      }
    } finally {
      this.#processing.delete(key);
      this.#running--;
      if (this.#running === 0) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const w of waiters) w();
      }
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }
}
