import type { KindNames } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { isNotFound } from '../kube/errors.ts';
import { retryOnConflict } from '../kube/retry-on-conflict.ts';
import { stableStringify } from '../machines/ids.ts';

/**
 * The single writer of one resource's status (the whole status is replaced). Writes are serialized
 * (latest wins), skipped when nothing but volatile fields changed, and preconditioned on the
 * resourceVersion. A conflict (409) is never answered by re-applying the old decision: the writer
 * re-reads the object and decides again from it (`retryOnConflict`'s shape). When the stored machine
 * snapshot is no longer the one this writer last stored or read, another writer (a second leader)
 * has persisted state since: the write is refused with `StatusSupersededError` and the caller
 * restores from the stored status. `submit` resolves once that status (or a later one) is stored,
 * which is what the machines' write-ahead `persist` step waits for.
 *
 * Fencing (ADR 0014): every status written carries the writer's leadership epoch
 * (`status.leaderEpoch`). A leader that finds a greater epoch stored has been replaced: its write is
 * refused with `StaleLeaderError`, whatever it would have written. Since every write is
 * preconditioned on the resourceVersion and a conflict always re-reads, no write of a replaced
 * leader lands once its successor has written the object (and a successor writes its intent
 * before it acts: ADR 0005).
 */
export interface StatusWriterOptions {
  readonly client: CustomResourceClient;
  readonly kind: KindNames;
  readonly namespace: string;
  readonly name: string;
  /** The object as last seen (the informer cache): its resourceVersion when the writer has no other. */
  readonly cached: () => CustomObject | undefined;
  /** The writer's leadership epoch (undefined: not fenced, as in tests without a Lease). */
  readonly epoch?: () => number | undefined;
  readonly onWrite?: () => void;
}

/** The status field that carries the epoch of the leader that wrote it. */
export const LEADER_EPOCH_FIELD = 'leaderEpoch';

/**
 * The status without the fields that change on every observation without meaning anything
 * changed, in a key-order-free form: the API server hands objects back with its own key order, so
 * a status read at start compares equal to the same status built here.
 */
export function comparableStatus(status: Record<string, unknown>): string {
  const machine = status['machine'] as { context?: Record<string, unknown> } | undefined;
  const context = machine?.context
    ? { ...machine.context, now: undefined, lastObservedAt: undefined }
    : undefined;
  return stableStringify({
    ...status,
    timestamp: undefined,
    // Who wrote it is not what it says: a new leader does not rewrite an unchanged status.
    [LEADER_EPOCH_FIELD]: undefined,
    machine: machine ? { ...machine, context } : undefined,
  });
}

/**
 * The stored status carries a machine snapshot this writer did not write nor start from: someone else
 * persisted the machine since (another leader). Overwriting it could undo their write-ahead record.
 */
export class StatusSupersededError extends Error {
  /** The object as read when the change was found: the machine is restored from it. */
  readonly current: CustomObject;

  constructor(message: string, current: CustomObject) {
    super(message);
    this.current = current;
  }
}

/**
 * The object carries a greater leadership epoch than this writer's: a later leader has written it,
 * so this one has been replaced. It must stop acting (step down), not only drop this machine.
 */
export class StaleLeaderError extends Error {
  readonly storedEpoch: number;
  readonly ownEpoch: number;

  constructor(message: string, storedEpoch: number, ownEpoch: number) {
    super(message);
    this.storedEpoch = storedEpoch;
    this.ownEpoch = ownEpoch;
  }
}

