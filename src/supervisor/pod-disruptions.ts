// Which of the cluster's pods Kubernetes is taking away, and why: the pod's `DisruptionTarget`
// condition, which the API server sets before it deletes a pod for an eviction (reason
// EvictionByEvictionAPI: `kubectl drain`, an autoscaler's scale-down), which the taint manager sets
// for a NoExecute taint (DeletionByTaintManager), the pod garbage collector for a node that is gone
// (DeletionByPodGC), the scheduler for a preemption and the kubelet for its own evictions. A pod
// deleted by hand, or by the supervisor itself, carries none: it is not a disruption.
import type { V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../api/names.ts';
import { compareDisruptions, type DisruptedRole, type PodDisruption } from '../machines/observations.ts';
import { isLivePod } from './machine-effects.ts';

export const DISRUPTION_TARGET = 'DisruptionTarget';

/** How long a disrupted pod that is gone is still reported: a few passes, well within one drain. */
const REMEMBERED_MS = 120_000;

function roleOf(pod: V1Pod): DisruptedRole | null {
  const role = pod.metadata?.labels?.[LABELS.role];
  return role === 'jobmanager' || role === 'taskmanager' ? role : null;
}

/** The disruption a pod's `DisruptionTarget` condition records, or null. */
export function podDisruptionOf(pod: V1Pod): PodDisruption | null {
  const role = roleOf(pod);
  const condition = (pod.status?.conditions ?? []).find(
    (c) => c.type === DISRUPTION_TARGET && c.status === 'True',
  );
  if (role === null || !condition) return null;
  const at = condition.lastTransitionTime ? new Date(condition.lastTransitionTime).getTime() : NaN;
  return {
    pod: pod.metadata?.name ?? '',
    role,
    reason: condition.reason ?? 'Unknown',
    message: (condition.message ?? '').slice(0, 512),
    // Set by the API server; a condition without a time sorts first.
    at: Number.isFinite(at) ? at : 0,
  };
}

/**
 * The disrupted pods a pass reports: those in the cache now, and those whose deletion the watch
 * delivered since (a JVM that exits at once can take its pod away between two passes). Kept for
 * REMEMBERED_MS, in memory only: what the machine recorded is in status, and a new leader that
 * never saw a pod go simply has nothing to report about it.
 */
export class DisruptedPods {
  readonly #gone = new Map<string, { readonly disruption: PodDisruption; readonly until: number }>();

  /** The watch deleted `pod`: remember its disruption, if it had one. */
  deleted(pod: V1Pod, now: number): void {
    const disruption = podDisruptionOf(pod);
    if (disruption) this.#gone.set(disruption.pod, { disruption, until: now + REMEMBERED_MS });
  }

  /** Every disruption known at `now`, oldest first (by time, then pod name). */
  observe(pods: readonly V1Pod[], now: number): PodDisruption[] {
    const byPod = new Map<string, PodDisruption>();
    for (const [name, entry] of this.#gone) {
      if (entry.until <= now) this.#gone.delete(name);
      else byPod.set(name, entry.disruption);
    }
    for (const pod of pods) {
      const disruption = podDisruptionOf(pod);
      if (disruption) byPod.set(disruption.pod, disruption);
    }
    return [...byPod.values()].sort(compareDisruptions);
  }
}

/**
 * Without HA: the only JobManager pod, when Kubernetes is taking it away for a disruption (a drain's
 * eviction) and its JobManager container still runs, its preStop hook holding the JVM while a job
 * runs (ADR 0021). The supervisor then reads Flink through this pod's IP: a terminating pod has
 * left the Service's ready endpoints. Undefined while a live JobManager pod exists, with several
 * candidates, or without an IP.
 */
export function drainingJobManager(pods: readonly V1Pod[], highAvailability: boolean): V1Pod | undefined {
  if (highAvailability) return undefined;
  const jobManagers = pods.filter((p) => roleOf(p) === 'jobmanager');
  if (jobManagers.some(isLivePod)) return undefined;
  const draining = jobManagers.filter(
    (p) =>
      p.metadata?.deletionTimestamp &&
      p.status?.phase === 'Running' &&
      p.status.podIP &&
      podDisruptionOf(p) !== null &&
      (p.status.containerStatuses ?? []).some((c) => c.name === 'jobmanager' && c.state?.running),
  );
  return draining.length === 1 ? draining[0] : undefined;
}
