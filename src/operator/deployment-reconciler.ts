import {
  CONDITION_REASONS,
  CONDITION_TYPES,
  Conditions,
  PAUSED_MESSAGE,
  storedConditions,
} from '../api/conditions.ts';
import type { FlinkDeployment } from '../api/flink-deployment.ts';
import {
  ANNOTATIONS,
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  isPausedObject,
  jobResourceName,
} from '../api/names.ts';
import { safeParseFlinkDeployment } from '../api/parse.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { addFinalizer, ALL_FINALIZERS, removeFinalizer } from '../kube/finalizers.ts';
import { TerminalError, type ReconcileResult } from '../kube/work-queue.ts';
import {
  clusterDigests,
  clusterFromDeployment,
  jobDigests,
  jobFromDeployment,
  jobSpecFromDeployment,
  propagatedClusterFields,
  propagatedJobFields,
  type ClusterDigests,
  type JobDigests,
} from './deployment-children.ts';
import { deploymentDeletionBound } from './deletion-bounds.ts';
import { findObject, isOwnedBy } from './operator-cache.ts';
import {
  createIfMissing,
  deleteIfPresent,
  deletionAgeMs,
  recordEvent,
  REQUEUE_WHILE_DELETING_MS,
  syncSpecFields,
  type ReconcilerPorts,
} from './reconcile-support.ts';
import { sameJson, writeStatusIfChanged } from './status-writes.ts';

/**
 * Children were just created, patched or deleted: look again soon, so the status moves from
 * Updating to the cluster's state even if no watch event of a child comes first.
 */
export const REQUEUE_AFTER_CHILDREN_CHANGED_MS = 2000;

export interface DeploymentReconcilerOptions extends ReconcilerPorts {
  /** Past this, a deletion removes the children's finalizers itself; default: derived (deletion-bounds.ts). */
  readonly forceDeletionAfterMs?: number;
}

type RawSpec = Record<string, unknown>;
/** The spec as stored (unparsed): what is copied to the children, unknown fields included. */
interface RawDeploymentSpec {
  cluster?: RawSpec;
  jobs?: { name: string; spec: RawSpec }[];
}
interface JobDigestEntry {
  name: string;
  job: JobDigests;
}
/** What the status records of the last propagation. */
interface DeploymentDigests {
  cluster?: ClusterDigests;
  jobs?: JobDigestEntry[];
}

/** A child's name taken by an object this deployment did not create. */
interface ForeignChild {
  readonly kind: string;
  readonly object: CustomObject;
}

/** One pass over one FlinkDeployment, with what it read. */
interface Pass {
  readonly stored: CustomObject;
  readonly deployment: FlinkDeployment;
  /** The FlinkCluster named like the deployment, as the cache had it when the pass began. */
  readonly cluster: CustomObject | undefined;
  readonly rawSpec: RawDeploymentSpec;
  readonly recorded: DeploymentDigests;
}

/**
 * FlinkDeployment → one FlinkCluster named like it and one FlinkJob per declared job, all owned by
 * it. Changes of the deployment flow to the children (JSON Patch, preconditioned on their
 * resourceVersion) when their digests differ from those the status recorded; jobs no longer
 * declared are deleted. On deletion, the children are deleted first and the operator's finalizer
 * removed once they are gone; past the bound, the children's finalizers are forced off.
 */
export class DeploymentReconciler {
  readonly #o: DeploymentReconcilerOptions;

