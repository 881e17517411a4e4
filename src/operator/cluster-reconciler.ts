import type { V1Deployment } from '@kubernetes/client-node';
import { CONDITION_REASONS, CONDITION_TYPES, Conditions, storedConditions } from '../api/conditions.ts';
import {
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_JOB,
  isPausedObject,
  supervisorDeploymentName,
} from '../api/names.ts';
import { safeParseFlinkCluster } from '../api/parse.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { addFinalizer, removeFinalizer } from '../kube/finalizers.ts';
import { TerminalError, type ReconcileResult } from '../kube/work-queue.ts';
import { clusterDeletionBound } from './deletion-bounds.ts';
import { findObject } from './operator-cache.ts';
import {
  deletionAgeMs,
  recordEvent,
  REQUEUE_WHILE_DELETING_MS,
  type ReconcilerPorts,
} from './reconcile-support.ts';
import {
  SUPERVISOR_DIGEST_ANNOTATION,
  supervisorDeployment,
  supervisorDigest,
} from './supervisor-deployment.ts';
import type { SupervisorDeployments, SupervisorHost } from './supervisor-deployments.ts';
import { supervisorReadiness } from './supervisor-readiness.ts';
import { writeStatusIfChanged } from './status-writes.ts';

/**
 * While the supervisor stops Flink (a savepoint, then the cancel) before it removes its finalizer,
 * look again at this pace: stopping takes tens of seconds to minutes, and each pass also checks
 * the forced-deletion bound, which no watch event would bring.
 */
export const REQUEUE_WHILE_SUPERVISOR_STOPS_MS = 10_000;

export interface ClusterReconcilerOptions extends ReconcilerPorts {
  readonly supervisorDeployments: SupervisorDeployments;
  /** Extra arguments for every supervisor (e.g. --allow-private-networks). */
  readonly supervisorArgs?: readonly string[];
  /** Past this, a deletion removes the supervisor's finalizers itself; default: derived (deletion-bounds.ts). */
  readonly forceDeletionAfterMs?: number;
  /**
   * Fleet mode: the supervisors run in the operator process instead of a Deployment each. A
   * supervisor Deployment left from before is deleted: the one hosted here takes over its Lease.
   */
  readonly embedded?: SupervisorHost;
}

/**
 * FlinkCluster → its supervisor Deployment `supervisor-<cluster>`, created, and rolled when the
 * digest of spec.supervisor changes. The operator's finalizer keeps the cluster until the
 * supervisor (whose own finalizer means "Flink is not stopped yet") is done; then the supervisor
 * Deployment is deleted and the finalizer removed. Past the bound, the supervisor's finalizers
 * (the cluster's and its jobs') are forced off with a Warning event.
 */
export class ClusterReconciler {
  readonly #o: ClusterReconcilerOptions;

