// A machine's every snapshot, said and written: notices.ts says what it changed (Events, logs,
// metrics), a new state gets a prompt pass (prompt-passes.ts), and the snapshot is written as its
// resource's status (status-facts.ts decides it, the resource's status writer writes it). A write
// refused because another writer or a later leadership wrote since is handed to the supervisor.
import type { Logger } from 'pino';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import type { MachineState } from '../machines/views.ts';
import { crKindOf, type CrKind, type Notices } from './notices.ts';
import { PromptPasses } from './prompt-passes.ts';
import type { AnyHost, ReportedContext } from './resource-host.ts';
import { statusOf, type StatusFactsDeps } from './status-facts.ts';
import { StaleLeaderError, StatusSupersededError } from './status-writer.ts';

/** What saying and writing snapshots needs of the supervisor. */
export interface SnapshotStatusDeps extends StatusFactsDeps {
  readonly log: Pick<Logger, 'warn' | 'error'>;
  readonly notices: Pick<Notices, 'snapshot'>;
  /** The resource's object as the supervisor reads it now. */
  readonly rawOf: (kind: CrKind, name: string) => CustomObject | undefined;
  /** Whether this process leads: a follower runs no pass. */
  readonly leading: () => boolean;
  /** Runs a pass after `ms`. */
  readonly passAfter: (ms: number) => void;
  /** Another writer persisted this resource's machine since we last did. */
  readonly superseded: (host: AnyHost, err: StatusSupersededError) => void;
  /** A later leadership has written status. */
  readonly replaced: (err: StaleLeaderError) => void;
}

export class SnapshotStatus {
  readonly #o: SnapshotStatusDeps;
  readonly #promptPasses = new PromptPasses();

  constructor(deps: SnapshotStatusDeps) {
    this.#o = deps;
  }

  /** Every snapshot of an attached machine (host-registry.ts). */
  onSnapshot(host: AnyHost): void {
    const raw = this.#o.rawOf(crKindOf(host), host.name);
    const snapshot: MachineState<ReportedContext> = host.actor.getSnapshot();
    try {
      // A new state observes the world promptly instead of waiting for the next poll, within the
      // resource's budget of prompt passes (a failing call retried on every look is not a hot loop).
      if (this.#o.notices.snapshot(host, raw, snapshot) && this.#o.leading())
        this.#o.passAfter(this.#promptPasses.take(`${host.kind}/${host.name}`, this.#o.clock.now()));
    } catch (err) {
      // Thrown inside the actor's notification, it would end the process: a bug, reported.
      this.#o.log.error({ err: String(err), name: host.name }, 'reporting a machine state failed');
    }
    if (raw)
      void this.write(host, raw).catch((err: unknown) =>
        this.#o.log.warn({ err: String(err), name: host.name }, 'status write failed'),
      );
  }

  /** After a conflict the status is decided again from the object as read then, not re-applied. */
  async write(host: AnyHost, raw: CustomObject, envelope?: PersistedEnvelope): Promise<void> {
    // A machine that threw persists nothing: its stored status is what it is restored from.
    if (host.actor.getSnapshot().status === 'error') return;
    return host.writer
      .submit(
        statusOf(this.#o, host, raw, envelope),
        (current) => statusOf(this.#o, host, current, envelope),
        raw.metadata.resourceVersion,
      )
      .catch((err: unknown) => {
        if (err instanceof StaleLeaderError) this.#o.replaced(err);
        if (err instanceof StatusSupersededError) this.#o.superseded(host, err);
        throw err;
      });
  }
}
