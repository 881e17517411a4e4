import type { Clock } from '../kube/clock.ts';

/**
 * Machines that threw. A machine that throws is a bug (effects never throw into a machine; they
 * answer with events), yet one bug must neither leave its resource unsupervised for good nor, once
 * restored, throw again in a hot loop. So the supervisor drops the failed machine and this record
 * says when it may be restored from the stored status again: after an exponential backoff (1 s,
 * doubling, at most 5 min), which resets once the restored machine has run without failing for a
minute and twice its last delay (a machine that fails soon after each restore keeps backing off,
whether it fails inside a pass or between passes). Until then the
 * resource's Flink job stays managed (never cancelled as unmanaged) and nothing acts for it.
 */

export interface MachineFailure {
  /** Consecutive failures, the last one included. */
  readonly attempts: number;
  /** Epoch ms before which the machine is not restored. */
  readonly retryAt: number;
  readonly message: string;
  /** Epoch ms of the failure. */
  readonly at: number;
}

export interface MachineFailureBackoff {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_MACHINE_FAILURE_BACKOFF: MachineFailureBackoff = { baseMs: 1000, capMs: 300_000 };

/** How long a restored machine must run without failing before its backoff starts afresh. */
const STABLE_AFTER_MS = 60_000;

export class MachineFailures {
  readonly #clock: Clock;
  readonly #backoff: MachineFailureBackoff;
  readonly #failures = new Map<string, MachineFailure>();

  constructor(clock: Clock, backoff: MachineFailureBackoff = DEFAULT_MACHINE_FAILURE_BACKOFF) {
    this.#clock = clock;
    this.#backoff = backoff;
  }

  /** Records a failure; the delay doubles with each consecutive one. */
  record(kind: 'cluster' | 'job', name: string, err: unknown): MachineFailure {
    const key = `${kind}/${name}`;
    const attempts = (this.#failures.get(key)?.attempts ?? 0) + 1;
    const delay = Math.min(this.#backoff.capMs, this.#backoff.baseMs * 2 ** Math.min(attempts - 1, 30));
    const at = this.#clock.now();
    const failure = {
      attempts,
      at,
      retryAt: at + delay,
      message: err instanceof Error ? err.message : String(err),
    };
    this.#failures.set(key, failure);
    return failure;
  }

  /** The failure that still holds the machine back at `now`, if any. */
  holding(kind: 'cluster' | 'job', name: string, now: number): MachineFailure | undefined {
    const failure = this.#failures.get(`${kind}/${name}`);
    return failure && failure.retryAt > now ? failure : undefined;
  }

  /** A pass the machine survived: once it has been stable long enough, its backoff starts afresh. */
  survived(kind: 'cluster' | 'job', name: string, now: number): void {
    const key = `${kind}/${name}`;
    const failure = this.#failures.get(key);
    if (!failure) return;
    const delay = failure.retryAt - failure.at;
    if (now - failure.retryAt >= Math.max(STABLE_AFTER_MS, 2 * delay)) this.#failures.delete(key);
  }

  /** A resource that is gone. */
  forget(kind: 'cluster' | 'job', name: string): void {
    this.#failures.delete(`${kind}/${name}`);
  }
}