  constructor(options: DeploymentReconcilerOptions) {
    this.#o = options;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const stored = findObject(this.#o.cache.deployments(), namespace, name);
    if (!stored) return {};
    if (stored.metadata.deletionTimestamp) return this.#finalize(stored);
    const parsed = safeParseFlinkDeployment(stored);
    if (!parsed.ok) {
      await this.#reportInvalid(stored, parsed.error.message);
      throw new TerminalError(parsed.error.message);
    }
    if (await addFinalizer(this.#o.resources, FLINK_DEPLOYMENT, stored, FINALIZERS.operator)) return {};
    const pass: Pass = {
      stored,
      deployment: parsed.value,
      cluster: findObject(this.#o.cache.clusters(), namespace, name),
      rawSpec: (stored.spec ?? {}) as RawDeploymentSpec,
      recorded: (stored.status?.['digest'] ?? {}) as DeploymentDigests,
    };
    // Paused (ADR 0019): the children are paused too and nothing else of them is written; the
    // digests recorded stay those last propagated, so resuming propagates what changed meanwhile.
    if (isPausedObject(stored.metadata)) {
      const mirrored = await this.#mirrorPause(pass, true);
      await this.#writeStatus(pass, pass.recorded.jobs ?? [], false, true);
      return mirrored ? { requeueAfterMs: REQUEUE_AFTER_CHILDREN_CHANGED_MS } : {};
    }
    const foreign = this.#foreignChildren(pass);
    if (foreign.length > 0) {
      await this.#reportNotOwned(pass, foreign);
      return {};
    }
    let changed = await this.#syncCluster(pass);
    const jobDigestList: JobDigestEntry[] = [];
    if (await this.#syncJobs(pass, jobDigestList)) changed = true;
    if (await this.#deleteUndeclaredJobs(pass)) changed = true;
    // Resumed: the specs are propagated first, then the children resume, from the new spec.
    if (await this.#mirrorPause(pass, false)) changed = true;
    await this.#writeStatus(pass, jobDigestList, changed, false);
    return changed ? { requeueAfterMs: REQUEUE_AFTER_CHILDREN_CHANGED_MS } : {};
  }

  /**
   * The children's pause follows the deployment's: `flinkvisor.io/paused` is set on each existing
   * child while the deployment is paused, and removed once it is not (a deployment owns its
   * children's pause as it owns their spec). True when it wrote.
   */
  async #mirrorPause({ stored, cluster }: Pass, paused: boolean): Promise<boolean> {
    const children = [
      ...(cluster && isOwnedBy(cluster, stored) ? [{ kind: FLINK_CLUSTER, object: cluster }] : []),
      ...this.#ownedJobs(stored).map((object) => ({ kind: FLINK_JOB, object })),
    ];
    let wrote = false;
    for (const { kind, object } of children) {
      if (object.metadata.deletionTimestamp || isPausedObject(object.metadata) === paused) continue;
      await this.#o.resources.patch(kind, object.metadata.namespace ?? '', object.metadata.name ?? '', {
        metadata: { annotations: { [ANNOTATIONS.paused]: paused ? 'true' : null } },
      });
      wrote = true;
    }
    if (wrote)
      this.#event(
        stored,
        'Normal',
        paused ? 'Paused' : 'Resumed',
        paused
          ? 'reconciliation paused: the FlinkCluster and FlinkJobs are paused, changes of the spec wait'
          : 'reconciliation resumed: the children resume from the observed state',
      );
    return wrote;
  }

  /**
   * The children this deployment would make that exist already and are not its own (no
   * ownerReference with its uid): made by hand, by another tool, or by an earlier FlinkDeployment
   * of the same name still being garbage-collected. They are never adopted: writing our spec into
   * a FlinkCluster someone else runs, or adding our jobs to it, would change what they run.
   */
  #foreignChildren({ stored, deployment, cluster }: Pass): ForeignChild[] {
    const namespace = stored.metadata.namespace ?? '';
    const name = stored.metadata.name ?? '';
    const jobs = deployment.spec.jobs
      .map((job) => findObject(this.#o.cache.jobs(), namespace, jobResourceName(name, job.name)))
      .filter((job): job is CustomObject => job !== undefined);
    return [
      ...(cluster ? [{ kind: FLINK_CLUSTER.kind, object: cluster }] : []),
      ...jobs.map((object) => ({ kind: FLINK_JOB.kind, object })),
    ].filter((child) => !isOwnedBy(child.object, stored));
  }

  /**
   * Ready=False (NotOwned) naming each foreign child and who owns it, and nothing else written:
   * not the children, not our own jobs (they would run on a cluster that is not ours). A Warning
   * event goes with the status write, so it is said once, not on every pass. Once the foreign
   * objects are gone (or the deployment renamed), the next pass creates the children as usual.
   */
  async #reportNotOwned({ stored }: Pass, foreign: readonly ForeignChild[]): Promise<void> {
    const owners = (child: CustomObject) => {
      const refs = child.metadata.ownerReferences ?? [];
      return refs.length === 0
        ? 'no owner'
        : `owned by ${refs.map((r) => `${r.kind} ${r.name} (uid ${r.uid})`).join(', ')}`;
    };
    const message = `${foreign
      .map(({ kind, object }) => `${kind} ${object.metadata.name ?? ''} exists (${owners(object)})`)
      .join(
        '; ',
      )}: not created by this FlinkDeployment, so it is left alone and nothing is created; delete it or rename the deployment`;
    const generation = stored.metadata.generation ?? 0;
    const now = this.#o.clock.now();
    const conditions = new Conditions(storedConditions(stored.status), generation, new Date(now)).set(
      CONDITION_TYPES.ready,
      false,
      CONDITION_REASONS.notOwned,
      message.slice(0, 1024),
    );
    const written = await writeStatusIfChanged(
      this.#o.resources,
      FLINK_DEPLOYMENT,
      stored,
      { observedGeneration: generation, resourceStatus: 'Unknown', conditions: conditions.toArray() },
      { timestamp: new Date(now).toISOString() },
    );
    if (written) this.#event(stored, 'Warning', CONDITION_REASONS.notOwned, message);
  }

  #ownedJobs(stored: CustomObject): CustomObject[] {
    const namespace = stored.metadata.namespace;
    return this.#o.cache
      .jobs()
      .filter((job) => job.metadata.namespace === namespace && isOwnedBy(job, stored));
  }

  #event(stored: CustomObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.#o.events, FLINK_DEPLOYMENT, stored, type, reason, message);
  }

