import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { safeParseFlinkCluster, safeParseFlinkDeployment } from '../api/parse.ts';
import {
  API_GROUP_VERSION,
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  jobResourceName,
  LABELS,
  MANAGED_BY,
  supervisorDeploymentName,
  type KindNames,
} from '../api/names.ts';
import { setCondition, type Condition } from '../api/status.ts';
import { applyObjects } from '../install/apply.ts';
import type { Clock } from '../kube/clock.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventType } from '../kube/event-recorder.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import { addFinalizer, ALL_FINALIZERS, removeFinalizer } from '../kube/finalizers.ts';
import { Informer } from '../kube/informer.ts';
import { TerminalError, WorkQueue, type ReconcileResult } from '../kube/work-queue.ts';
import {
  clusterDigests,
  clusterFromDeployment,
  jobDigests,
  jobFromDeployment,
  jobSpecFromDeployment,
  propagatedClusterFields,
  propagatedJobFields,
  type ClusterDigests,
  type JobDigests,
} from './deployment-children.ts';
import type { OperatorMetrics } from './operator-metrics.ts';
import {
  SUPERVISOR_DIGEST_ANNOTATION,
  supervisorDeployment,
  supervisorDigest,
} from './supervisor-deployment.ts';

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
}

type Raw = CustomObject & { spec?: Record<string, unknown> };
type Kind = 'FlinkDeployment' | 'FlinkCluster' | 'FlinkJob';

const REQUEUE_DELETING_MS = 3000;

function key(kind: Kind, ns: string | undefined, name: string | undefined): string {
  return `${kind}/${ns ?? ''}/${name ?? ''}`;
}

function deletionAge(raw: CustomObject, now: number): number {
  const ts = raw.metadata.deletionTimestamp;
  return ts ? now - new Date(ts).getTime() : 0;
}

/**
 * The operator: expands FlinkDeployments into a FlinkCluster and FlinkJobs, runs one supervisor
 * Deployment per FlinkCluster, and marks FlinkJobs whose cluster does not exist. Level-based: every
 * watch event enqueues the resource it concerns; a reconcile converges that one resource.
 */
