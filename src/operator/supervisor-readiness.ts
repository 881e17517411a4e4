// Whether a cluster's supervisor Deployment runs, and when it does not, why: from the Deployment's
// own status. When its ReplicaSet cannot create the pod (a missing ServiceAccount, a pod the
// admission refuses, a quota), the Deployment controller copies the ReplicaSet's FailedCreate into
// the Deployment's ReplicaFailure condition; a pod that never becomes available (an image that
// cannot be pulled, a crash loop) ends in Progressing=False once progressDeadlineSeconds passed.
import type { V1Deployment } from '@kubernetes/client-node';

export interface SupervisorReadiness {
  /** 'Unknown' while its pod is being created or started (no failure known, none available). */
  readonly ready: boolean | 'Unknown';
  /** The Deployment condition's reason (FailedCreate, ProgressDeadlineExceeded), Running or Starting. */
  readonly reason: string;
  readonly message: string;
}

/** Messages from the API server can be long (a whole admission error): keep the condition readable. */
const MAX_MESSAGE = 1000;

/** The verdict on a supervisor Deployment. */
export function supervisorReadiness(deployment: V1Deployment): SupervisorReadiness {
  const name = deployment.metadata?.name ?? '';
  const conditions = deployment.status?.conditions ?? [];
  if ((deployment.status?.availableReplicas ?? 0) > 0)
    return { ready: true, reason: 'Running', message: `supervisor Deployment ${name} runs` };
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure)
    return {
      ready: false,
      reason: failure.reason ?? 'ReplicaFailure',
      message: `supervisor Deployment ${name} cannot create its pod: ${failure.message ?? ''}`.slice(
        0,
        MAX_MESSAGE,
      ),
    };
  const stalled = conditions.find((c) => c.type === 'Progressing' && c.status === 'False');
  if (stalled)
    return {
      ready: false,
      reason: stalled.reason ?? 'ProgressDeadlineExceeded',
      message:
        `supervisor Deployment ${name} has no available pod: ${stalled.message ?? ''} (see its pods' events: an image that cannot be pulled, a crash loop)`.slice(
          0,
          MAX_MESSAGE,
        ),
    };
  return {
    ready: 'Unknown',
    reason: 'Starting',
    message: `supervisor Deployment ${name} is creating or starting its pod`,
  };
}
