import { z } from 'zod';

// spec.disruptionBudget of a FlinkCluster: the PodDisruptionBudgets the supervisor keeps for the
// Flink pods, so a voluntary disruption (a node drain, a cluster autoscaler's scale-down: anything
// that goes through the eviction API) takes them one at a time (docs/adr/0021-disruption-and-deletion.md).
// Absent means the defaults: both budgets on, one pod of each role down at a time.

export const DEFAULT_MAX_UNAVAILABLE = 1;

export const disruptionBudgetSpec = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Keep PodDisruptionBudgets for the TaskManagers and (with jobManager.replicas > 1) the JobManagers; false removes them.',
      ),
    maxUnavailableTaskManagers: z
      .int()
      .min(0)
      .max(10000)
      .default(DEFAULT_MAX_UNAVAILABLE)
      .describe(
        'TaskManagers an eviction may take down at a time, of those the cluster wants now (the budget is kept in step with the TaskManager count). 0 blocks every eviction of a TaskManager: a node drain then waits until the pod is removed another way.',
      ),
    maxUnavailableJobManagers: z
      .int()
      .min(1)
      .max(5)
      .default(DEFAULT_MAX_UNAVAILABLE)
      .describe(
        'With jobManager.replicas > 1: JobManagers an eviction may take down at a time, so a standby is left to take over. A single JobManager gets no budget (it would block a drain for good); its drain is handled as docs/adr/0021-disruption-and-deletion.md says.',
      ),
  })
  .describe(
    'PodDisruptionBudgets of the Flink pods (policy/v1), owned by the FlinkCluster: a node drain evicts them one at a time, and the supervisor replaces what was evicted. Absent: on, with the defaults.',
  );

export type DisruptionBudgetSpec = z.infer<typeof disruptionBudgetSpec>;

/** The settings in force: the spec's, or the defaults when the field is absent. */
export function disruptionBudgetOf(spec: { readonly disruptionBudget?: DisruptionBudgetSpec }) {
  return spec.disruptionBudget ?? disruptionBudgetSpec.parse({});
}
