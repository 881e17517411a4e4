/**
 * How soon a machine's new state gets the pass that observes the world again.
 *
 * A new state is observed at once rather than at the next poll: a start or a stop goes through
 * several states in a row, and waiting a poll interval between each would make it slow. But a state
 * change is also what a failing call makes (a stop-with-savepoint refused by a JobManager that
 * answers fast, retried on the next observation, failing again): observed at once, every time, that
 * is a hot loop writing status tens of times a second until Flink recovers or the deadline passes.
 *
 * So each resource has a small budget of prompt passes (a token bucket): a burst of `burst` changes
 * is observed at once, later ones at the rate of one per `refillMs`. A machine that is making
 * progress never notices; a machine that flips between two states on every look is slowed to the
 * refill rate, and the poll interval still observes it.
 */
export interface PromptPassOptions {
  /** Prompt passes a resource may have in a row (default 8). */
  readonly burst?: number;
  /** One more prompt pass becomes available every this many milliseconds (default 2,500). */
  readonly refillMs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class PromptPasses {
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: PromptPassOptions = {}) {
    this.#burst = options.burst ?? 8;
    this.#refillMs = options.refillMs ?? 2_500;
  }

  /**
   * A state change of `resource` at `now` asks for a pass: how long to wait for it (0: at once).
   * Taking a token commits the pass; a delayed one is granted its token when it is due.
   */
  take(resource: string, now: number): number {
    const bucket = this.#refilled(resource, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    const wait = Math.ceil((1 - bucket.tokens) * this.#refillMs);
    // The delayed pass spends the token it waits for: the next change waits one more interval, but
    // never more than two (the poll interval observes the resource anyway).
    bucket.tokens = Math.max(bucket.tokens - 1, -1);
    return wait;
  }

  #refilled(resource: string, now: number): Bucket {
    const bucket = this.#buckets.get(resource) ?? { tokens: this.#burst, at: now };
    // A clock stepped back refills nothing (and takes nothing away).
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + elapsed / this.#refillMs);
    bucket.at = Math.max(bucket.at, now);
    this.#buckets.set(resource, bucket);
    return bucket;
  }
}
