// The autoscaler's decisions as Prometheus series (docs/metrics.md): after each pass of a job's
// autoscaler (autoscaler-watch.ts), its status before and after the pass say what to count. A
// decision is counted when the reason or the recommended parallelism changes (as lastDecisionAt
// records it), a rescale when act mode records a new override; the status the supervisor starts
// from is the stored one, so a restart or a new leader counts nothing twice.
import type { AutoscalerStatus } from '../api/autoscaler.ts';
import type { AutoscalerMetrics } from './supervisor-metrics.ts';

export async function recordAutoscalerPass(
  metrics: AutoscalerMetrics,
  job: { readonly namespace: string; readonly name: string },
  before: AutoscalerStatus | null,
  after: AutoscalerStatus | null,
): Promise<void> {
  const labels = { namespace: job.namespace, job: job.name };
  if (!after) {
    // Switched off: its gauges would say a decision no one takes any more; the counters stay.
    if (before) await metrics.forgetJob(job.namespace, job.name, true);
    return;
  }
  metrics.currentParallelism.set(labels, after.current);
  metrics.recommendedParallelism.set(labels, after.recommended);
  const utilization = after.metrics?.utilization;
  if (utilization !== undefined) metrics.utilization.set(labels, utilization);
  if (autoscalerDecided(before, after)) metrics.decisions.inc({ ...labels, reason: after.reason });
  const set = after.parallelism;
  if (set?.decidedAt !== undefined && set.decidedAt !== before?.parallelism?.decidedAt)
    metrics.rescales.inc({ ...labels, direction: set.value > (set.from ?? 0) ? 'up' : 'down' });
}

/** Whether a pass took a new decision: the reason or the recommended parallelism changed. */
export function autoscalerDecided(before: AutoscalerStatus | null, after: AutoscalerStatus): boolean {
  return before?.reason !== after.reason || before.recommended !== after.recommended;
}
