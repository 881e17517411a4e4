import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  API_GROUP_VERSION,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  LABELS,
  MANAGED_BY,
  type KindNames,
} from '../api/names.ts';
import type { Clock } from '../kube/clock.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import { Informer } from '../kube/informer.ts';
import { WorkQueue, type ReconcileResult } from '../kube/work-queue.ts';
import { ClusterReconciler } from './cluster-reconciler.ts';
import { DeploymentReconciler } from './deployment-reconciler.ts';
import type { OperatorCache } from './operator-cache.ts';
import type { OperatorMetrics } from './operator-metrics.ts';
import { OrphanJobReconciler } from './orphan-job-reconciler.ts';
import { KubernetesSupervisorDeployments, type SupervisorHost } from './supervisor-deployments.ts';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespaces to watch, or 'all'. */
  readonly namespaces: readonly string[] | 'all';
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly metrics: OperatorMetrics;
  /** Extra arguments for every supervisor (e.g. --allow-private-networks). */
  readonly supervisorArgs?: readonly string[];
  /** Deletion never hangs: past this, the operator forces the finalizers off and says so. */
  readonly forceDeletionAfterMs?: number;
  /** Fleet mode: the supervisors run here (embedded-supervisors.ts), not as a Deployment each. */
  readonly embeddedSupervisors?: SupervisorHost;
}

/**
 * How often the resource gauges are recounted from the caches while leading: a scrape every 15 s
 * or more sees a count at most this old, and a count over the caches costs nothing.
 */
export const GAUGE_REFRESH_MS = 5000;

/** The kinds the work queue carries; a key is `<kind>/<namespace>/<name>` (its first part labels the metrics). */
type WorkKind = typeof FLINK_DEPLOYMENT.kind | typeof FLINK_CLUSTER.kind | typeof FLINK_JOB.kind;