  constructor(options: ClusterReconcilerOptions) {
    this.#o = options;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const stored = findObject(this.#o.cache.clusters(), namespace, name);
    if (this.#o.embedded) return this.#reconcileEmbedded(this.#o.embedded, namespace, name, stored);
    if (!stored) return {};
    const running = findObject(
      this.#o.cache.supervisorDeployments(),
      namespace,
      supervisorDeploymentName(name),
    );
    if (stored.metadata.deletionTimestamp) return this.#finalize(stored, running !== undefined);
    if (await addFinalizer(this.#o.resources, FLINK_CLUSTER, stored, FINALIZERS.operator)) return {};
    const parsed = safeParseFlinkCluster(stored);
    if (!parsed.ok) {
      recordEvent(this.#o.events, FLINK_CLUSTER, stored, 'Warning', 'InvalidSpec', parsed.error.message);
      throw new TerminalError(parsed.error.message);
    }
    const wanted = supervisorDigest(parsed.value);
    if (running) await this.#reportSupervisor(stored, running);
    // Paused (ADR 0019): a running supervisor is not rolled to a new spec.supervisor.
    if (running && isPausedObject(stored.metadata)) return {};
    if (running?.metadata?.annotations?.[SUPERVISOR_DIGEST_ANNOTATION] === wanted) return {};
    await this.#applySupervisor(stored);
    recordEvent(
      this.#o.events,
      FLINK_CLUSTER,
      stored,
      'Normal',
      running ? 'SupervisorUpdated' : 'SupervisorCreated',
      `supervisor Deployment ${supervisorDeploymentName(name)} ${running ? 'rolled to the new spec.supervisor' : 'created'}`,
    );
    return {};
  }

  /** Fleet mode: the same lifecycle, with the hosted supervisor in place of the Deployment. */
  async #reconcileEmbedded(
    host: SupervisorHost,
    namespace: string,
    name: string,
    stored: CustomObject | undefined,
  ): Promise<ReconcileResult> {
    if (!stored) {
      await host.stop(namespace, name);
      return {};
    }
    const leftover = findObject(
      this.#o.cache.supervisorDeployments(),
      namespace,
      supervisorDeploymentName(name),
    );
    if (leftover) await this.#o.supervisorDeployments.delete(namespace, supervisorDeploymentName(name));
    if (stored.metadata.deletionTimestamp) {
      if ((stored.metadata.finalizers ?? []).includes(FINALIZERS.supervisor)) {
        if (
          deletionAgeMs(stored, this.#o.clock.now()) >
          clusterDeletionBound(stored, this.#o.forceDeletionAfterMs)
        ) {
          await this.#forceOff(stored);
          return { requeueAfterMs: REQUEUE_WHILE_DELETING_MS };
        }
        // The supervisor stops Flink before the cluster goes: keep it running until it is done.
        host.ensure(namespace, name);
        return { requeueAfterMs: REQUEUE_WHILE_SUPERVISOR_STOPS_MS };
      }
      await host.stop(namespace, name);
      await removeFinalizer(this.#o.resources, FLINK_CLUSTER, namespace, name, FINALIZERS.operator);
      return {};
    }
    if (await addFinalizer(this.#o.resources, FLINK_CLUSTER, stored, FINALIZERS.operator)) return {};
    const parsed = safeParseFlinkCluster(stored);
    if (!parsed.ok) {
      recordEvent(this.#o.events, FLINK_CLUSTER, stored, 'Warning', 'InvalidSpec', parsed.error.message);
      throw new TerminalError(parsed.error.message);
    }
    if (host.has(namespace, name)) return {};
    host.ensure(namespace, name);
    recordEvent(
      this.#o.events,
      FLINK_CLUSTER,
      stored,
      'Normal',
      'SupervisorStarted',
      'supervisor started in the operator process (fleet mode)',
    );
    return {};
  }

  /**
   * A supervisor that cannot start writes no status, so the cluster would say nothing of it: its
   * Ready and SupervisorReady conditions say why, from the Deployment (supervisor-readiness.ts).
   * Nothing is written while it never failed; after a failure, SupervisorReady follows it (Unknown
   * while its pod starts, True once it runs) and the supervisor's own status takes over Ready.
   */
  async #reportSupervisor(stored: CustomObject, running: V1Deployment): Promise<void> {
    const verdict = supervisorReadiness(running);
    const generation = stored.metadata.generation ?? 0;
    const conditions = new Conditions(
      storedConditions(stored.status),
      generation,
      new Date(this.#o.clock.now()),
    );
    const recorded = conditions.get(CONDITION_TYPES.supervisorReady);
    if (verdict.ready !== false && (!recorded || recorded.status === 'True')) return;
    conditions.set(CONDITION_TYPES.supervisorReady, verdict.ready, verdict.reason, verdict.message);
    if (verdict.ready !== true)
      conditions.set(CONDITION_TYPES.ready, false, CONDITION_REASONS.supervisorNotStarted, verdict.message);
    const wrote = await writeStatusIfChanged(this.#o.resources, FLINK_CLUSTER, stored, {
      conditions: conditions.toArray(),
    });
    if (wrote && verdict.ready === false)
      recordEvent(
        this.#o.events,
        FLINK_CLUSTER,
        stored,
        'Warning',
        CONDITION_REASONS.supervisorNotStarted,
        verdict.message,
      );
  }

  async #applySupervisor(stored: CustomObject): Promise<void> {
    const parsed = safeParseFlinkCluster(stored);
    if (!parsed.ok) return;
    await this.#o.supervisorDeployments.apply(
      supervisorDeployment(parsed.value, this.#o.supervisorArgs ?? []),
    );
  }

  async #finalize(stored: CustomObject, supervisorRuns: boolean): Promise<ReconcileResult> {
    const namespace = stored.metadata.namespace ?? '';
    const name = stored.metadata.name ?? '';
    const finalizers = stored.metadata.finalizers ?? [];
    if (finalizers.includes(FINALIZERS.supervisor)) {
      const bound = clusterDeletionBound(stored, this.#o.forceDeletionAfterMs);
      if (deletionAgeMs(stored, this.#o.clock.now()) > bound) {
        await this.#forceOff(stored);
        return { requeueAfterMs: REQUEUE_WHILE_DELETING_MS };
      }
      // The supervisor stops Flink before the cluster goes: keep it running until it is done.
      if (!supervisorRuns) await this.#applySupervisor(stored);
      return { requeueAfterMs: REQUEUE_WHILE_SUPERVISOR_STOPS_MS };
    }
    if (supervisorRuns) await this.#o.supervisorDeployments.delete(namespace, supervisorDeploymentName(name));
    await removeFinalizer(this.#o.resources, FLINK_CLUSTER, namespace, name, FINALIZERS.operator);
    return {};
  }

  /** The supervisor did not finish in time: its finalizers on the cluster's jobs and the cluster go. */
  async #forceOff(stored: CustomObject): Promise<void> {
    const namespace = stored.metadata.namespace ?? '';
    const name = stored.metadata.name ?? '';
    const jobs = this.#o.cache
      .jobs()
      .filter((job) => job.metadata.namespace === namespace && job.spec?.['clusterName'] === name);
    for (const job of jobs)
      await removeFinalizer(
        this.#o.resources,
        FLINK_JOB,
        namespace,
        job.metadata.name ?? '',
        FINALIZERS.supervisor,
      );
    await removeFinalizer(this.#o.resources, FLINK_CLUSTER, namespace, name, FINALIZERS.supervisor);
    recordEvent(
      this.#o.events,
      FLINK_CLUSTER,
      stored,
      'Warning',
      'DeletionForced',
      'the supervisor did not finish stopping the cluster in time: its finalizer was removed, Flink may not have been stopped cleanly',
    );
  }
}
