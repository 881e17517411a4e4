import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { defaultSavepointTargetPath } from '../api/storage.ts';
import { parallelismOverride } from '../autoscaler/parallelism-override.ts';
import { specDigest } from '../machines/ids.ts';
import type { ClusterPolicy, JobPolicy } from '../machines/policies.ts';

/** The CRD specs as the machines read them: plain policies, sent with every observation. */
export function clusterPolicy(cluster: FlinkCluster): ClusterPolicy {
  const s = cluster.spec;
  return {
    taskSlots: s.taskManager.taskSlots,
    taskManagers: s.taskManagers,
    minTaskManagers: s.minTaskManagers,
    maxTaskManagers: s.maxTaskManagers,
    rescalePolicy: s.supervisor.rescalePolicy,
    rescaleDelaySeconds: s.supervisor.rescaleDelay,
    taskTimeoutSeconds: s.supervisor.taskTimeout,
    jobManagerReplicas: s.jobManager.replicas,
    autoClean: s.autoClean,
  };
}

export function jobPolicy(job: FlinkJob, cluster: FlinkCluster | undefined): JobPolicy {
  const s = job.spec;
  const storage = cluster?.spec.storage;
  const target =
    s.savepoint.savepointTargetPath ??
    (storage
      ? defaultSavepointTargetPath(
          storage,
          job.metadata.namespace ?? 'default',
          s.clusterName,
          job.metadata.name ?? '',
        )
      : null);
  const override = parallelismOverride(s, job.status?.autoscaler);
  return {
    savepointMode: s.savepoint.savepointMode,
    savepointIntervalSeconds: s.savepoint.savepointInterval,
    savepointTargetPath: target,
    initialSavepointPath: s.savepoint.initialSavepointPath ?? s.savepoint.savepointPath ?? null,
    savepointOnDelete: s.savepoint.savepointOnDelete,
    restartPolicy: s.restart.restartPolicy,
    restartDelaySeconds: s.restart.restartDelay,
    restartTimeoutSeconds: s.restart.restartTimeout,
    taskTimeoutSeconds: cluster?.spec.supervisor.taskTimeout ?? 300,
    jobParallelism: s.jobParallelism,
    minJobParallelism: s.minJobParallelism,
    maxJobParallelism: s.maxJobParallelism,
    upgradeMode: s.upgradeMode,
    drainOnStop: s.drainOnStop,
    maxCheckpointAgeSeconds: s.maxCheckpointAge,
    healthCheckWindowSeconds: s.upgrade.healthCheckWindow,
    healthCheckMaxRestarts: s.upgrade.maxRestarts,
    rollback: s.upgrade.rollback,
    // Read from status as stored: the override is acted on only once it is recorded (write-ahead).
    ...(override === null ? {} : { autoscalerParallelism: override }),
    ...(adaptiveScheduler(cluster) ? { adaptiveScheduler: true } : {}),
  };
}

/** The cluster runs Flink's adaptive scheduler: its jobs can be rescaled in place. */
export function adaptiveScheduler(cluster: FlinkCluster | undefined): boolean {
  return cluster?.spec.flinkConfiguration?.['jobmanager.scheduler']?.trim().toLowerCase() === 'adaptive';
}

/** What restarts the cluster when it changes: runtime, JobManager, TaskManager (not their number). */
export function clusterSpecDigest(cluster: FlinkCluster): string {
  const s = cluster.spec;
  return specDigest({
    runtime: s.runtime,
    jobManager: s.jobManager,
    taskManager: s.taskManager,
    flinkConfiguration: s.flinkConfiguration ?? {},
    storage: s.storage ?? null,
    // Absent is left out of the digest, so clusters without them keep the digest they had.
    stateBackend: s.stateBackend,
    metrics: s.metrics,
  });
}

/** What resubmits the job when it changes: the bootstrap settings (parallelism is handled apart). */
export function jobSpecDigest(job: FlinkJob): string {
  return specDigest({
    bootstrap: job.spec.bootstrap,
    allowNonRestoredState: job.spec.savepoint.allowNonRestoredState,
  });
}

export function digestOf(value: unknown): string {
  return specDigest(value);
}

/**
 * The FlinkJob as a submission sees it: its own spec, or, when the machine submits the last stable
 * spec (a rollback), that spec's settings kept in status.lastStableSpec. A digest that is neither
 * (the spec moved on after the submission was recorded) submits the FlinkJob's spec: the machine
 * sees the change on its next observation and upgrades again.
 */
export function submittedSpec(job: FlinkJob, digest: string | null | undefined): FlinkJob {
  if (!digest || jobSpecDigest(job) === digest) return job;
  const stable = job.status?.lastStableSpec;
  if (stable?.specDigest !== digest) return job;
  return {
    ...job,
    spec: {
      ...job.spec,
      bootstrap: stable.bootstrap,
      savepoint: { ...job.spec.savepoint, allowNonRestoredState: stable.allowNonRestoredState },
    },
  };
}