export function workKey(kind: WorkKind, namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name ?? ''}`;
}

interface Reconciler {
  reconcile(namespace: string, name: string): Promise<ReconcileResult>;
}

/** One set of informers per watched scope (a namespace, or all of them). */
interface Informers {
  readonly deployments: Informer<CustomObject>[];
  readonly clusters: Informer<CustomObject>[];
  readonly jobs: Informer<CustomObject>[];
  readonly supervisorDeployments: Informer<V1Deployment>[];
}

/**
 * The operator: owns one set of informers, shared by every reconciler through `OperatorCache`,
 * one work queue, and the leading flag. Level-based: every watch event enqueues the resources it
 * concerns; a reconcile converges that one resource. While it leads, the queue runs each key
 * through the reconciler of its kind: `DeploymentReconciler` (FlinkDeployment → FlinkCluster and
 * FlinkJobs), `ClusterReconciler` (FlinkCluster → supervisor Deployment) and
 * `OrphanJobReconciler` (FlinkJobs whose cluster does not exist).
 */
export class Operator {
  readonly #options: OperatorOptions;
  readonly #informers: Informers = { deployments: [], clusters: [], jobs: [], supervisorDeployments: [] };
  readonly #cache: OperatorCache;
  readonly #reconcilers: Record<WorkKind, Reconciler>;
  readonly #queue: WorkQueue;
  #leading = false;
  #synced = false;

  constructor(options: OperatorOptions) {
    this.#options = options;
    const resources = new KubernetesCustomResourceClient(options.kubeConfig);
    this.#createInformers(resources);
    const informers = this.#informers;
    this.#cache = {
      deployments: () => informers.deployments.flatMap((i) => i.list()),
      clusters: () => informers.clusters.flatMap((i) => i.list()),
      jobs: () => informers.jobs.flatMap((i) => i.list()),
      supervisorDeployments: () => informers.supervisorDeployments.flatMap((i) => i.list()),
    };
    const ports = { resources, cache: this.#cache, events: options.events, clock: options.clock };
    const bound = options.forceDeletionAfterMs ? { forceDeletionAfterMs: options.forceDeletionAfterMs } : {};
    this.#reconcilers = {
      FlinkDeployment: new DeploymentReconciler({ ...ports, ...bound }),
      FlinkCluster: new ClusterReconciler({
        ...ports,
        ...bound,
        supervisorDeployments: new KubernetesSupervisorDeployments(options.kubeConfig),
        ...(options.supervisorArgs ? { supervisorArgs: options.supervisorArgs } : {}),
        ...(options.embeddedSupervisors ? { embedded: options.embeddedSupervisors } : {}),
      }),
      FlinkJob: new OrphanJobReconciler({ ...ports, ...bound }),
    };
    this.#queue = new WorkQueue({
      clock: options.clock,
      reconcile: (key) => this.#reconcile(key),
      onResult: (key, result, durationMs, err) => {
        const controller = key.split('/')[0] ?? 'unknown';
        options.metrics.reconcileTotal.inc({ controller, result });
        options.metrics.reconcileDuration.observe({ controller }, durationMs / 1000);
        if (err) options.log.warn({ key, err: String(err), result }, 'reconcile failed');
      },
    });
  }

  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    await Promise.all(this.#allInformers().map((i) => i.start()));
    this.#synced = true;
  }

  /** A clean shutdown, while still leading: no new reconcile starts; the ones in flight finish. */
  drain(): Promise<void> {
    return this.#queue.drain();
  }

  stop(): void {
    this.#queue.stop();
    for (const informer of this.#allInformers()) informer.stop();
  }

  async lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    this.#queue.start();
    const enqueue = (kind: WorkKind, objects: CustomObject[]) => {
      for (const o of objects) this.#queue.add(workKey(kind, o.metadata.namespace, o.metadata.name));
    };
    enqueue(FLINK_DEPLOYMENT.kind, this.#cache.deployments());
    enqueue(FLINK_CLUSTER.kind, this.#cache.clusters());
    enqueue(FLINK_JOB.kind, this.#cache.jobs());
    this.#updateGauges();
    const gauges = setInterval(() => this.#updateGauges(), GAUGE_REFRESH_MS);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(gauges);
    this.#leading = false;
    this.#queue.stop();
  }

  #allInformers(): Informer<{ metadata?: object }>[] {
    const { deployments, clusters, jobs, supervisorDeployments } = this.#informers;
    return [...deployments, ...clusters, ...jobs, ...supervisorDeployments] as Informer<{
      metadata?: object;
    }>[];
  }

  async #reconcile(key: string): Promise<ReconcileResult> {
    if (!this.#leading) return {};
    const [kind, namespace = '', name = ''] = key.split('/') as [WorkKind, string, string];
    return this.#reconcilers[kind].reconcile(namespace, name);
  }

  #createInformers(resources: CustomResourceClient): void {
    const { kubeConfig, namespaces, log } = this.#options;
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const scopes = namespaces === 'all' ? [undefined] : namespaces;
    const onError = (err: unknown) => log.warn({ err: String(err) }, 'watch failed; retrying');
    for (const namespace of scopes) {
      const customResources = (kind: KindNames) =>
        new Informer<CustomObject>({
          kubeConfig,
          path: namespace
            ? `/apis/${API_GROUP_VERSION}/namespaces/${namespace}/${kind.plural}`
            : `/apis/${API_GROUP_VERSION}/${kind.plural}`,
          list: () => resources.list(kind, namespace),
          onError,
        });
      const deployments = customResources(FLINK_DEPLOYMENT);
      const clusters = customResources(FLINK_CLUSTER);
      const jobs = customResources(FLINK_JOB);
      const supervisorDeployments = new Informer<V1Deployment>({
        kubeConfig,
        path: namespace ? `/apis/apps/v1/namespaces/${namespace}/deployments` : '/apis/apps/v1/deployments',
        labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.role}=supervisor`,
        list: (selectors) =>
          namespace
            ? apps.listNamespacedDeployment({ namespace, ...selectors })
            : apps.listDeploymentForAllNamespaces(selectors),
        onError,
      });
      const onDeployment = (o: CustomObject) => this.#enqueue(FLINK_DEPLOYMENT.kind, o);
      const onCluster = (o: CustomObject) => {
        this.#enqueue(FLINK_CLUSTER.kind, o);
        this.#enqueueOwners(o);
        // Jobs naming this cluster may stop (or start) being orphans.
        for (const job of this.#cache.jobs())
          if (
            job.metadata.namespace === o.metadata.namespace &&
            job.spec?.['clusterName'] === o.metadata.name
          )
            this.#enqueue(FLINK_JOB.kind, job);
      };
      const onJob = (o: CustomObject) => {
        this.#enqueue(FLINK_JOB.kind, o);
        this.#enqueueOwners(o);
      };
      const onSupervisorDeployment = (d: V1Deployment) =>
        this.#queue.add(
          workKey(FLINK_CLUSTER.kind, d.metadata?.namespace, d.metadata?.labels?.[LABELS.cluster]),
        );
      for (const event of ['add', 'update', 'delete'] as const) {
        deployments.on(event, onDeployment);
        clusters.on(event, onCluster);
        jobs.on(event, onJob);
        supervisorDeployments.on(event, onSupervisorDeployment);
      }
      this.#informers.deployments.push(deployments);
      this.#informers.clusters.push(clusters);
      this.#informers.jobs.push(jobs);
      this.#informers.supervisorDeployments.push(supervisorDeployments);
    }
  }

  #enqueue(kind: WorkKind, o: CustomObject): void {
    this.#queue.add(workKey(kind, o.metadata.namespace, o.metadata.name));
  }

  /** The FlinkDeployment owning a child hears of every change of it. */
  #enqueueOwners(child: CustomObject): void {
    for (const owner of child.metadata.ownerReferences ?? [])
      if (owner.kind === FLINK_DEPLOYMENT.kind)
        this.#queue.add(workKey(FLINK_DEPLOYMENT.kind, child.metadata.namespace, owner.name));
  }

  #updateGauges(): void {
    const { resources } = this.#options.metrics;
    resources.reset();
    for (const [kind, list] of [
      [FLINK_CLUSTER.kind, this.#cache.clusters()],
      [FLINK_JOB.kind, this.#cache.jobs()],
    ] as const) {
      for (const o of list) {
        resources.inc({
          kind,
          namespace: o.metadata.namespace ?? '',
          status: String(o.status?.['supervisorStatus'] ?? 'Unknown'),
        });
      }
    }
  }
}
