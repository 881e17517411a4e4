import type { V1Job } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { StorageSpec } from '../api/flink-cluster.ts';
import { API_GROUP_VERSION, FLINK_CLUSTER, FLINK_JOB } from '../api/names.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import type { EventRecorder, EventSubject, EventType } from '../kube/event-recorder.ts';
import { lifecycleState, type MachineState } from '../machines/views.ts';
import type { AutoscalerNotice } from './autoscaler-watch.ts';
import type { FlinkFailure } from './flink-failures.ts';
import type { CheckpointNotice } from './checkpoint-progress.ts';
import type { AnyHost, ReportedContext } from './resource-host.ts';
import { storageAccessVerdict } from './storage-access.ts';
import type { SupervisorMetrics } from './supervisor-metrics.ts';

const LIFECYCLE_STATES = ['Unknown', 'Starting', 'Started', 'Stopping', 'Stopped', 'Terminated'] as const;

export type CrKind = typeof FLINK_CLUSTER | typeof FLINK_JOB;

export function crKindOf(host: AnyHost): CrKind {
  return host.kind === 'cluster' ? FLINK_CLUSTER : FLINK_JOB;
}

/** Notice reasons that are Warnings (the rest are Normal Events). */
const WARNING_REASON =
  /Fail|Timeout|TimedOut|Lost|Unhealthy|Abandon|Fallback|Reject|Invalid|Unknown|Unavailable|Missing|Gave|Error|RollingBack/;

function subjectOf(kind: CrKind, obj: CustomObject): EventSubject {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: kind.kind,
    namespace: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}

export interface NoticesOptions {
  readonly clusterName: string;
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly metrics: SupervisorMetrics;
  /** The cluster's state storage, to name where refused credentials came from. */
  readonly storage?: () => StorageSpec | undefined;
}

/**
 * What the supervisor says besides status: Kubernetes Events, logs and transition metrics, each
 * said once (per state change, notice, action outcome, failed Flink job, stuck bootstrap Job).
 */
export class Notices {
  readonly #o: NoticesOptions;
  readonly #stuckBootstraps = new Set<string>();

  constructor(options: NoticesOptions) {
    this.#o = options;
  }

  log(message: string, fields: Record<string, unknown> = {}): void {
    this.#o.log.info({ cluster: this.#o.clusterName, ...fields }, message);
  }

  event(kind: CrKind, obj: CustomObject | undefined, type: EventType, reason: string, message: string): void {
    if (!obj) return;
    void this.#o.events.record(subjectOf(kind, obj), type, reason, message);
  }

  /**
   * Says what a new snapshot of `host`'s machine changed: its lifecycle state, its notice, the
   * outcome of a requested action. Returns whether the state value changed.
   */
  snapshot(host: AnyHost, raw: CustomObject | undefined, snapshot: MachineState<ReportedContext>): boolean {
    const kind = crKindOf(host);
    const value = JSON.stringify(snapshot.value);
    const changed = value !== host.lastValue;
    if (changed) {
      const from = lifecycleState(JSON.parse(host.lastValue || '"Unknown"'));
      const to = lifecycleState(snapshot.value);
      host.lastValue = value;
      if (from !== to) {
        this.#o.metrics.transitions.inc({ machine: host.kind, from, to });
        this.log('state changed', { kind: host.kind, name: host.name, from, to });
        this.event(kind, raw, 'Normal', to, `${from} → ${to}`);
      }
    }
    const notice = snapshot.context.notice;
    if (notice && notice.at !== host.lastNoticeAt) {
      host.lastNoticeAt = notice.at;
      const type = WARNING_REASON.test(notice.reason) ? 'Warning' : 'Normal';
      this.event(kind, raw, type, notice.reason, notice.message);
      const storage = storageAccessVerdict(notice, this.#o.storage?.(), raw?.metadata.namespace ?? '');
      if (storage && !storage.accessible) this.event(kind, raw, 'Warning', storage.reason, storage.message);
    }
    const last = snapshot.context.lastAction;
    if (last && last.requestedAt !== host.lastActionAt) {
      host.lastActionAt = last.requestedAt;
      const accepted = last.outcome === 'accepted';
      this.event(
        kind,
        raw,
        accepted ? 'Normal' : 'Warning',
        accepted ? 'ActionAccepted' : 'ActionRejected',
        `${last.action}${last.withoutSavepoint ? ' (without savepoint)' : ''}: ${last.reason}`,
      );
    }
    return changed;
  }

  /** Says, once per bootstrap Job, that its deletion was not confirmed in time and is no longer waited for. */
  bootstrapDeletionStuck(raw: CustomObject, bootstrap: V1Job | undefined): void {
    const uid = bootstrap?.metadata?.uid ?? '';
    if (this.#stuckBootstraps.has(uid)) return;
    this.#stuckBootstraps.add(uid);
    const message = `bootstrap Job ${bootstrap?.metadata?.name} is still being deleted after taskTimeout (its pods were not confirmed gone); no longer waiting for it`;
    this.event(FLINK_JOB, raw, 'Warning', 'BootstrapDeletionStuck', message);
    this.#o.log.warn({ job: raw.metadata.name, bootstrap: bootstrap?.metadata?.name }, message);
  }

  /** Says Flink's own word on a failure or restart of the job (flink-failures.ts reads each once). */
  flinkJobFailure(raw: CustomObject, failure: FlinkFailure, failed: boolean): void {
    const restarts = failure.restarts === undefined ? '' : ` (${failure.restarts} restart(s) so far)`;
    const message = failed
      ? `Flink job ${failure.jobId} failed: ${failure.exception}`
      : `Flink job ${failure.jobId} is restarting${restarts}: ${failure.exception}`;
    this.event(FLINK_JOB, raw, 'Warning', failed ? 'FlinkJobFailed' : 'FlinkJobRestarting', message);
    this.#o.log.warn(
      { job: raw.metadata.name, jobId: failure.jobId, exception: failure.exception },
      'flink job failure',
    );
  }

  /** Says that a job's checkpoints stopped completing, or resumed (checkpoint-watch.ts says each change once). */
  checkpoints(raw: CustomObject, notice: CheckpointNotice): void {
    this.event(FLINK_JOB, raw, notice.type, notice.reason, notice.message);
    const fields = { job: raw.metadata.name, reason: notice.reason, message: notice.message };
    if (notice.type === 'Warning') this.#o.log.warn(fields, 'checkpoints not progressing');
    else this.#o.log.info(fields, 'checkpoints progressing again');
  }

  /** Says that the autoscaler's recommended parallelism changed (autoscaler-watch.ts says each change once). */
  autoscaler(raw: CustomObject, notice: AutoscalerNotice): void {
    this.event(FLINK_JOB, raw, 'Normal', notice.reason, notice.message);
    this.#o.log.info({ job: raw.metadata.name, message: notice.message }, 'autoscaler recommendation');
  }

  /** The machine-state gauges: how many machines of each kind are in each lifecycle state. */
  machineStates(hosts: readonly AnyHost[]): void {
    const counts = new Map<string, number>();
    for (const host of hosts) {
      const key = `${host.kind}/${lifecycleState(host.actor.getSnapshot().value)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const machine of ['cluster', 'job']) {
      for (const state of LIFECYCLE_STATES) {
        this.#o.metrics.machineStates.set({ machine, state }, counts.get(`${machine}/${state}`) ?? 0);
      }
    }
  }
}
