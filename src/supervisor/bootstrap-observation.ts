import type { V1Job } from '@kubernetes/client-node';
import type { BootstrapFailure, BootstrapObservation } from '../machines/observations.ts';
import { BOOTSTRAP_EXIT } from '../bootstrap/exit-codes.ts';
import { FLINK_JOB_ID_LABEL } from './resource-builders.ts';

/**
 * What the job machine is told about a FlinkJob's bootstrap batch Job.
 *
 * The supervisor deletes bootstrap Jobs in the foreground (owned-objects.ts): the Job stays, with a
 * deletionTimestamp, until the garbage collector has removed its pods, and a pod is removed only once
 * its kubelet has ended the process. So "present" keeps meaning "a bootstrap could still submit",
 * and the machine waits. A node that never confirms (lost with its pods) would hold that wait
 * forever, so after `giveUpAfterMs` a Job that is still being deleted counts as absent, and the
 * caller says so (`gaveUp`).
 */
export interface BootstrapReading {
  readonly bootstrap: BootstrapObservation;
  /** The Flink job id that bootstrap Job submits (its label), null when absent. */
  readonly bootstrapJobId: string | null;
  /** The Job is still being deleted after `giveUpAfterMs`: treated as absent. */
  readonly gaveUp: boolean;
  /** Why a failed Job failed, when its exit code says (podFailurePolicy names it); else null. */
  readonly bootstrapFailure: BootstrapFailure | null;
}

/**
 * The exit code Kubernetes names in the Failed condition of a Job that podFailurePolicy failed
 * ("Container bootstrap for pod ns/x failed with exit code 66 matching FailJob rule at index 0").
 */
function bootstrapFailure(job: V1Job): BootstrapFailure | null {
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  const code = /exit code (\d+)/.exec(failed?.message ?? '')?.[1];
  return code === String(BOOTSTRAP_EXIT.snapshotMissing) ? 'SnapshotMissing' : null;
}

export function readBootstrap(
  job: V1Job | undefined,
  nowMs: number,
  giveUpAfterMs: number,
): BootstrapReading {
  if (!job) return { bootstrap: 'absent', bootstrapJobId: null, gaveUp: false, bootstrapFailure: null };
  const deletingSince = job.metadata?.deletionTimestamp
    ? new Date(job.metadata.deletionTimestamp).getTime()
    : undefined;
  if (deletingSince !== undefined && nowMs - deletingSince > giveUpAfterMs) {
    return { bootstrap: 'absent', bootstrapJobId: null, gaveUp: true, bootstrapFailure: null };
  }
  const status = job.status;
  const bootstrap: BootstrapObservation =
    (status?.succeeded ?? 0) > 0
      ? 'succeeded'
      : status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')
        ? 'failed'
        : 'active';
  return {
    bootstrap,
    bootstrapJobId: job.metadata?.labels?.[FLINK_JOB_ID_LABEL] ?? null,
    gaveUp: false,
    bootstrapFailure: bootstrap === 'failed' ? bootstrapFailure(job) : null,
  };
}
