import type { Clock } from '../../src/kube/clock.ts';

interface Timer {
  readonly at: number;
  readonly id: number;
  readonly fire: () => void;
  readonly owner: ProcessClock | undefined;
}

/** Lets every promise callback run: one macrotask turn drains the microtask queue. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Virtual time for a whole simulated world. Timers fire in (time, creation) order, one at a time,
 * with every promise callback they cause run before the next: the same seed gives the same order.
 */
export class SimClock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 0;
  /** Timers fired so far (a measure of work). */
  fired = 0;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, fire: () => void, owner?: ProcessClock): { cancel(): void } {
    // Whole milliseconds, as Date.now() gives: a jittered delay must not make the wall clock fractional.
    const timer: Timer = { at: this.#now + Math.ceil(Math.max(0, ms)), id: this.#nextId++, fire, owner };
    // Sorted insert: timers are few (hundreds at most).
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1] as Timer).at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return {
      cancel: () => {
        const at = this.#timers.indexOf(timer);
        if (at >= 0) this.#timers.splice(at, 1);
      },
    };
  }

  /** Drops every timer of a process that died. */
  dropTimersOf(owner: ProcessClock): void {
    this.#timers = this.#timers.filter((t) => t.owner !== owner);
  }

  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time to `target`, firing due timers in order and settling after each. */
  async runUntil(target: number): Promise<void> {
    await settle();
    for (;;) {
      const due = this.#timers[0];
      if (!due || due.at > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, due.at);
      this.fired++;
      due.fire();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
  }
}

/**
 * One process's view of the world clock: its wall clock may be skewed (now() only; elapsed time
 * is true), and when the process dies its timers are dropped and its sleeps never end, as the code
 * of a killed process never runs again.
 */
export class ProcessClock implements Clock {
  readonly #world: SimClock;
  skewMs = 0;
  #dead = false;

  constructor(world: SimClock) {
    this.#world = world;
  }

  get dead(): boolean {
    return this.#dead;
  }

  kill(): void {
    this.#dead = true;
    this.#world.dropTimersOf(this);
  }

  now(): number {
    return this.#world.now() + this.skewMs;
  }

  monotonic(): number {
    return this.#world.now();
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    if (this.#dead) return { cancel: () => undefined };
    return this.#world.schedule(ms, fn, this);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      // The listener goes once the sleep ends: long-lived signals (a leadership) see many sleeps.
      const onAbort = () => {
        handle.cancel();
        reject(signal?.reason);
      };
      const handle = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
