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
 */
export interface StatusWriterOptions {
  readonly client: CustomResourceClient;
  readonly kind: KindNames;
  readonly namespace: string;
  readonly name: string;
  /** The resourceVersion last seen (the informer cache). */
  readonly initialResourceVersion: () => string | undefined;
  readonly onWrite?: () => void;
}

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

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending || this.#gone) return;
    let status = pending.status;
    let comparable = comparableStatus(status);
    if (comparable === this.#lastWritten) return;
    let rv = this.#resourceVersion ?? this.#seededVersion ?? this.#o.initialResourceVersion();
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
            status = pending.decide(fresh);
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