  async #syncCluster({ stored, deployment, cluster, rawSpec, recorded }: Pass): Promise<boolean> {
    const name = stored.metadata.name ?? '';
    if (!cluster) {
      await createIfMissing(
        this.#o.resources,
        FLINK_CLUSTER,
        clusterFromDeployment(deployment, rawSpec.cluster ?? {}),
      );
      this.#event(stored, 'Normal', 'ClusterCreated', `created FlinkCluster ${name}`);
      return true;
    }
    if (
      !isOwnedBy(cluster, stored) ||
      cluster.metadata.deletionTimestamp ||
      sameJson(recorded.cluster, clusterDigests(deployment))
    )
      return false;
    const desired = propagatedClusterFields(rawSpec.cluster ?? {});
    if (!(await syncSpecFields(this.#o.resources, FLINK_CLUSTER, cluster, desired, ['taskManagers'])))
      return false;
    this.#event(stored, 'Normal', 'ClusterUpdated', `propagated spec.cluster to FlinkCluster ${name}`);
    return true;
  }

  /** Creates or updates one FlinkJob per declared job; fills `digests` with what they reflect. */
  async #syncJobs(
    { stored, deployment, rawSpec, recorded }: Pass,
    digests: JobDigestEntry[],
  ): Promise<boolean> {
    const namespace = stored.metadata.namespace ?? '';
    const name = stored.metadata.name ?? '';
    const recordedByJob = new Map((recorded.jobs ?? []).map((entry) => [entry.name, entry.job]));
    let changed = false;
    for (const job of deployment.spec.jobs) {
      const jobName = jobResourceName(name, job.name);
      const rawJobSpec = rawSpec.jobs?.find((declared) => declared.name === job.name)?.spec ?? {};
      const existing = findObject(this.#o.cache.jobs(), namespace, jobName);
      const wanted = jobDigests(deployment, job);
      digests.push({ name: job.name, job: wanted });
      if (!existing) {
        await createIfMissing(this.#o.resources, FLINK_JOB, jobFromDeployment(deployment, job, rawJobSpec));
        this.#event(stored, 'Normal', 'JobCreated', `created FlinkJob ${jobName}`);
        changed = true;
      } else if (!existing.metadata.deletionTimestamp && !sameJson(recordedByJob.get(job.name), wanted)) {
        const desired = propagatedJobFields(jobSpecFromDeployment(deployment, job, rawJobSpec));
        const keep = ['jobParallelism', 'clusterName'];
        if (await syncSpecFields(this.#o.resources, FLINK_JOB, existing, desired, keep)) {
          this.#event(stored, 'Normal', 'JobUpdated', `propagated job ${job.name} to FlinkJob ${jobName}`);
          changed = true;
        }
      }
    }
    return changed;
  }

  async #deleteUndeclaredJobs({ stored, deployment }: Pass): Promise<boolean> {
    const namespace = stored.metadata.namespace ?? '';
    const name = stored.metadata.name ?? '';
    const declared = new Set(deployment.spec.jobs.map((job) => jobResourceName(name, job.name)));
    let changed = false;
    for (const job of this.#ownedJobs(stored)) {
      const jobName = job.metadata.name ?? '';
      if (declared.has(jobName) || job.metadata.deletionTimestamp) continue;
      await deleteIfPresent(this.#o.resources, FLINK_JOB, namespace, jobName);
      this.#event(stored, 'Normal', 'JobDeleted', `deleted FlinkJob ${jobName}: no longer declared`);
      changed = true;
    }
    return changed;
  }

  /**
   * The status computed from this pass, written only when it differs from the stored one (its
   * `timestamp` aside): `timestamp` is set by a write that happens, never by one that would not.
   */
  async #writeStatus(
    { stored, deployment, cluster, recorded }: Pass,
    jobs: JobDigestEntry[],
    changed: boolean,
    paused: boolean,
  ): Promise<void> {
    const now = this.#o.clock.now();
    const generation = stored.metadata.generation ?? 0;
    const clusterState = String(cluster?.status?.['supervisorStatus'] ?? 'Unknown');
    // A supervisor that cannot start says why on the cluster (ClusterReconciler): say it here too.
    const notStarted = storedConditions(cluster?.status).find(
      (c) => c.type === CONDITION_TYPES.ready && c.reason === CONDITION_REASONS.supervisorNotStarted,
    );
    const conditions = new Conditions(storedConditions(stored.status), generation, new Date(now)).set(
      CONDITION_TYPES.ready,
      !changed && clusterState === 'Started',
      changed ? CONDITION_REASONS.updating : (notStarted?.reason ?? clusterState),
      changed
        ? 'children created or updated'
        : notStarted
          ? `FlinkCluster ${cluster?.metadata.name ?? ''}: ${notStarted.message}`
          : `the cluster is ${clusterState}`,
    );
    if (paused)
      conditions.set(CONDITION_TYPES.reconciliationPaused, true, CONDITION_REASONS.paused, PAUSED_MESSAGE);
    else conditions.remove(CONDITION_TYPES.reconciliationPaused);
    const desired = {
      observedGeneration: generation,
      resourceStatus: changed ? 'Updating' : 'Updated',
      digest: paused
        ? { ...(recorded.cluster ? { cluster: recorded.cluster } : {}), jobs }
        : { cluster: clusterDigests(deployment), jobs },
      conditions: conditions.toArray(),
      paused,
    };
    await writeStatusIfChanged(this.#o.resources, FLINK_DEPLOYMENT, stored, desired, {
      timestamp: new Date(now).toISOString(),
    });
  }

  async #reportInvalid(stored: CustomObject, message: string): Promise<void> {
    const generation = stored.metadata.generation ?? 0;
    const conditions = new Conditions(
      storedConditions(stored.status),
      generation,
      new Date(this.#o.clock.now()),
    ).set(CONDITION_TYPES.ready, false, CONDITION_REASONS.invalidSpec, message);
    await writeStatusIfChanged(this.#o.resources, FLINK_DEPLOYMENT, stored, {
      conditions: conditions.toArray(),
      observedGeneration: generation,
    });
    this.#event(stored, 'Warning', 'InvalidSpec', message);
  }

  /** Deletes the children, waits for them to go (forcing their finalizers off past the bound), then lets go. */
  async #finalize(stored: CustomObject): Promise<ReconcileResult> {
    const namespace = stored.metadata.namespace ?? '';
    const name = stored.metadata.name ?? '';
    const cluster = findObject(this.#o.cache.clusters(), namespace, name);
    const children = [
      ...(cluster && isOwnedBy(cluster, stored) ? [cluster] : []),
      ...this.#ownedJobs(stored),
    ];
    const kindOf = (child: CustomObject) => (child.kind === FLINK_CLUSTER.kind ? FLINK_CLUSTER : FLINK_JOB);
    for (const child of children) {
      if (!child.metadata.deletionTimestamp)
        await deleteIfPresent(this.#o.resources, kindOf(child), namespace, child.metadata.name ?? '');
    }
    if (children.length === 0) {
      await removeFinalizer(this.#o.resources, FLINK_DEPLOYMENT, namespace, name, FINALIZERS.operator);
      return {};
    }
    const bound = deploymentDeletionBound(stored, this.#o.forceDeletionAfterMs);
    if (deletionAgeMs(stored, this.#o.clock.now()) > bound) {
      for (const child of children)
        await removeFinalizer(
          this.#o.resources,
          kindOf(child),
          namespace,
          child.metadata.name ?? '',
          ALL_FINALIZERS,
        );
      this.#event(
        stored,
        'Warning',
        'DeletionForced',
        'children did not finish stopping in time: their finalizers were removed, Flink may not have been stopped cleanly',
      );
    }
    return { requeueAfterMs: REQUEUE_WHILE_DELETING_MS };
  }
}
