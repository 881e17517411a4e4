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
import { savepointsAreAutomatic } from '../api/flink-job.ts';
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
    }),
    taskManager: specDigest({
      taskManager: cluster.taskManager,
      min: cluster.minTaskManagers,
      max: cluster.maxTaskManagers,
    }),
    supervisor: specDigest(cluster.supervisor),
  };
}

export function jobDigests(job: FlinkDeployment['spec']['jobs'][number]): JobDigests {
  return {
    bootstrap: specDigest(job.spec.bootstrap),
    savepoint: specDigest(job.spec.savepoint),
    restart: specDigest({
      restart: job.spec.restart,
      min: job.spec.minJobParallelism,
      max: job.spec.maxJobParallelism,
    }),
  };
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

/** A job's spec for its FlinkJob: clusterName set, and a savepoint target filled in from storage. */
export function jobSpecFromDeployment(
  deployment: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
  rawJobSpec: RawSpec,
): RawSpec {
  const namespace = deployment.metadata.namespace ?? 'default';
  const clusterName = deployment.metadata.name ?? '';
  const spec: RawSpec = { ...rawJobSpec, clusterName };
  const storage = deployment.spec.cluster.storage;
  if (
    storage &&
    savepointsAreAutomatic(job.spec.savepoint) &&
    job.spec.savepoint.savepointTargetPath === undefined
  ) {
    spec['savepoint'] = {
      ...(rawJobSpec['savepoint'] as RawSpec | undefined),
      savepointTargetPath: defaultSavepointTargetPath(
        storage,
        namespace,
        clusterName,
        jobResourceName(clusterName, job.name),
      ),
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