/** The epoch stored on an object's status, when it carries one. */
export function storedLeaderEpoch(status: Record<string, unknown> | undefined): number | undefined {
  const value = status?.[LEADER_EPOCH_FIELD];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** The status to write, decided again from the object as it is now (after a 409, from a fresh read). */
export type DecideStatus = (current: CustomObject) => Record<string, unknown>;

function comparableMachine(status: Record<string, unknown> | undefined): string {
  return comparableStatus({ machine: status?.['machine'] });
}

/** No pause between tries: the re-read of the resourceVersion is the wait (and tests need no timers). */
const IMMEDIATE_RETRY = { sleep: async () => undefined };

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  #pending:
    | { status: Record<string, unknown>; decide: DecideStatus | undefined; decidedFrom: string | undefined }
    | undefined;
  #lastWritten: string | undefined;
  /** The machine snapshot as this writer last stored or first read it (comparable form). */
  #ownMachine: string | undefined;
  #resourceVersion: string | undefined;
  /** The resourceVersion of the object the machine was restored from (`seed`). */
  #seededVersion: string | undefined;
  #chain: Promise<void> = Promise.resolve();
  #gone = false;
  writes = 0;

  constructor(options: StatusWriterOptions) {
    this.#o = options;
  }

  /** The status as last stored (comparable form), to tell a real change from a repeat. */
  get lastWritten(): string | undefined {
    return this.#lastWritten;
  }

  /**
   * Seeds the "already stored" state from the object read at start, so an unchanged status is not
   * rewritten. `resourceVersion` is that object's: until this writer has written, its writes are
   * preconditioned on it, not on the cache's version, so a status decided from a newer object
   * re-reads first and a machine restored from an older copy than the cache holds by then is
   * refused (superseded), never written over what was stored since (the simulator's finding K12).
   */
  seed(status: Record<string, unknown> | undefined, resourceVersion?: string): void {
    if (status && this.#lastWritten === undefined) this.#lastWritten = comparableStatus(status);
    this.#ownMachine ??= comparableMachine(status);
    this.#seededVersion ??= resourceVersion;
  }

  /** Resolves once every submitted status is stored or has failed (a clean shutdown waits for it). */
  settled(): Promise<void> {
    return this.#chain;
  }

  /**
   * Stores `status`. `decide` computes it again from a freshly read object after a conflict (the
   * generation, the stored conditions may have moved); without it the same status is kept.
   * `decidedFrom` is the resourceVersion of the object `status` was decided from: when this writer
   * has written a newer version since (the informer has not caught up with our own write), the
   * decision may be older than what is stored, and a write preconditioned on our own version would
   * land it (observedGeneration going back): the object is read and the status decided again.
   */
  submit(status: Record<string, unknown>, decide?: DecideStatus, decidedFrom?: string): Promise<void> {
    this.#pending = { status, decide, decidedFrom };
    const run = this.#chain.then(() => this.#flush());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Throws `StaleLeaderError` when `object` was written by a later leadership than `epoch`. */
  #refuseIfReplaced(object: CustomObject | undefined, epoch: number | undefined): void {
    const storedEpoch = storedLeaderEpoch(object?.status);
    if (epoch === undefined || storedEpoch === undefined || storedEpoch <= epoch) return;
    throw new StaleLeaderError(
      `${this.#o.kind.kind} ${this.#o.namespace}/${this.#o.name}: written by leadership epoch ${storedEpoch}, ours is ${epoch}`,
      storedEpoch,
      epoch,
    );
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending || this.#gone) return;
    const epoch = this.#o.epoch?.();
    const stamped = (decided: Record<string, unknown>) =>
      epoch === undefined ? decided : { ...decided, [LEADER_EPOCH_FIELD]: epoch };
    let status = stamped(pending.status);
    let comparable = comparableStatus(status);
    if (comparable === this.#lastWritten) return;
    let rv = this.#resourceVersion ?? this.#seededVersion;
    if (rv === undefined) {
      // Preconditioned on the cache's version: the cache's object must not be a successor's.
      const cached = this.#o.cached();
      this.#refuseIfReplaced(cached, epoch);
      rv = cached?.metadata.resourceVersion;
    }
    // A write preconditioned on a version newer than the one the status was decided from would
    // land an old decision (observedGeneration going back): our own write since (the informer has
    // not caught up), or the watch having moved on while this status waited in the queue (a retry
    // after a conflict, a slow API server; found by the simulator, seed 7072). Decide again.
    const decidedBeforeOurWrite =
      pending.decide !== undefined && pending.decidedFrom !== undefined && pending.decidedFrom !== rv;
    try {
      await retryOnConflict(async (tryNumber) => {
        if (!rv || tryNumber > 1 || (tryNumber === 1 && decidedBeforeOurWrite)) {
          // The 409 says the decision was made on a stale object: read it and decide again.
          const fresh = await this.#o.client.get(this.#o.kind, this.#o.namespace, this.#o.name);
          if (!fresh) {
            this.#gone = true;
            return;
          }
          this.#refuseIfReplaced(fresh, epoch);
          const stored = comparableMachine(fresh.status);
          if (this.#ownMachine !== undefined && stored !== this.#ownMachine) {
            throw new StatusSupersededError(
              `${this.#o.kind.kind} ${this.#o.namespace}/${this.#o.name}: the stored machine snapshot was written by another writer`,
              fresh,
            );
          }
          rv = fresh.metadata.resourceVersion ?? '';
          // The stored machine is still ours at this version: a later write may start from it.
          this.#seededVersion = rv;
          if (pending.decide) {
            status = stamped(pending.decide(fresh));
            comparable = comparableStatus(status);
          }
          if (fresh.status && comparable === comparableStatus(fresh.status)) {
            this.#lastWritten = comparable; // already stored as decided
            return;
          }
        }
        const written = await this.#o.client.replaceStatus(
          this.#o.kind,
          this.#o.namespace,
          this.#o.name,
          rv,
          status,
        );
        this.#resourceVersion = written.metadata.resourceVersion;
        this.#lastWritten = comparable;
        this.#ownMachine = comparableMachine(status);
        this.writes++;
        this.#o.onWrite?.();
      }, IMMEDIATE_RETRY);
    } catch (err) {
      if (!isNotFound(err)) {
        // A submit chained behind this flush may have handed its status to it: put it back (unless
        // a newer one came), so that submit writes it or fails too, never resolves as stored. Else
        // a request's annotation was cleared before its answer was in status (found by the
        // deterministic simulator, seed 101746).
        this.#pending ??= pending;
        throw err;
      }
      this.#gone = true;
    }
  }
}
