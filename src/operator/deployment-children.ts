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
import { digestOf } from '../supervisor/spec-policies.ts';

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

function ownerRef(fd: FlinkDeployment) {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: FLINK_DEPLOYMENT.kind,
    name: fd.metadata.name ?? '',
    uid: fd.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function clusterDigests(fd: FlinkDeployment): ClusterDigests {
  const c = fd.spec.cluster;
  return {
    runtime: digestOf(c.runtime),
    jobManager: digestOf({
      jobManager: c.jobManager,
      flinkConfiguration: c.flinkConfiguration ?? {},
      storage: c.storage ?? null,
    }),
    taskManager: digestOf({ taskManager: c.taskManager, min: c.minTaskManagers, max: c.maxTaskManagers }),
    supervisor: digestOf(c.supervisor),
  };
}

export function jobDigests(job: FlinkDeployment['spec']['jobs'][number]): JobDigests {
  return {
    bootstrap: digestOf(job.spec.bootstrap),
    savepoint: digestOf(job.spec.savepoint),
    restart: digestOf({
      restart: job.spec.restart,
      min: job.spec.minJobParallelism,
      max: job.spec.maxJobParallelism,
    }),
  };
}

export function childLabels(fd: FlinkDeployment, jobName?: string): Record<string, string> {
  const name = fd.metadata.name ?? '';
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.deployment]: name,
    [LABELS.cluster]: name,
    ...(jobName ? { [LABELS.job]: jobResourceName(name, jobName) } : {}),
  };
}

/** The FlinkCluster of a deployment (spec.taskManagers is used at creation only, as in the toolbox). */
export function clusterFromDeployment(fd: FlinkDeployment, rawClusterSpec: RawSpec) {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: FLINK_CLUSTER.kind,
    metadata: {
      name: fd.metadata.name ?? '',
      namespace: fd.metadata.namespace ?? 'default',
      labels: childLabels(fd),
      ownerReferences: [ownerRef(fd)],
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
  fd: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
  rawJobSpec: RawSpec,
): RawSpec {
  const namespace = fd.metadata.namespace ?? 'default';
  const clusterName = fd.metadata.name ?? '';
  const spec: RawSpec = { ...rawJobSpec, clusterName };
  const storage = fd.spec.cluster.storage;
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
  fd: FlinkDeployment,
  job: FlinkDeployment['spec']['jobs'][number],
  rawJobSpec: RawSpec,
) {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: FLINK_JOB.kind,
    metadata: {
      name: jobResourceName(fd.metadata.name ?? '', job.name),
      namespace: fd.metadata.namespace ?? 'default',
      labels: childLabels(fd, job.name),
      ownerReferences: [ownerRef(fd)],
    },
    spec: jobSpecFromDeployment(fd, job, rawJobSpec),
  };
}

/** The fields of a job spec kept in sync after creation (not jobParallelism, as in the toolbox). */
export function propagatedJobFields(spec: RawSpec): RawSpec {
  const { jobParallelism: _ignored, ...rest } = spec;
  return rest;
}
