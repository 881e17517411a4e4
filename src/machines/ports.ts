// The side effects the machines ask for, as typed ports. Machines declare them as placeholders
// that reject with "not provided"; the supervisor hands real ones to `machine.provide({ actors })`
// and tests hand fakes the same way. Each real implementation must be idempotent and must honour
// the AbortSignal fromPromise gives it (leaving the state aborts the call).
import { fromPromise } from 'xstate';
import type { PersistedEnvelope } from './envelope.ts';
import type { CompletedSnapshot } from './observations.ts';

/** Every effect may report when it finished; the machine's notion of time never goes back. */
export interface EffectOutput {
  readonly at?: number;
}

/**
 * A trigger (savepoint) whose request was sent but whose answer was lost (timeout after sending,
 * connection reset): Flink may have taken it. Said as an output, not an error, so the machine polls
 * the trigger id instead of abandoning a savepoint that may complete.
 */
export interface TriggerOutput extends EffectOutput {
  readonly outcomeUnknown?: boolean;
}

/**
 * Resolve at `deadline` (epoch ms) with `{ at }`: the durable replacement of xstate's `after`.
 * null means nothing is scheduled: stay pending until aborted (leaving the state aborts it).
 * Deadlines may lie in the past (resolve at once) or far ahead (sleep in chunks: setTimeout
 * cannot wait more than 2^31-1 ms).
 */
export interface WaitUntilInput {
  readonly deadline: number | null;
}

/** Write the envelope to the resource's status (write-ahead: it completes before the effect runs). */
export interface PersistInput {
  readonly envelope: PersistedEnvelope;
}

// Cluster effects.

export interface EnsureJobManagerInput {
  /** Start counter of the cluster: name the pod after it, so creating it again is a no-op. */
  readonly epoch: number;
  readonly taskSlots: number;
}

export interface EnsureJobManagerServiceInput {
  readonly epoch: number;
}

/** Cancel these Flink jobs (PATCH /jobs/:id?mode=cancel); 404 counts as done. */
export interface CancelFlinkJobsInput {
  readonly jobIds: readonly string[];
}

export interface ScaleTaskManagersInput {
  readonly epoch: number;
  readonly taskSlots: number;
  readonly desired: number;
  /**
   * false: create the missing pods only. true: delete surplus pods whose TaskManager is idle
   * (all slots free in GET /taskmanagers); busy ones stay, so pods may remain above desired.
   */
  readonly removeIdleSurplus: boolean;
}

export interface ScaleTaskManagersOutput extends EffectOutput {
  readonly created?: number;
  readonly deleted?: number;
}

/** Delete every JobManager/TaskManager pod and the JobManager Service of the cluster (any epoch). */
export interface DeleteClusterResourcesInput {
  readonly epoch: number;
}

/**
 * Delete Flink's HA ConfigMaps of the cluster (by Flink's labels and the cluster id); none left
 * counts as done. Output: how many were deleted.
 */
export interface RemoveHighAvailabilityConfigMapsInput {
  readonly epoch: number;
}

export interface RemoveHighAvailabilityConfigMapsOutput extends EffectOutput {
  readonly removed: number;
}

/** Create the storage-cleanup Job of the cluster (autoClean); one that exists counts as created. */
export interface StartStorageCleanupInput {
  readonly epoch: number;
}

// Job effects.

export interface CreateBootstrapInput {
  /** The Flink JobID to submit with (deterministic; the run request carries it). */
  readonly jobId: string;
  readonly submission: number;
  readonly parallelism: number;
  /** Restore from this savepoint, or start without state when null. */
  readonly savepointPath: string | null;
  readonly clusterEpoch: number;
  /**
   * specDigest of the bootstrap settings to submit: the FlinkJob's spec, or for a rollback the last
   * stable spec (kept in status.lastStableSpec). Absent: the FlinkJob's spec.
   */
  readonly specDigest?: string | null;
}

export interface DeleteBootstrapInput {
  readonly submission: number;
}

/** POST /jobs/:jobId/savepoints { cancel-job: false, target-directory, triggerId }. */
export interface TriggerSavepointInput {
  readonly jobId: string;
  readonly triggerId: string;
  readonly targetDirectory: string | null;
}

/** POST /jobs/:jobId/stop { drain, targetDirectory, triggerId } (stop-with-savepoint). */
export interface StopWithSavepointInput {
  readonly jobId: string;
  readonly triggerId: string;
  readonly targetDirectory: string | null;
  /** The job's drainOnStop. */
  readonly drain: boolean;
}

/** Poll GET /jobs/:jobId/savepoints/:triggerId until the operation is no longer IN_PROGRESS. */
export interface AwaitSavepointInput {
  readonly jobId: string;
  readonly triggerId: string;
}

export type AwaitSavepointOutput =
  | { readonly status: 'COMPLETED'; readonly location: string; readonly at?: number }
  | { readonly status: 'FAILED'; readonly reason: string; readonly at?: number }
  /** Flink answered 404 for the trigger id: the trigger never reached it; trigger again, same id. */
  | { readonly status: 'UNKNOWN_TRIGGER'; readonly at?: number };

/**
 * GET /jobs/:jobId/checkpoints: the newest completed checkpoint and savepoint Flink's statistics
 * list for the job (a finished job's too, while the JobManager keeps it). Rejects when Flink does
 * not answer; a job Flink does not know answers with both null.
 */
export interface ReadSnapshotsInput {
  readonly jobId: string;
}

export interface ReadSnapshotsOutput extends EffectOutput {
  readonly checkpoint: CompletedSnapshot | null;
  readonly savepoint: CompletedSnapshot | null;
}

/** PATCH /jobs/:jobId?mode=cancel; 404 counts as done. */
export interface CancelJobInput {
  readonly jobId: string;
}

/**
 * In place, through Flink's adaptive scheduler: PUT /jobs/:jobId/resource-requirements with the
 * upper bound `to` for each vertex that runs at the job parallelism `from` (a vertex the program
 * pinned keeps its own), then poll GET /jobs/:jobId until those vertices run at `to` with every
 * task RUNNING. Idempotent (the PUT sets, not adds): a restore sends it again. Flink's transient
 * errors are retried until the state's deadline aborts the call.
 */
export interface RescaleInPlaceInput {
  readonly jobId: string;
  readonly from: number;
  readonly to: number;
}

/**
 * applied: the job runs at `to`, same job id, no savepoint. Not applied: Flink cannot rescale this
 * job in place (a version without the endpoint, a scheduler that refuses it), said in `reason`.
 */
export type RescaleInPlaceOutput =
  | { readonly applied: true; readonly at?: number }
  | { readonly applied: false; readonly reason: string; readonly at?: number };

/** A placeholder actor: the supervisor provides the real one; a forgotten one fails loudly. */
export function notProvided<TOutput, TInput>(id: string) {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`actor "${id}" was not provided: give it to machine.provide({ actors })`);
  });
}
