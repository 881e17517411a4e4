import {
  BatchV1Api,
  CoreV1Api,
  PolicyV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
  type V1PodDisruptionBudget,
  type V1Service,
} from '@kubernetes/client-node';
import {
  API_GROUP_VERSION,
  FLINK_CLUSTER,
  FLINK_JOB,
  FLINK_SAVEPOINT,
  LABELS,
  MANAGED_BY,
} from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { Informer, type InformerEvent, type InformerHandler } from '../kube/informer.ts';
import { statusOnlyChange } from '../kube/status-only-change.ts';

/** A FlinkJob as cached: only spec.clusterName is read before it is parsed. */
export type JobRaw = CustomObject & { spec?: { clusterName?: string } };

/**
 * One watched kind as the supervisor reads it: a cache keyed `<namespace>/<name>` and its change
 * handlers. `Informer` is the one on the API server; tests hand in maps.
 */
export interface Cache<T> {
  get(key: string): T | undefined;
  list(): T[];
  on(event: InformerEvent, handler: InformerHandler<T>): this;
  /** Removes a handler (a cache shared by several supervisors outlives each of them). */
  off(event: InformerEvent, handler: InformerHandler<T>): this;
  /** Resolves once the first list filled the cache. */
  start(): Promise<void>;
  stop(): void;
}

/** Everything one supervisor watches. */
export interface SupervisorCaches {
  /** Its FlinkCluster (only that one). */
  readonly clusters: Cache<CustomObject>;
  /** Every FlinkJob of the namespace: spec.clusterName cannot be field-selected. */
  readonly jobs: Cache<JobRaw>;
  /** The pods, Services and batch Jobs it owns (managed-by and cluster labels). */
  readonly pods: Cache<V1Pod>;
  readonly services: Cache<V1Service>;
  readonly batchJobs: Cache<V1Job>;
  /** The FlinkSavepoints of the namespace: its jobs' records and requests. */
  readonly savepoints: Cache<CustomObject>;
  /**
   * The PodDisruptionBudgets it owns (disruption-budgets.ts). Optional: without it (the
   * simulator's caches) the supervisor keeps no budgets.
   */
  readonly disruptionBudgets?: Cache<V1PodDisruptionBudget>;
}

/** Every cache of `caches` (the budgets' only when there is one). */
export function allCaches(caches: SupervisorCaches) {
  const { clusters, jobs, pods, services, batchJobs, savepoints, disruptionBudgets } = caches;
  return [
    clusters,
    jobs,
    pods,
    services,
    batchJobs,
    savepoints,
    ...(disruptionBudgets ? [disruptionBudgets] : []),
  ];
}

/**
 * What wakes a supervisor's pass: any change to its cluster, the objects it owns and the savepoint
 * records, and to a FlinkJob naming its cluster (before or after the change). `podDeleted` hears
 * each pod deletion first (pod-disruptions.ts).
 */
export function passOnChange(
  caches: SupervisorCaches,
  clusterName: string,
  enqueue: () => void,
  podDeleted: (pod: V1Pod) => void,
): void {
  const { clusters, jobs, pods, services, batchJobs, savepoints } = caches;
  // A status write of ours comes back as an update: the pass that wrote it knew it already.
  const onCluster = (c: CustomObject, old?: CustomObject) => {
    if (!statusOnlyChange(c, old)) enqueue();
  };
  clusters.on('add', enqueue).on('update', onCluster).on('delete', enqueue);
  pods
    .on('add', enqueue)
    .on('update', enqueue)
    .on('delete', (pod: V1Pod) => {
      podDeleted(pod);
      enqueue();
    });
  services.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
  batchJobs.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
  savepoints.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
  caches.disruptionBudgets?.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
  const onJob = (j: JobRaw, old?: JobRaw) => {
    if (statusOnlyChange(j, old)) return;
    if (j.spec?.clusterName === clusterName || old?.spec?.clusterName === clusterName) enqueue();
  };
  jobs.on('add', onJob).on('update', onJob).on('delete', onJob);
}

export interface CacheScope {
  readonly namespace: string;
  readonly clusterName: string;
  /** Lists the custom resources (the same client the supervisor writes with). */
  readonly resources: CustomResourceClient;
  readonly onError: (err: unknown) => void;
}

/**
 * The caches on the API server: list-then-watch informers. Without a cluster name they hold the
 * whole namespace (every FlinkCluster, everything flinkvisor manages there): the set that the
 * supervisors one process hosts share (namespace-caches.ts).
 */
export function informerCaches(
  kubeConfig: KubeConfig,
  scope: Omit<CacheScope, 'clusterName'> & { readonly clusterName: string | undefined },
): SupervisorCaches {
  const kc = kubeConfig;
  const { namespace: ns, clusterName, resources, onError } = scope;
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const ownedSelector =
    clusterName === undefined
      ? `${LABELS.managedBy}=${MANAGED_BY}`
      : `${LABELS.managedBy}=${MANAGED_BY},${LABELS.cluster}=${clusterName}`;
  const crPath = (plural: string) => `/apis/${API_GROUP_VERSION}/namespaces/${ns}/${plural}`;
  return {
    clusters: new Informer<CustomObject>({
      kubeConfig: kc,
      path: crPath(FLINK_CLUSTER.plural),
      ...(clusterName === undefined ? {} : { fieldSelector: `metadata.name=${clusterName}` }),
      list: async (s) => {
        const all = await resources.list(FLINK_CLUSTER, ns);
        return {
          ...all,
          items: all.items.filter((c) => !s.fieldSelector || c.metadata.name === clusterName),
        };
      },
      onError,
    }),
    jobs: new Informer<JobRaw>({
      kubeConfig: kc,
      path: crPath(FLINK_JOB.plural),
      list: async () => (await resources.list(FLINK_JOB, ns)) as { items: JobRaw[] },
      onError,
    }),
    pods: new Informer<V1Pod>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/pods`,
      labelSelector: ownedSelector,
      list: (s) => core.listNamespacedPod({ namespace: ns, ...s }),
      onError,
    }),
    services: new Informer<V1Service>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/services`,
      labelSelector: ownedSelector,
      list: (s) => core.listNamespacedService({ namespace: ns, ...s }),
      onError,
    }),
    savepoints: new Informer<CustomObject>({
      kubeConfig: kc,
      // Not label-selected: a user's request (a FlinkSavepoint naming only spec.jobName) has no labels.
      path: crPath(FLINK_SAVEPOINT.plural),
      list: () => resources.list(FLINK_SAVEPOINT, ns),
      onError,
    }),
    batchJobs: new Informer<V1Job>({
      kubeConfig: kc,
      path: `/apis/batch/v1/namespaces/${ns}/jobs`,
      labelSelector: ownedSelector,
      list: (s) => batch.listNamespacedJob({ namespace: ns, ...s }),
      onError,
    }),
    disruptionBudgets: new Informer<V1PodDisruptionBudget>({
      kubeConfig: kc,
      path: `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`,
      labelSelector: ownedSelector,
      list: (s) => policy.listNamespacedPodDisruptionBudget({ namespace: ns, ...s }),
      onError,
    }),
  };
}
