import type { KindNames } from '../api/names.ts';
import type { CustomResourceClient } from '../kube/custom-resource-client.ts';
import { isNotFound } from '../kube/errors.ts';
import { retryOnConflict } from '../kube/retry-on-conflict.ts';
import { stableStringify } from '../machines/ids.ts';

/**
 * The single writer of one resource's status (the whole status is replaced). Writes are serialized (latest wins), skipped when
 * nothing but volatile fields changed, and preconditioned on the resourceVersion: a conflict re-reads
 * the object and retries. `submit` resolves once that status (or a later one) is stored, which is
 * what the machines' write-ahead `persist` step waits for.
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

/** No pause between tries: the re-read of the resourceVersion is the wait (and tests need no timers). */
const IMMEDIATE_RETRY = { sleep: async () => undefined };

export class StatusWriter {
  readonly #o: StatusWriterOptions;
  #pending: Record<string, unknown> | undefined;
  #lastWritten: string | undefined;
  #resourceVersion: string | undefined;
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

  /** Seeds the "already stored" state from the object read at start, so an unchanged status is not rewritten. */
  seed(status: Record<string, unknown> | undefined): void {
    if (status && this.#lastWritten === undefined) this.#lastWritten = comparableStatus(status);
  }

  submit(status: Record<string, unknown>): Promise<void> {
    this.#pending = status;
    const run = this.#chain.then(() => this.#flush());
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #flush(): Promise<void> {
    const status = this.#pending;
    this.#pending = undefined;
    if (!status || this.#gone) return;
    const comparable = comparableStatus(status);
    if (comparable === this.#lastWritten) return;
    // The status is the machine's whole decision, so a conflict (someone else wrote the object:
    // an annotation, a spec change) only needs the new resourceVersion, not a new decision.
    let rv = this.#resourceVersion ?? this.#o.initialResourceVersion();
    try {
      await retryOnConflict(async (tryNumber) => {
        if (!rv || tryNumber > 1) {
          const fresh = await this.#o.client.get(this.#o.kind, this.#o.namespace, this.#o.name);
          if (!fresh) {
            this.#gone = true;
            return;
          }
          rv = fresh.metadata.resourceVersion ?? '';
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
        this.writes++;
        this.#o.onWrite?.();
      }, IMMEDIATE_RETRY);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#gone = true;
    }
  }
}
