import type { FailureWatch } from './flink-failures.ts';
import type { Actor } from 'xstate';
import type { clusterMachine } from '../machines/cluster-machine.ts';
import type { jobMachine } from '../machines/job-machine.ts';
import type { ActionOutcome, Notice, RequestedAction } from '../machines/observations.ts';
import type { AutoscalerWatch } from './autoscaler-watch.ts';
import type { CheckpointWatch } from './checkpoint-watch.ts';
import type { StatusWriter } from './status-writer.ts';

/** What every machine context carries that the supervisor reports on. */
export interface ReportedContext {
  readonly notice: Notice | null;
  readonly lastAction: ActionOutcome | null;
  readonly pendingAction: RequestedAction | null;
}

/** A requested action the supervisor refused before any machine saw it (an unknown name). */
export interface InvalidAction {
  readonly at: number;
  readonly message: string;
}

/** The last Flink job a job machine owned, and the last state Flink listed it in. */
export interface LastFlinkJob {
  readonly id: string;
  readonly state: string | null;
}

/** The supervisor's handle on one resource: its machine actor and its status writer. */
export interface ResourceHost<TKind extends 'cluster' | 'job', TActor> {
  readonly kind: TKind;
  readonly name: string;
  readonly uid: string;
  readonly actor: TActor;
  readonly writer: StatusWriter;
  lastValue: string;
  lastNoticeAt: number | null;
  lastActionAt: number | null;
  /** Why the persisted snapshot could not be restored (reported as a condition and an Event). */
  restoreFailure: { reason: string; message: string } | null;
  /** Set while the spec at `generation` does not parse; cleared once a generation parses. */
  invalidSpec: { generation: number; message: string } | null;
  /** The latest requested action nobody could take (reported until a newer action is processed). */
  invalidAction: InvalidAction | null;
}

export type ClusterHost = ResourceHost<'cluster', Actor<typeof clusterMachine>>;

export interface JobHost extends ResourceHost<'job', Actor<typeof jobMachine>> {
  /**
   * The job machine forgets its Flink job id once a stop completes, often before Flink was seen to
   * end it; the supervisor keeps following that job so the status can say how it ended.
   */
  lastFlinkJob: LastFlinkJob | null;
  /** Whether the Flink job's checkpoints complete (the CheckpointsProgressing condition). */
  readonly checkpoints: CheckpointWatch;
  /** The autoscaler's latest decision (status.autoscaler), recommend mode. */
  readonly autoscaler: AutoscalerWatch;
  /** Flink's latest root exception and restart count (status.lastFailure). */
  readonly failures: FailureWatch;
}

export type AnyHost = ClusterHost | JobHost;

/** A machine that reached its final state (Terminated): nothing more to send it. */
export function isDone(host: AnyHost): boolean {
  return host.actor.getSnapshot().status === 'done';
}
