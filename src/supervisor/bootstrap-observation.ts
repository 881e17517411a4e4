import type { V1Job } from '@kubernetes/client-node';
import type { BootstrapObservation } from '../machines/observations.ts';
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
}

export function readBootstrap(
  job: V1Job | undefined,
  nowMs: number,
  giveUpAfterMs: number,
): BootstrapReading {
  if (!job) return { bootstrap: 'absent', bootstrapJobId: null, gaveUp: false };
  const deletingSince = job.metadata?.deletionTimestamp
    ? new Date(job.metadata.deletionTimestamp).getTime()
    : undefined;
  if (deletingSince !== undefined && nowMs - deletingSince > giveUpAfterMs) {
    return { bootstrap: 'absent', bootstrapJobId: null, gaveUp: true };
  }
  const status = job.status;
  const bootstrap: BootstrapObservation =
    (status?.succeeded ?? 0) > 0
      ? 'succeeded'
      : status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True')
        ? 'failed'
        : 'active';
  return { bootstrap, bootstrapJobId: job.metadata?.labels?.[FLINK_JOB_ID_LABEL] ?? null, gaveUp: false };
}
