import { setCondition, type Condition, type ConditionStatus } from './status.ts';

/**
 * The one vocabulary of conditions Flinkvisor writes, and the one way to build them (as
 * sample-controller and apimachinery's meta.SetStatusCondition do): a `Conditions` builder starts
 * from the stored list, stamps every condition it sets with the generation it was computed from,
 * and moves lastTransitionTime only when a condition's status changes. Users read these with
 * `kubectl get`/`kubectl wait --for=condition=<type>`, so the types and reasons below are API.
 */
export const CONDITION_TYPES = {
  /** The resource runs as its spec says (or, for a FlinkDeployment, its children were made). */
  ready: 'Ready',
  /** Work toward the spec is in flight. */
  progressing: 'Progressing',
  /** The spec parsed; False names the field that did not. */
  specValid: 'SpecValid',
  /** The latest requested action (annotation, REST, CLI): True accepted, False rejected or invalid. */
  actionProcessed: 'ActionProcessed',
  /** False when the persisted state machine could not be restored and was reset. */
  machineRestored: 'MachineRestored',
  /**
   * A FlinkJob's state storage: False when the store refused Flink's credentials (the message names
   * the Secret), True once a savepoint completed. Absent until either happened.
   */
  storageAccessible: 'StorageAccessible',
  /**
   * A FlinkJob's periodic checkpoints: True while they complete, False when none completed within a
   * bound derived from the job's interval and timeout, or two failed in a row (the message names the
   * last completed checkpoint, when, and the failures). Report only: the job is never restarted for
   * it. Absent while no job runs or the job has no periodic checkpoints (docs/durable-state.md).
   */
  checkpointsProgressing: 'CheckpointsProgressing',
  /**
   * A FlinkJob's state across restarts: True names the snapshot the latest submission restored
   * (status.restoredFrom), False (SnapshotUnavailable) when an upgrade could take no savepoint and
   * found no checkpoint within maxCheckpointAge, or (SnapshotMissing) when the snapshot to restore
   * has no `_metadata`, so the job was left stopped rather than started empty; the message says
   * what the user can do (docs/upgrades.md). Absent before the first choice.
   */
  stateRestorable: 'StateRestorable',
  /**
   * A FlinkJob's latest gated upgrade (spec.upgrade.healthCheckWindow): Unknown (Verifying) while
   * its window runs, True (Healthy) once it passed, False when it failed: Failed (rollback off),
   * RollingBack or RolledBack. Absent before the first gated upgrade (docs/upgrades.md).
   */
  upgradeHealthy: 'UpgradeHealthy',
  /**
   * True (Paused) while the annotation flinkvisor.io/paused is "true": the resource is observed and
   * nothing is changed (ADR 0019). Absent when not paused.
   */
  reconciliationPaused: 'ReconciliationPaused',
  /**
   * A FlinkCluster's supervisor (written by the operator): False when its Deployment cannot create
   * or run the pod, the reason and message taken from the Deployment (FailedCreate: a missing
   * ServiceAccount, a refused pod; ProgressDeadlineExceeded); then Unknown (Starting) while its
   * pod starts and True once it runs (ADR 0019). Absent while it never failed.
   */
  supervisorReady: 'SupervisorReady',
} as const;
export type ConditionType = (typeof CONDITION_TYPES)[keyof typeof CONDITION_TYPES];

export const CONDITION_REASONS = {
  invalidSpec: 'InvalidSpec',
  /** SpecValid=True: the spec at observedGeneration parsed. */
  parsed: 'Parsed',
  invalidAction: 'InvalidAction',
  accepted: 'Accepted',
  rejected: 'Rejected',
  running: 'Running',
  updating: 'Updating',
  settled: 'Settled',
  clusterNotFound: 'ClusterNotFound',
  /**
   * Ready=False on a FlinkDeployment: a FlinkCluster or FlinkJob of the name it would create exists
   * and is not its own (ADR 0021); it is left alone and nothing is created.
   */
  notOwned: 'NotOwned',
  /** CheckpointsProgressing=True: a checkpoint completed within the stall bound. */
  checkpointsCompleting: 'CheckpointsCompleting',
  /** CheckpointsProgressing=False: none completed within the bound, and none failed. */
  checkpointsStalled: 'CheckpointsStalled',
  /** CheckpointsProgressing=False: checkpoints failed since the last completed one. */
  checkpointsFailing: 'CheckpointsFailing',
  /** StateRestorable=True: the latest submission restored a savepoint or a checkpoint. */
  restoringSnapshot: 'RestoringSnapshot',
  /** StateRestorable=True: the latest submission started without state (stateless, or asked for). */
  startedWithoutState: 'StartedWithoutState',
  /** StateRestorable=False: no savepoint and no checkpoint within maxCheckpointAge; the job stays stopped. */
  snapshotUnavailable: 'SnapshotUnavailable',
  /** StateRestorable=False: the snapshot to restore has no `_metadata` (the bootstrap looked); stopped. */
  snapshotMissing: 'SnapshotMissing',
  /** Ready=False on a FlinkCluster (and its FlinkDeployment): the supervisor Deployment runs no pod. */
  supervisorNotStarted: 'SupervisorNotStarted',
  /** ReconciliationPaused=True: the annotation flinkvisor.io/paused is "true". */
  paused: 'Paused',
} as const;

/** The message of ReconciliationPaused=True. */
export const PAUSED_MESSAGE =
  'the annotation flinkvisor.io/paused is "true": observed, nothing is changed (no restart, scaling or periodic savepoint; TRIGGER_SAVEPOINT is still taken); remove it to resume from the observed state';

export class Conditions {
  #list: Condition[];
  readonly #generation: number;
  readonly #now: Date;

  /** `stored`: the conditions in status now; `generation`: metadata.generation they reflect. */
  constructor(stored: readonly Condition[] | undefined, generation: number, now: Date) {
    this.#list = [...(stored ?? [])];
    this.#generation = generation;
    this.#now = now;
  }

  set(type: ConditionType, status: ConditionStatus | boolean, reason: string, message: string): this {
    const value: ConditionStatus = typeof status === 'boolean' ? (status ? 'True' : 'False') : status;
    this.#list = setCondition(
      this.#list,
      { type, status: value, reason, message, observedGeneration: this.#generation },
      this.#now,
    );
    return this;
  }

  remove(type: ConditionType): this {
    this.#list = this.#list.filter((c) => c.type !== type);
    return this;
  }

  get(type: ConditionType): Condition | undefined {
    return this.#list.find((c) => c.type === type);
  }

  toArray(): Condition[] {
    return [...this.#list];
  }
}

/** The conditions stored in a status object (unknown shape: read from the API server). */
export function storedConditions(status: Record<string, unknown> | undefined): Condition[] {
  const value = status?.['conditions'];
  return Array.isArray(value) ? (value as Condition[]) : [];
}
