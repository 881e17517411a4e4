import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { disruptionBudgetOf } from '../api/disruption-budget.ts';
import { highAvailabilityEnabled, type FlinkCluster } from '../api/flink-cluster.ts';
import { FLINK_CLUSTER, LABELS } from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import { stableStringify } from '../machines/ids.ts';
import type { Notices } from './notices.ts';
import type { OwnedObjectWriter } from './owned-objects.ts';
import { clusterLabels } from './resource-builders.ts';

/**
 * The PodDisruptionBudgets of a cluster's Flink pods (docs/adr/0021-disruption-and-deletion.md):
 * one for the TaskManagers and, with JobManager HA, one for the JobManagers. Each has an integer
 * minAvailable the supervisor computes from what the cluster wants now (replicas minus
 * maxUnavailable), not a maxUnavailable of its own: the disruption controller resolves a
 * maxUnavailable (or a percentage) through the pods' controller's scale subresource, and the
 * FlinkCluster's scale is its TaskManager count, wrong for the JobManagers. A single JobManager
 * gets no budget: minAvailable 1 of 1 would make every drain of its node wait forever.
 */

export type BudgetRole = 'jobmanager' | 'taskmanager';

export function disruptionBudgetName(clusterName: string, role: BudgetRole): string {
  return `${role}-${clusterName}`;
}

function budget(cluster: FlinkCluster, role: BudgetRole, minAvailable: number): V1PodDisruptionBudget {
  const name = cluster.metadata.name ?? '';
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: disruptionBudgetName(name, role),
      namespace: cluster.metadata.namespace ?? 'default',
      labels: clusterLabels(name, role),
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: { minAvailable, selector: { matchLabels: clusterLabels(name, role) } },
  };
}

/**
 * The budgets a cluster should have now. `taskManagers` is the count the cluster wants (the
 * machine's desiredTaskManagers): the budget follows it, so a drain keeps all but
 * maxUnavailableTaskManagers of them running, and a scale-down is not held back by it (the
 * supervisor deletes pods; a budget only answers evictions).
 */
export function desiredDisruptionBudgets(
  cluster: FlinkCluster,
  taskManagers: number,
): V1PodDisruptionBudget[] {
  const settings = disruptionBudgetOf(cluster.spec);
  if (!settings.enabled || cluster.metadata.deletionTimestamp) return [];
  const budgets = [
    budget(cluster, 'taskmanager', Math.max(0, taskManagers - settings.maxUnavailableTaskManagers)),
  ];
  if (highAvailabilityEnabled(cluster.spec)) {
    const replicas = cluster.spec.jobManager.replicas;
    budgets.push(budget(cluster, 'jobmanager', Math.max(0, replicas - settings.maxUnavailableJobManagers)));
  }
  return budgets;
}

/** What of a stored budget we decide: a difference in any of these is a write, nothing else is. */
function decided(pdb: V1PodDisruptionBudget): unknown {
  return {
    minAvailable: pdb.spec?.minAvailable,
    maxUnavailable: pdb.spec?.maxUnavailable,
    selector: pdb.spec?.selector?.matchLabels,
    owner: pdb.metadata?.ownerReferences?.map((r) => r.uid),
  };
}

export type DisruptionBudgetWriter = Required<
  Pick<
    OwnedObjectWriter,
    'createPodDisruptionBudget' | 'replacePodDisruptionBudget' | 'deletePodDisruptionBudget'
  >
>;

export interface BudgetSync {
  readonly created: number;
  readonly replaced: number;
  readonly deleted: number;
}

/**
 * Converges the budgets of one cluster to `desired`, from what the watch cache holds (`stored`:
 * the budgets labelled with the cluster): creates the missing ones, replaces those whose decided
 * fields differ (preconditioned on the resourceVersion read: a 409 waits for the next pass), and
 * deletes those no longer wanted. Budgets as desired are not written: at rest, nothing is.
 */
export async function syncDisruptionBudgets(
  writer: DisruptionBudgetWriter,
  desired: readonly V1PodDisruptionBudget[],
  stored: readonly V1PodDisruptionBudget[],
  clusterName: string,
): Promise<BudgetSync> {
  let created = 0;
  let replaced = 0;
  let deleted = 0;
  const ours = stored.filter(
    (p) => p.metadata?.labels?.[LABELS.cluster] === clusterName && !p.metadata.deletionTimestamp,
  );
  for (const want of desired) {
    const have = ours.find((p) => p.metadata?.name === want.metadata?.name);
    if (!have) {
      if ((await writer.createPodDisruptionBudget(want)) === 'created') created++;
    } else if (stableStringify(decided(have)) !== stableStringify(decided(want))) {
      const resourceVersion = have.metadata?.resourceVersion;
      const body = {
        ...want,
        metadata: { ...want.metadata, ...(resourceVersion ? { resourceVersion } : {}) },
      };
      if (await writer.replacePodDisruptionBudget(body)) replaced++;
    }
  }
  const wanted = new Set(desired.map((p) => p.metadata?.name));
  for (const have of ours.filter((p) => !wanted.has(p.metadata?.name))) {
    await writer.deletePodDisruptionBudget(have.metadata?.name ?? '');
    deleted++;
  }
  return { created, replaced, deleted };
}

/** What writing a cluster's budgets needs of the supervisor. */
export interface DisruptionBudgetDeps {
  readonly clusterName: string;
  /** The budgets' watch cache; absent, the supervisor keeps no budgets. */
  readonly disruptionBudgets: { list(): V1PodDisruptionBudget[] } | undefined;
  readonly objects: OwnedObjectWriter;
  /** Counts `writes` budget writes (the apiWrites metric). */
  readonly budgetsWritten: (writes: number) => void;
  readonly notices: Pick<Notices, 'log'>;
  readonly log: Pick<Logger, 'warn'>;
}

/**
 * The cluster's PodDisruptionBudgets follow its spec and the TaskManagers it wants now, outside
 * the machines: a budget acts only on evictions, never on what the machines do. Written only
 * when they differ from the watch cache. A failure (an install whose supervisor may not write
 * budgets yet) is logged and retried next pass; it never holds the machines back.
 */
export async function writeDisruptionBudgets(
  deps: DisruptionBudgetDeps,
  cluster: FlinkCluster,
  taskManagers: number,
): Promise<void> {
  const cache = deps.disruptionBudgets;
  const o = deps.objects;
  if (!cache || !o.createPodDisruptionBudget || !o.replacePodDisruptionBudget || !o.deletePodDisruptionBudget)
    return;
  const writer = {
    createPodDisruptionBudget: o.createPodDisruptionBudget.bind(o),
    replacePodDisruptionBudget: o.replacePodDisruptionBudget.bind(o),
    deletePodDisruptionBudget: o.deletePodDisruptionBudget.bind(o),
  };
  try {
    const sync = await syncDisruptionBudgets(
      writer,
      desiredDisruptionBudgets(cluster, taskManagers),
      cache.list(),
      deps.clusterName,
    );
    const writes = sync.created + sync.replaced + sync.deleted;
    if (writes > 0) {
      deps.budgetsWritten(writes);
      deps.notices.log('disruption budgets written', { ...sync, taskManagers });
    }
  } catch (err) {
    deps.log.warn({ err: String(err) }, 'disruption budgets not written; retrying next pass');
  }
}