export class Operator {
  readonly #o: OperatorOptions;
  readonly #resources: CustomResourceClient;
  readonly #apps: AppsV1Api;
  readonly #informers: {
    fd: Informer<Raw>[];
    fc: Informer<Raw>[];
    fj: Informer<Raw>[];
    deploy: Informer<V1Deployment>[];
  } = {
    fd: [],
    fc: [],
    fj: [],
    deploy: [],
  };
  readonly #queue: WorkQueue;
  #leading = false;
  #synced = false;

  constructor(options: OperatorOptions) {
    this.#o = options;
    const kc = options.kubeConfig;
    this.#resources = new KubernetesCustomResourceClient(kc);
    this.#apps = kc.makeApiClient(AppsV1Api);
    const scopes = options.namespaces === 'all' ? [undefined] : options.namespaces;
    const onError = (err: unknown) => options.log.warn({ err: String(err) }, 'watch failed; retrying');
    for (const ns of scopes) {
      const crInformer = (kind: KindNames) =>
        new Informer<Raw>({
          kubeConfig: kc,
          path: ns
            ? `/apis/${API_GROUP_VERSION}/namespaces/${ns}/${kind.plural}`
            : `/apis/${API_GROUP_VERSION}/${kind.plural}`,
          list: async () => (await this.#resources.list(kind, ns)) as { items: Raw[] },
          onError,
        });
      const fd = crInformer(FLINK_DEPLOYMENT);
      const fc = crInformer(FLINK_CLUSTER);
      const fj = crInformer(FLINK_JOB);
      const selector = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.role}=supervisor`;
      const deploy = new Informer<V1Deployment>({
        kubeConfig: kc,
        path: ns ? `/apis/apps/v1/namespaces/${ns}/deployments` : '/apis/apps/v1/deployments',
        labelSelector: selector,
        list: (s) =>
          ns
            ? this.#apps.listNamespacedDeployment({ namespace: ns, ...s })
            : this.#apps.listDeploymentForAllNamespaces(s),
        onError,
      });
      const add = (k: string) => this.#queue.add(k);
      const ownerKeys = (o: Raw) =>
        (o.metadata.ownerReferences ?? [])
          .filter((r) => r.kind === FLINK_DEPLOYMENT.kind)
          .map((r) => key('FlinkDeployment', o.metadata.namespace, r.name));
      const onFd = (o: Raw) => add(key('FlinkDeployment', o.metadata.namespace, o.metadata.name));
      const onFc = (o: Raw) => {
        add(key('FlinkCluster', o.metadata.namespace, o.metadata.name));
        for (const k of ownerKeys(o)) add(k);
        // Jobs naming this cluster may stop (or start) being orphans.
        for (const j of this.#jobs())
          if (j.metadata.namespace === o.metadata.namespace && j.spec?.['clusterName'] === o.metadata.name)
            add(key('FlinkJob', j.metadata.namespace, j.metadata.name));
      };
      const onFj = (o: Raw) => {
        add(key('FlinkJob', o.metadata.namespace, o.metadata.name));
        for (const k of ownerKeys(o)) add(k);
      };
      const onDeploy = (d: V1Deployment) =>
        add(key('FlinkCluster', d.metadata?.namespace, d.metadata?.labels?.[LABELS.cluster]));
      fd.on('add', onFd).on('update', onFd).on('delete', onFd);
      fc.on('add', onFc).on('update', onFc).on('delete', onFc);
      fj.on('add', onFj).on('update', onFj).on('delete', onFj);
      deploy.on('add', onDeploy).on('update', onDeploy).on('delete', onDeploy);
      this.#informers.fd.push(fd);
      this.#informers.fc.push(fc);
      this.#informers.fj.push(fj);
      this.#informers.deploy.push(deploy);
    }
    this.#queue = new WorkQueue({
      clock: options.clock,
      reconcile: (k) => this.#reconcile(k),
      onResult: (k, result, durationMs, err) => {
        const controller = k.split('/')[0] ?? 'unknown';
        options.metrics.reconcileTotal.inc({ controller, result });
        options.metrics.reconcileDuration.observe({ controller }, durationMs / 1000);
        if (err) options.log.warn({ key: k, err: String(err), result }, 'reconcile failed');
      },
    });
  }

  get synced(): boolean {
    return this.#synced;
  }

  async start(): Promise<void> {
    const all = [
      ...this.#informers.fd,
      ...this.#informers.fc,
      ...this.#informers.fj,
      ...this.#informers.deploy,
    ] as Informer<{ metadata?: object }>[];
    await Promise.all(all.map((i) => i.start()));
    this.#synced = true;
  }

  stop(): void {
    this.#queue.stop();
    for (const i of [
      ...this.#informers.fd,
      ...this.#informers.fc,
      ...this.#informers.fj,
      ...this.#informers.deploy,
    ] as Informer<{ metadata?: object }>[])
      i.stop();
  }

  async lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    this.#queue.start();
    for (const o of this.#deployments())
      this.#queue.add(key('FlinkDeployment', o.metadata.namespace, o.metadata.name));
    for (const o of this.#clusters())
      this.#queue.add(key('FlinkCluster', o.metadata.namespace, o.metadata.name));
    for (const o of this.#jobs()) this.#queue.add(key('FlinkJob', o.metadata.namespace, o.metadata.name));
    this.#updateGauges();
    const gauges = setInterval(() => this.#updateGauges(), 5000);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(gauges);
    this.#leading = false;
    this.#queue.stop();
  }

  #deployments(): Raw[] {
    return this.#informers.fd.flatMap((i) => i.list());
  }
  #clusters(): Raw[] {
    return this.#informers.fc.flatMap((i) => i.list());
  }
  #jobs(): Raw[] {
    return this.#informers.fj.flatMap((i) => i.list());
  }
  #find(list: Raw[], ns: string, name: string): Raw | undefined {
    return list.find((o) => o.metadata.namespace === ns && o.metadata.name === name);
  }
  #supervisorDeploymentOf(ns: string, cluster: string): V1Deployment | undefined {
    return this.#informers.deploy
      .flatMap((i) => i.list())
      .find((d) => d.metadata?.namespace === ns && d.metadata?.name === supervisorDeploymentName(cluster));
  }

  #event(kind: KindNames, raw: Raw, type: EventType, reason: string, message: string): void {
    void this.#o.events.record(
      {
        apiVersion: API_GROUP_VERSION,
        kind: kind.kind,
        namespace: raw.metadata.namespace ?? 'default',
        name: raw.metadata.name ?? '',
        ...(raw.metadata.uid ? { uid: raw.metadata.uid } : {}),
      },
      type,
      reason,
      message,
    );
  }

  async #patchStatus(kind: KindNames, raw: Raw, status: Record<string, unknown>): Promise<void> {
    try {
      await this.#resources.patchStatus(kind, raw.metadata.namespace ?? '', raw.metadata.name ?? '', {
        status,
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async #create(kind: KindNames, body: CustomObject & { metadata: { namespace: string } }): Promise<void> {
    try {
      await this.#resources.create(kind, body.metadata.namespace, body);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  async #delete(kind: KindNames, ns: string, name: string): Promise<void> {
    try {
      await this.#resources.delete(kind, ns, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Replaces the given top-level spec fields (JSON Patch): fields the source no longer has are removed. */
  async #syncSpec(
    kind: KindNames,
    raw: Raw,
    desired: Record<string, unknown>,
    keep: readonly string[],
  ): Promise<boolean> {
    const current = raw.spec ?? {};
    const ops: object[] = [];
    for (const [field, value] of Object.entries(desired)) {
      if (JSON.stringify(current[field]) !== JSON.stringify(value))
        ops.push({ op: 'add', path: `/spec/${field}`, value });
    }
    for (const field of Object.keys(current)) {
      if (!(field in desired) && !keep.includes(field)) ops.push({ op: 'remove', path: `/spec/${field}` });
    }
    if (ops.length === 0) return false;
    ops.unshift({ op: 'test', path: '/metadata/resourceVersion', value: raw.metadata.resourceVersion });
    await this.#resources.jsonPatch(kind, raw.metadata.namespace ?? '', raw.metadata.name ?? '', ops);
    return true;
  }

  async #reconcile(k: string): Promise<ReconcileResult> {
    if (!this.#leading) return {};
    const [kind, ns = '', name = ''] = k.split('/') as [Kind, string, string];
    if (kind === 'FlinkDeployment') return this.#reconcileDeployment(ns, name);
    if (kind === 'FlinkCluster') return this.#reconcileCluster(ns, name);
    return this.#reconcileJob(ns, name);
  }

  // ------------------------------------------------------------ FlinkDeployment

  async #reconcileDeployment(ns: string, name: string): Promise<ReconcileResult> {
    const raw = this.#find(this.#deployments(), ns, name);
    if (!raw) return {};
    const now = this.#o.clock.now();
    const owned = (o: Raw) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === raw.metadata.uid);
    const cluster = this.#find(this.#clusters(), ns, name);
    const ownedJobs = this.#jobs().filter((j) => j.metadata.namespace === ns && owned(j));
    const finalizers = raw.metadata.finalizers ?? [];

    if (raw.metadata.deletionTimestamp) {
      const children = [...(cluster && owned(cluster) ? [cluster] : []), ...ownedJobs];
      for (const child of children) {
        if (!child.metadata.deletionTimestamp)
          await this.#delete(
            child.kind === FLINK_CLUSTER.kind ? FLINK_CLUSTER : FLINK_JOB,
            ns,
            child.metadata.name ?? '',
          );
      }
      if (children.length > 0) {
        if (deletionAge(raw, now) > (this.#o.forceDeletionAfterMs ?? 600_000)) {
          for (const child of children) {
            const kindNames = child.kind === FLINK_CLUSTER.kind ? FLINK_CLUSTER : FLINK_JOB;
            await removeFinalizer(this.#resources, kindNames, ns, child.metadata.name ?? '', ALL_FINALIZERS);
          }
          this.#event(
            FLINK_DEPLOYMENT,
            raw,
            'Warning',
            'DeletionForced',
            'children did not finish stopping in time: their finalizers were removed, Flink may not have been stopped cleanly',
          );
        }
        return { requeueAfterMs: REQUEUE_DELETING_MS };
      }
      await removeFinalizer(this.#resources, FLINK_DEPLOYMENT, ns, name, FINALIZERS.operator);
      return {};
    }
    const parsed = safeParseFlinkDeployment(raw);
    if (!parsed.ok) {
      await this.#reportInvalid(FLINK_DEPLOYMENT, raw, parsed.error.message);
      throw new TerminalError(parsed.error.message);
    }
    const fd = parsed.value;
    if (!finalizers.includes(FINALIZERS.operator)) {
      await addFinalizer(this.#resources, FLINK_DEPLOYMENT, raw, FINALIZERS.operator);
      return {};
    }
    const rawSpec = (raw.spec ?? {}) as {
      cluster?: Record<string, unknown>;
      jobs?: { name: string; spec: Record<string, unknown> }[];
    };
    const status = (raw.status ?? {}) as {
      digest?: { cluster?: ClusterDigests; jobs?: { name: string; job: JobDigests }[] };
      conditions?: Condition[];
    };
    let changed = false;

    const wantedCluster = clusterDigests(fd);
    if (!cluster) {
      await this.#create(FLINK_CLUSTER, clusterFromDeployment(fd, rawSpec.cluster ?? {}));
      this.#event(FLINK_DEPLOYMENT, raw, 'Normal', 'ClusterCreated', `created FlinkCluster ${name}`);
      changed = true;
    } else if (
      owned(cluster) &&
      !cluster.metadata.deletionTimestamp &&
      JSON.stringify(status.digest?.cluster) !== JSON.stringify(wantedCluster)
    ) {
      if (
        await this.#syncSpec(FLINK_CLUSTER, cluster, propagatedClusterFields(rawSpec.cluster ?? {}), [
          'taskManagers',
        ])
      ) {
        this.#event(
          FLINK_DEPLOYMENT,
          raw,
          'Normal',
          'ClusterUpdated',
          `propagated spec.cluster to FlinkCluster ${name}`,
        );
        changed = true;
      }
    }

    const recorded = new Map((status.digest?.jobs ?? []).map((j) => [j.name, j.job]));
    const declared = fd.spec.jobs;
    const jobDigestList: { name: string; job: JobDigests }[] = [];
    for (const job of declared) {
      const jobName = jobResourceName(name, job.name);
      const rawJobSpec = rawSpec.jobs?.find((j) => j.name === job.name)?.spec ?? {};
      const existing = this.#find(this.#jobs(), ns, jobName);
      const digests = jobDigests(job);
      jobDigestList.push({ name: job.name, job: digests });
      if (!existing) {
        await this.#create(FLINK_JOB, jobFromDeployment(fd, job, rawJobSpec));
        this.#event(FLINK_DEPLOYMENT, raw, 'Normal', 'JobCreated', `created FlinkJob ${jobName}`);
        changed = true;
      } else if (
        !existing.metadata.deletionTimestamp &&
        JSON.stringify(recorded.get(job.name)) !== JSON.stringify(digests)
      ) {
        const desired = propagatedJobFields(jobSpecFromDeployment(fd, job, rawJobSpec));
        if (await this.#syncSpec(FLINK_JOB, existing, desired, ['jobParallelism', 'clusterName'])) {
          this.#event(
            FLINK_DEPLOYMENT,
            raw,
            'Normal',
            'JobUpdated',
            `propagated job ${job.name} to FlinkJob ${jobName}`,
          );
          changed = true;
        }
      }
    }
    const declaredNames = new Set(declared.map((j) => jobResourceName(name, j.name)));
    for (const j of ownedJobs) {
      if (!declaredNames.has(j.metadata.name ?? '') && !j.metadata.deletionTimestamp) {
        await this.#delete(FLINK_JOB, ns, j.metadata.name ?? '');
        this.#event(
          FLINK_DEPLOYMENT,
          raw,
          'Normal',
          'JobDeleted',
          `deleted FlinkJob ${j.metadata.name}: no longer declared`,
        );
        changed = true;
      }
    }
    const clusterState = String(cluster?.status?.['supervisorStatus'] ?? 'Unknown');
    const generation = raw.metadata.generation ?? 0;
    const conditions = setCondition(
      status.conditions,
      {
        type: 'Ready',
        status: !changed && clusterState === 'Started' ? 'True' : 'False',
        reason: changed ? 'Updating' : clusterState,
        message: changed ? 'children created or updated' : `the cluster is ${clusterState}`,
        observedGeneration: generation,
      },
      new Date(now),
    );
    const next = {
      observedGeneration: generation,
      resourceStatus: changed ? 'Updating' : 'Updated',
      digest: { cluster: wantedCluster, jobs: jobDigestList },
      conditions,
    };
    const comparable = (s: Record<string, unknown>) =>
      JSON.stringify({
        ...s,
        conditions: (s['conditions'] as Condition[] | undefined)?.map((c) => ({
          ...c,
          lastTransitionTime: undefined,
        })),
      });
    if (
      comparable(next) !==
      comparable({
        observedGeneration: raw.status?.['observedGeneration'],
        resourceStatus: raw.status?.['resourceStatus'],
        digest: raw.status?.['digest'],
        conditions: status.conditions,
      })
    ) {
      await this.#patchStatus(FLINK_DEPLOYMENT, raw, { ...next, timestamp: new Date(now).toISOString() });
    }
    return changed ? { requeueAfterMs: 2000 } : {};
  }

  // ------------------------------------------------------------ FlinkCluster → supervisor

  async #reconcileCluster(ns: string, name: string): Promise<ReconcileResult> {
    const raw = this.#find(this.#clusters(), ns, name);
    if (!raw) return {};
    const now = this.#o.clock.now();
    const finalizers = raw.metadata.finalizers ?? [];
    const deployment = this.#supervisorDeploymentOf(ns, name);
    if (raw.metadata.deletionTimestamp) {
      if (finalizers.includes(FINALIZERS.supervisor)) {
        if (deletionAge(raw, now) > (this.#o.forceDeletionAfterMs ?? 600_000)) {
          for (const j of this.#jobs().filter(
            (x) => x.metadata.namespace === ns && x.spec?.['clusterName'] === name,
          )) {
            await removeFinalizer(
              this.#resources,
              FLINK_JOB,
              ns,
              j.metadata.name ?? '',
              FINALIZERS.supervisor,
            );
          }
          await removeFinalizer(this.#resources, FLINK_CLUSTER, ns, name, FINALIZERS.supervisor);
          this.#event(
            FLINK_CLUSTER,
            raw,
            'Warning',
            'DeletionForced',
            'the supervisor did not finish stopping the cluster in time: its finalizer was removed, Flink may not have been stopped cleanly',
          );
          return { requeueAfterMs: REQUEUE_DELETING_MS };
        }
        // The supervisor stops Flink before the cluster goes: keep it running until it is done.
        if (!deployment) await this.#applySupervisor(raw);
        return { requeueAfterMs: 10_000 };
      }
      if (deployment) {
        await this.#apps
          .deleteNamespacedDeployment({ name: deployment.metadata?.name ?? '', namespace: ns })
          .catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
      }
      await removeFinalizer(this.#resources, FLINK_CLUSTER, ns, name, FINALIZERS.operator);
      return {};
    }
    if (!finalizers.includes(FINALIZERS.operator)) {
      await addFinalizer(this.#resources, FLINK_CLUSTER, raw, FINALIZERS.operator);
      return {};
    }
    const parsed = safeParseFlinkCluster(raw);
    if (!parsed.ok) {
      this.#event(FLINK_CLUSTER, raw, 'Warning', 'InvalidSpec', parsed.error.message);
      throw new TerminalError(parsed.error.message);
    }
    const wanted = supervisorDigest(parsed.value);
    if (!deployment || deployment.metadata?.annotations?.[SUPERVISOR_DIGEST_ANNOTATION] !== wanted) {
      await this.#applySupervisor(raw);
      this.#event(
        FLINK_CLUSTER,
        raw,
        'Normal',
        deployment ? 'SupervisorUpdated' : 'SupervisorCreated',
        `supervisor Deployment ${supervisorDeploymentName(name)} ${deployment ? 'rolled to the new spec.supervisor' : 'created'}`,
      );
    }
    return {};
  }

  async #applySupervisor(raw: Raw): Promise<void> {
    const parsed = safeParseFlinkCluster(raw);
    if (!parsed.ok) return;
    await applyObjects(
      this.#o.kubeConfig,
      [supervisorDeployment(parsed.value, this.#o.supervisorArgs ?? [])],
      'flinkvisor-operator',
    );
  }

  // ------------------------------------------------------------ FlinkJob without cluster

  async #reconcileJob(ns: string, name: string): Promise<ReconcileResult> {
    const raw = this.#find(this.#jobs(), ns, name);
    if (!raw) return {};
    const clusterName = String(raw.spec?.['clusterName'] ?? '');
    if (this.#find(this.#clusters(), ns, clusterName)) return {};
    // No cluster, so no supervisor: say so, and never let a deletion hang on its finalizer.
    const finalizers = raw.metadata.finalizers ?? [];
    if (raw.metadata.deletionTimestamp && finalizers.includes(FINALIZERS.supervisor)) {
      await removeFinalizer(this.#resources, FLINK_JOB, ns, raw.metadata.name ?? '', FINALIZERS.supervisor);
      return {};
    }
    if (raw.status?.['supervisorStatus'] !== 'Unknown') {
      const now = new Date(this.#o.clock.now());
      const conditions = setCondition(
        raw.status?.['conditions'] as Condition[] | undefined,
        {
          type: 'Ready',
          status: 'False',
          reason: 'ClusterNotFound',
          message: `FlinkCluster ${clusterName} does not exist in ${ns}`,
          observedGeneration: raw.metadata.generation ?? 0,
        },
        now,
      );
      await this.#patchStatus(FLINK_JOB, raw, {
        supervisorStatus: 'Unknown',
        resourceStatus: 'Unknown',
        clusterHealth: '',
        jobId: '',
        jobStatus: '',
        jobParallelism: 0,
        conditions,
      });
      this.#event(FLINK_JOB, raw, 'Warning', 'ClusterNotFound', `FlinkCluster ${clusterName} does not exist`);
    }
    return {};
  }

  async #reportInvalid(kind: KindNames, raw: Raw, message: string): Promise<void> {
    const generation = raw.metadata.generation ?? 0;
    const conditions = setCondition(
      raw.status?.['conditions'] as Condition[] | undefined,
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message, observedGeneration: generation },
      new Date(this.#o.clock.now()),
    );
    await this.#patchStatus(kind, raw, { conditions, observedGeneration: generation });
    this.#event(kind, raw, 'Warning', 'InvalidSpec', message);
  }

  #updateGauges(): void {
    this.#o.metrics.resources.reset();
    for (const [kind, list] of [
      ['FlinkCluster', this.#clusters()],
      ['FlinkJob', this.#jobs()],
    ] as const) {
      for (const o of list) {
        this.#o.metrics.resources.inc({
          kind,
          namespace: o.metadata.namespace ?? '',
          status: String(o.status?.['supervisorStatus'] ?? 'Unknown'),
        });
      }
    }
  }
}
