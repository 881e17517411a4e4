import type { FlinkDeployment } from '../api/flink-deployment.ts';
import {
  API_GROUP_VERSION,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  jobResourceName,
  LABELS,
  MANAGED_BY,
} from '../api/names.ts';
import { defaultSavepointTargetPath } from '../api/storage.ts';
import { DEFAULT_MAX_CHECKPOINT_AGE_SECONDS, savepointsAreAutomatic } from '../api/flink-job.ts';
import { ownerReference } from '../api/owner-references.ts';
import { specDigest } from '../machines/ids.ts';

/**
 * What a FlinkDeployment expands into, purely: the FlinkCluster named like it and one FlinkJob
 * `<deployment>-<job>` per declared job, each owned by the deployment. Digests record what was
 * propagated, so later changes of the deployment (and only those) flow to the children.
 */
export interface ClusterDigests {
  runtime: string;
  jobManager: string;
  taskManager: string;
  supervisor: string;
}
export interface JobDigests {
  bootstrap: string;
  savepoint: string;
  restart: string;
}

type RawSpec = Record<string, unknown>;

export function clusterDigests(deployment: FlinkDeployment): ClusterDigests {
  const cluster = deployment.spec.cluster;
  return {
    runtime: specDigest(cluster.runtime),
    jobManager: specDigest({
      jobManager: cluster.jobManager,
      flinkConfiguration: cluster.flinkConfiguration ?? {},
      storage: cluster.storage ?? null,
      // Absent is left out of the digest, so clusters without them keep the digest they had.
      stateBackend: cluster.stateBackend,
      metrics: cluster.metrics,
    }),
    taskManager: specDigest({
      taskManager: cluster.taskManager,
      min: cluster.minTaskManagers,
      max: cluster.maxTaskManagers,
      // Absent is left out, as above: the budgets follow the TaskManagers, a change restarts nothing.
      disruptionBudget: cluster.disruptionBudget,
    }),
    supervisor: specDigest(cluster.supervisor),
  };
}

/**
 * The digests of what a job's FlinkJob reflects. The savepoint digest covers the target path as
 * filled in from the cluster's storage, not only what the job declares: the default is derived
 * from spec.cluster.storage, so a storage change must change the digest, or the FlinkJob would
 * keep writing savepoints to the old location. Without a default, the digest is the declared
 * savepoint's, as before.
 */
export function jobDigests(
  deployment: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
): JobDigests {
  const defaultTarget = defaultedSavepointTargetPath(deployment, job);
  return {
    bootstrap: specDigest(job.spec.bootstrap),
    savepoint: specDigest(
      defaultTarget === undefined
        ? job.spec.savepoint
        : { ...job.spec.savepoint, savepointTargetPath: defaultTarget },
    ),
    restart: specDigest({
      restart: job.spec.restart,
      min: job.spec.minJobParallelism,
      max: job.spec.maxJobParallelism,
      // Left out while at their defaults, so jobs without them keep the digest they had.
      ...upgradeFieldsOf(job.spec),
    }),
  };
}

/** The upgrade settings of a job (docs/upgrades.md) that differ from their defaults, and its autoscaler. */
function upgradeFieldsOf(spec: FlinkDeployment['spec']['jobs'][number]['spec']): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (spec.upgradeMode !== 'savepoint') fields['upgradeMode'] = spec.upgradeMode;
  if (spec.drainOnStop) fields['drainOnStop'] = true;
  if (spec.maxCheckpointAge !== DEFAULT_MAX_CHECKPOINT_AGE_SECONDS)
    fields['maxCheckpointAge'] = spec.maxCheckpointAge;
  if (spec.autoscaler !== undefined) fields['autoscaler'] = spec.autoscaler;
  return fields;
}

export function childLabels(deployment: FlinkDeployment, jobName?: string): Record<string, string> {
  const name = deployment.metadata.name ?? '';
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.deployment]: name,
    [LABELS.cluster]: name,
    ...(jobName ? { [LABELS.job]: jobResourceName(name, jobName) } : {}),
  };
}

/** The FlinkCluster of a deployment (spec.taskManagers is used at creation only, as in the toolbox). */
export function clusterFromDeployment(deployment: FlinkDeployment, rawClusterSpec: RawSpec) {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: FLINK_CLUSTER.kind,
    metadata: {
      name: deployment.metadata.name ?? '',
      namespace: deployment.metadata.namespace ?? 'default',
      labels: childLabels(deployment),
      ownerReferences: [ownerReference(FLINK_DEPLOYMENT, deployment)],
    },
    spec: rawClusterSpec,
  };
}

/** The fields of the cluster spec a deployment keeps in sync after creation (not taskManagers). */
export function propagatedClusterFields(rawClusterSpec: RawSpec): RawSpec {
  const { taskManagers: _ignored, ...rest } = rawClusterSpec;
  return rest;
}

/**
 * The savepoint target the operator fills into a job's FlinkJob: the storage default, when the
 * cluster has storage, savepoints are automatic and the job names no savepointTargetPath of its
 * own (an explicit path is the user's and is never replaced). Undefined otherwise.
 */
export function defaultedSavepointTargetPath(
  deployment: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
): string | undefined {
  const storage = deployment.spec.cluster.storage;
  if (
    !storage ||
    !savepointsAreAutomatic(job.spec.savepoint) ||
    job.spec.savepoint.savepointTargetPath !== undefined
  )
    return undefined;
  const clusterName = deployment.metadata.name ?? '';
  return defaultSavepointTargetPath(
    storage,
    deployment.metadata.namespace ?? 'default',
    clusterName,
    jobResourceName(clusterName, job.name),
  );
}

/** A job's spec for its FlinkJob: clusterName set, and a savepoint target filled in from storage. */
export function jobSpecFromDeployment(
  deployment: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
  rawJobSpec: RawSpec,
): RawSpec {
  const spec: RawSpec = { ...rawJobSpec, clusterName: deployment.metadata.name ?? '' };
  const defaultTarget = defaultedSavepointTargetPath(deployment, job);
  if (defaultTarget !== undefined) {
    spec['savepoint'] = {
      ...(rawJobSpec['savepoint'] as RawSpec | undefined),
      savepointTargetPath: defaultTarget,
    };
  }
  return spec;
}

export function jobFromDeployment(
  deployment: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
  rawJobSpec: RawSpec,
) {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: FLINK_JOB.kind,
    metadata: {
      name: jobResourceName(deployment.metadata.name ?? '', job.name),
      namespace: deployment.metadata.namespace ?? 'default',
      labels: childLabels(deployment, job.name),
      ownerReferences: [ownerReference(FLINK_DEPLOYMENT, deployment)],
    },
    spec: jobSpecFromDeployment(deployment, job, rawJobSpec),
  };
}

/** The fields of a job spec kept in sync after creation (not jobParallelism, as in the toolbox). */
export function propagatedJobFields(spec: RawSpec): RawSpec {
  const { jobParallelism: _ignored, ...rest } = spec;
  return rest;
}
