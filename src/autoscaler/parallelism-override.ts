// Act mode's parallelism, as the Flink Kubernetes Operator keeps it: the spec is left as the user
// wrote it, and the autoscaler's parallelism is an override kept in status.autoscaler.parallelism
// beside the spec.jobParallelism it was decided over (its basis). The override is in effect while
// the autoscaler is on in act mode and the spec still asks for that basis: a new spec.jobParallelism
// (kubectl scale fj, a HorizontalPodAutoscaler, an edit) wins, and the job runs at it again.
// docs/adr/0017-autoscaler.md.
import type { AutoscalerSpec, AutoscalerStatus } from '../api/autoscaler.ts';

/** The autoscaler's parallelism in effect instead of spec.jobParallelism, or null when none is. */
export function parallelismOverride(
  spec: { readonly jobParallelism: number; readonly autoscaler?: AutoscalerSpec | undefined },
  status: Pick<AutoscalerStatus, 'parallelism'> | null | undefined,
): number | null {
  const set = status?.parallelism;
  if (!set || spec.autoscaler?.enabled !== true || spec.autoscaler.mode !== 'act') return null;
  if (spec.jobParallelism === 0 || set.basis !== spec.jobParallelism) return null;
  return set.value;
}
