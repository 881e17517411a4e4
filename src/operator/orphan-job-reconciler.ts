import { CONDITION_REASONS, CONDITION_TYPES, Conditions, storedConditions } from '../api/conditions.ts';
import { FINALIZERS, FLINK_JOB } from '../api/names.ts';
import { removeFinalizer } from '../kube/finalizers.ts';
import type { ReconcileResult } from '../kube/work-queue.ts';
import { findObject } from './operator-cache.ts';
import { jobDeletionBound } from './deletion-bounds.ts';
import {
  deletionAgeMs,
  recordEvent,
  REQUEUE_WHILE_DELETING_MS,
  type ReconcilerPorts,
} from './reconcile-support.ts';
import { writeStatusIfChanged } from './status-writes.ts';

/**
 * FlinkJobs the supervisor cannot speak for. A job is the supervisor's to run, and the supervisor
 * is the cluster's: with no cluster nobody else would ever speak for the job. So the operator says
 * so in its status (Unknown, with a Ready=False ClusterNotFound condition) and never lets its
 * deletion hang on the supervisor's finalizer. A job whose cluster exists is the supervisor's,
 * except that its deletion, too, ends within a bound: past 2 × taskTimeout + 60 s
 * (deletion-bounds.ts) the supervisor's finalizer is forced off with a Warning (a supervisor that
 * cannot run, or a cluster that never comes up, would otherwise keep it forever).
 */
export class OrphanJobReconciler {
  readonly #o: ReconcilerPorts & { readonly forceDeletionAfterMs?: number };

  constructor(options: ReconcilerPorts & { readonly forceDeletionAfterMs?: number }) {
    this.#o = options;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const stored = findObject(this.#o.cache.jobs(), namespace, name);
    if (!stored) return {};
    const clusterName = String(stored.spec?.['clusterName'] ?? '');
    const cluster = findObject(this.#o.cache.clusters(), namespace, clusterName);
    const finalizers = stored.metadata.finalizers ?? [];
    if (cluster) {
      if (!stored.metadata.deletionTimestamp || !finalizers.includes(FINALIZERS.supervisor)) return {};
      const left =
        jobDeletionBound(cluster, this.#o.forceDeletionAfterMs) - deletionAgeMs(stored, this.#o.clock.now());
      if (left > 0) return { requeueAfterMs: Math.max(left, REQUEUE_WHILE_DELETING_MS) };
      await removeFinalizer(this.#o.resources, FLINK_JOB, namespace, name, FINALIZERS.supervisor);
      recordEvent(
        this.#o.events,
        FLINK_JOB,
        stored,
        'Warning',
        'DeletionForced',
        `the supervisor of FlinkCluster ${clusterName} did not finish stopping the job in time: its finalizer was removed, Flink may not have been stopped cleanly`,
      );
      return {};
    }
    if (stored.metadata.deletionTimestamp && finalizers.includes(FINALIZERS.supervisor)) {
      await removeFinalizer(this.#o.resources, FLINK_JOB, namespace, name, FINALIZERS.supervisor);
      return {};
    }
    const conditions = new Conditions(
      storedConditions(stored.status),
      stored.metadata.generation ?? 0,
      new Date(this.#o.clock.now()),
    ).set(
      CONDITION_TYPES.ready,
      false,
      CONDITION_REASONS.clusterNotFound,
      `FlinkCluster ${clusterName} does not exist in ${namespace}`,
    );
    const desired = {
      supervisorStatus: 'Unknown',
      resourceStatus: 'Unknown',
      clusterHealth: '',
      jobId: '',
      jobStatus: '',
      jobParallelism: 0,
      conditions: conditions.toArray(),
    };
    if (await writeStatusIfChanged(this.#o.resources, FLINK_JOB, stored, desired)) {
      recordEvent(
        this.#o.events,
        FLINK_JOB,
        stored,
        'Warning',
        CONDITION_REASONS.clusterNotFound,
        `FlinkCluster ${clusterName} does not exist`,
      );
    }
    return {};
  }
}
