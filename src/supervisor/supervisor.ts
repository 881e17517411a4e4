import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createActor, type AnyActorRef, type SnapshotFrom } from 'xstate';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import {
  ANNOTATIONS,
  API_GROUP_VERSION,
  bootstrapJobName,
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_JOB,
  LABELS,
  MANAGED_BY,
  type KindNames,
  parseRequestedAction,
  taskManagerLabelSelector,
} from '../api/names.ts';
import { safeParseFlinkCluster, safeParseFlinkJob } from '../api/parse.ts';
import { setCondition, type Condition } from '../api/status.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { Clock } from '../kube/clock.ts';
import type { EventRecorder, EventSubject, EventType } from '../kube/event-recorder.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import { addFinalizer, removeFinalizer } from '../kube/finalizers.ts';
import { Informer } from '../kube/informer.ts';
import { retryOnConflict } from '../kube/retry-on-conflict.ts';
import { TerminalError, WorkQueue, type ReconcileResult } from '../kube/work-queue.ts';
import { clusterMachine, type ClusterContext } from '../machines/cluster-machine.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import { jobMachine, type JobContext } from '../machines/job-machine.ts';
import type {
  ClusterObservation,
  JobObservation,
  JobSummary,
  RequestedActionName,
} from '../machines/observations.ts';
import {
  encodeClusterSnapshot,
  encodeJobSnapshot,
  restoreClusterActor,
  restoreJobActor,
} from '../machines/persistence.ts';
import {
  clusterHealth,
  clusterResourceStatus,
  clusterView,
  jobResourceStatus,
  jobSummary,
  lifecycleState,
  type MachineState,
} from '../machines/views.ts';
import { readBootstrap } from './bootstrap-observation.ts';
import { observeFlinkCluster } from './flink-gateway.ts';
import { clusterEffects, isLivePod, jobEffects } from './machine-effects.ts';
import { OwnedObjects } from './owned-objects.ts';
import type { ResourceHost } from './resource-host.ts';
import { clusterPolicy, clusterSpecDigest, jobPolicy, jobSpecDigest } from './spec-policies.ts';
import { StatusWriter } from './status-writer.ts';
import type { SupervisorMetrics } from './supervisor-metrics.ts';
import type { MachineJournal } from '../visualizer/machine-journal.ts';

export interface SupervisorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly clusterName: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly metrics: SupervisorMetrics;
  /** A Flink REST client for a base URL (the CLI builds it with its dispatcher and metrics hook). */
  readonly flinkClient: (baseUrl: string) => FlinkRestClient;
  /** Flink REST base URL of the cluster; default http://jobmanager-<cluster>.<namespace>:8081. */
  readonly flinkUrl?: string;
  /** Overrides spec.supervisor.pollingInterval (tests). */
  readonly pollIntervalMs?: number;
  readonly allowPrivateNetworks?: boolean;
  readonly flinkTimeoutMs?: number;
  /** Records every machine's transitions for the state visualizer (src/visualizer). */
  readonly journal?: MachineJournal;
}

const QUEUE_KEY = 'cluster';
const WARNING_REASON =
  /Fail|Timeout|TimedOut|Lost|Unhealthy|Abandon|Fallback|Reject|Invalid|Unknown|Gave|Error/;

type JobRaw = CustomObject & { spec?: { clusterName?: string } };

/** `<epoch ms>` or `<epoch ms>:<ACTION>`: the identity of a requested action. */
export function parseActionStamp(stamp: string | undefined): { at: number; action?: string } | undefined {
  if (!stamp) return undefined;
  const [at, action] = stamp.split(':');
  const ms = Number(at);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return action ? { at: ms, action: action.toUpperCase() } : { at: ms };
}

function isReady(pod: V1Pod): boolean {
  return (
    isLivePod(pod) && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

function iso(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}

function subjectOf(kind: typeof FLINK_CLUSTER | typeof FLINK_JOB, obj: CustomObject): EventSubject {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: kind.kind,
    namespace: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}

/**
 * One supervisor per FlinkCluster. It watches its cluster, the FlinkJobs naming it in
 * `spec.clusterName` and the objects it owns; every change (and every poll interval) enqueues one
 * key, and a pass observes Kubernetes and Flink and feeds the observations to the cluster machine,
 * then to each job machine. The machines decide; their effects act; their snapshots become status.
 */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #clusters: Informer<CustomObject>;
  readonly #jobs: Informer<JobRaw>;
  readonly #pods: Informer<V1Pod>;
  readonly #services: Informer<V1Service>;
  readonly #batchJobs: Informer<V1Job>;
  readonly #resources: CustomResourceClient;
  readonly #objects: OwnedObjects;
  readonly #queue: WorkQueue;
  #clusterHost: ResourceHost | undefined;
  readonly #jobHosts = new Map<string, ResourceHost>();
  #cluster: FlinkCluster | undefined;
  readonly #parsedJobs = new Map<string, FlinkJob>();
  #flink: { url: string; client: FlinkRestClient } | undefined;
  #leading = false;
  #synced = false;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    const kc = options.kubeConfig;
    const ns = options.namespace;
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    this.#resources = new KubernetesCustomResourceClient(kc);
    this.#objects = new OwnedObjects(kc, ns);
    const ownedSelector = `${LABELS.managedBy}=${MANAGED_BY},${LABELS.cluster}=${options.clusterName}`;
    const enqueue = () => this.#queue.add(QUEUE_KEY);
    const onError = (err: unknown) => options.log.warn({ err: String(err) }, 'watch failed; retrying');
    const crPath = (plural: string) => `/apis/${API_GROUP_VERSION}/namespaces/${ns}/${plural}`;
    this.#clusters = new Informer<CustomObject>({
      kubeConfig: kc,
      path: crPath(FLINK_CLUSTER.plural),
      fieldSelector: `metadata.name=${options.clusterName}`,
      list: async (s) => {
        const all = await this.#resources.list(FLINK_CLUSTER, ns);
        return {
          ...all,
          items: all.items.filter((c) => !s.fieldSelector || c.metadata.name === options.clusterName),
        };
      },
      onError,
    });
    // FlinkJobs are filtered by spec.clusterName on our side: a custom field cannot be field-selected.
    this.#jobs = new Informer<JobRaw>({
      kubeConfig: kc,
      path: crPath(FLINK_JOB.plural),
      list: async () => (await this.#resources.list(FLINK_JOB, ns)) as { items: JobRaw[] },
      onError,
    });
    this.#pods = new Informer<V1Pod>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/pods`,
      labelSelector: ownedSelector,
      list: (s) => core.listNamespacedPod({ namespace: ns, ...s }),
      onError,
    });
    this.#services = new Informer<V1Service>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${ns}/services`,
      labelSelector: ownedSelector,
      list: (s) => core.listNamespacedService({ namespace: ns, ...s }),
      onError,
    });
    this.#batchJobs = new Informer<V1Job>({
      kubeConfig: kc,
      path: `/apis/batch/v1/namespaces/${ns}/jobs`,
      labelSelector: ownedSelector,
      list: (s) => batch.listNamespacedJob({ namespace: ns, ...s }),
      onError,
    });
    for (const inf of [this.#clusters, this.#pods, this.#services, this.#batchJobs] as Informer<{
      metadata?: object;
    }>[]) {
      inf.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    }
    const onJob = (j: JobRaw, old?: JobRaw) => {
      if (j.spec?.clusterName === options.clusterName || old?.spec?.clusterName === options.clusterName)
        enqueue();
    };
    this.#jobs.on('add', onJob).on('update', onJob).on('delete', onJob);
    this.#queue = new WorkQueue({
      clock: options.clock,
      reconcile: () => this.#reconcile(),
      onResult: (_key, result, durationMs, err) => {
        options.metrics.reconcileTotal.inc({ controller: 'supervisor', result });
        options.metrics.reconcileDuration.observe({ controller: 'supervisor' }, durationMs / 1000);
        if (err) options.log.warn({ err: String(err), result }, 'reconcile failed');
      },
    });
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** Starts the watches (every replica keeps warm caches, so a new leader acts at once). */
  async start(): Promise<void> {
    await Promise.all([
      this.#clusters.start(),
      this.#jobs.start(),
      this.#pods.start(),
      this.#services.start(),
      this.#batchJobs.start(),
    ]);
    this.#synced = true;
  }

  /** Acts while `signal` is not aborted (the leader's lease), then stops every machine. */
  async lead(signal: AbortSignal): Promise<void> {
    this.#leading = true;
    this.#queue.start();
    this.#queue.add(QUEUE_KEY);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#leading = false;
    this.#queue.stop();
    for (const host of [this.#clusterHost, ...this.#jobHosts.values()]) host?.actor.stop();
    this.#clusterHost = undefined;
    this.#jobHosts.clear();
  }

  stop(): void {
    this.#queue.stop();
    for (const inf of [this.#clusters, this.#jobs, this.#pods, this.#services, this.#batchJobs]) inf.stop();
  }

  /** Snapshots of the live machines (the debug visualizer reads them). */
  machines(): { kind: 'cluster' | 'job'; name: string; snapshot: unknown }[] {
    const out: { kind: 'cluster' | 'job'; name: string; snapshot: unknown }[] = [];
    if (this.#clusterHost)
      out.push({
        kind: 'cluster',
        name: this.#clusterHost.name,
        snapshot: this.#clusterHost.actor.getSnapshot(),
      });
    for (const h of this.#jobHosts.values())
      out.push({ kind: 'job', name: h.name, snapshot: h.actor.getSnapshot() });
    return out;
  }

  #log(message: string, fields: Record<string, unknown> = {}) {
    this.#o.log.info({ cluster: this.#o.clusterName, ...fields }, message);
  }

  #event(
    kind: typeof FLINK_CLUSTER | typeof FLINK_JOB,
    obj: CustomObject | undefined,
    type: EventType,
    reason: string,
    message: string,
  ) {
    if (!obj) return;
    void this.#o.events.record(subjectOf(kind, obj), type, reason, message);
  }

  #pollIntervalMs(): number {
    return this.#o.pollIntervalMs ?? (this.#cluster?.spec.supervisor.pollingInterval ?? 5) * 1000;
  }

  #flinkClient(): FlinkRestClient {
    const url = this.#o.flinkUrl ?? `http://jobmanager-${this.#o.clusterName}.${this.#o.namespace}:8081`;
    if (!this.#flink || this.#flink.url !== url) this.#flink = { url, client: this.#o.flinkClient(url) };
    return this.#flink.client;
  }

  // ---------------------------------------------------------------- the pass

  async #reconcile(): Promise<ReconcileResult> {
    if (!this.#leading) return {};
    const now = this.#o.clock.now();
    const raw = this.#clusters.get(`${this.#o.namespace}/${this.#o.clusterName}`);
    const jobsRaw = this.#jobs.list().filter((j) => j.spec?.clusterName === this.#o.clusterName);
    if (!raw) {
      await this.#withoutCluster(jobsRaw);
      return { requeueAfterMs: this.#pollIntervalMs() };
    }
    const parsed = safeParseFlinkCluster(raw);
    if (!parsed.ok) {
      await this.#reportInvalid(FLINK_CLUSTER, raw, parsed.error.message);
      throw new TerminalError(`invalid FlinkCluster spec: ${parsed.error.message}`);
    }
    const cluster = parsed.value;
    this.#cluster = cluster;
    if (
      !cluster.metadata.deletionTimestamp &&
      !(raw.metadata.finalizers ?? []).includes(FINALIZERS.supervisor)
    ) {
      await this.#addFinalizer(FLINK_CLUSTER, raw);
      return { requeueAfterMs: 0 };
    }
    const clusterHost = this.#ensureClusterHost(cluster, raw);
    const pods = this.#pods.list();
    const jm = pods.filter((p) => p.metadata?.labels?.[LABELS.role] === 'jobmanager' && isLivePod(p));
    const tm = pods.filter((p) => p.metadata?.labels?.[LABELS.role] === 'taskmanager' && isLivePod(p));
    const jmReady = jm.some(isReady);
    const timeoutMs = this.#o.flinkTimeoutMs ?? 3000;
    const flink = jmReady
      ? await observeFlinkCluster(this.#flinkClient(), timeoutMs)
      : ({ reachable: false } as const);
    // Every supervised job's machine exists before the cluster machine judges which Flink jobs are
    // managed: a new leader's first pass must not take a job it is stopping for an unmanaged one.
    for (const jobRaw of jobsRaw) {
      if (!(jobRaw.metadata.finalizers ?? []).includes(FINALIZERS.supervisor)) continue;
      const parsedJob = safeParseFlinkJob(jobRaw);
      if (!parsedJob.ok) continue;
      this.#parsedJobs.set(jobRaw.metadata.name ?? '', parsedJob.value);
      this.#ensureJobHost(parsedJob.value, jobRaw);
    }
    const summaries: JobSummary[] = [...this.#jobHosts.values()].map((h) =>
      jobSummary(h.name, h.actor.getSnapshot() as MachineState<JobContext>),
    );
    const observation: ClusterObservation = {
      deletionRequested: Boolean(cluster.metadata.deletionTimestamp),
      specDigest: clusterSpecDigest(cluster),
      jobManager: { pods: jm.length, ready: jmReady },
      jobManagerService: this.#services
        .list()
        .some((s) => s.metadata?.name === `jobmanager-${this.#o.clusterName}`),
      taskManagers: { pods: tm.length, ready: tm.filter(isReady).length },
      flink,
      jobs: summaries,
    };
    await this.#takeRequestedAction(clusterHost, FLINK_CLUSTER, raw, now);
    clusterHost.actor.send({ type: 'OBSERVED', at: now, policy: clusterPolicy(cluster), observation });
    const clusterSnapshot = clusterHost.actor.getSnapshot() as MachineState<ClusterContext>;
    const view = clusterView(clusterSnapshot);

    const seen = new Set<string>();
    for (const jobRaw of jobsRaw) {
      const name = jobRaw.metadata.name ?? '';
      seen.add(name);
      const parsedJob = safeParseFlinkJob(jobRaw);
      if (!parsedJob.ok) {
        await this.#reportInvalid(FLINK_JOB, jobRaw, parsedJob.error.message);
        continue;
      }
      const job = parsedJob.value;
      this.#parsedJobs.set(name, job);
      // A job of a cluster that is going away is released, never claimed again.
      const clusterGone =
        Boolean(cluster.metadata.deletionTimestamp) &&
        (clusterHost.actor.getSnapshot() as { status: string }).status === 'done';
      if (clusterGone) continue;
      if (
        !job.metadata.deletionTimestamp &&
        !(jobRaw.metadata.finalizers ?? []).includes(FINALIZERS.supervisor)
      ) {
        await this.#addFinalizer(FLINK_JOB, jobRaw);
        continue;
      }
      const host = this.#ensureJobHost(job, jobRaw);
      const context = (host.actor.getSnapshot() as MachineState<JobContext>).context;
      const bootstrap = this.#batchJobs.get(`${this.#o.namespace}/${bootstrapJobName(name)}`);
      const { gaveUp, ...bootstrapReading } = readBootstrap(
        bootstrap,
        now,
        cluster.spec.supervisor.taskTimeout * 1000,
      );
      if (gaveUp) this.#bootstrapDeletionStuck(jobRaw, bootstrap);
      const jobObservation: JobObservation = {
        deletionRequested: Boolean(job.metadata.deletionTimestamp),
        specDigest: jobSpecDigest(job),
        cluster: view,
        flinkJob: !context.jobId
          ? 'NONE'
          : !flink.reachable
            ? 'UNREACHABLE'
            : (flink.jobs.find((j) => j.id === context.jobId)?.state ?? 'NOT_FOUND'),
        ...bootstrapReading,
      };
      await this.#takeRequestedAction(host, FLINK_JOB, jobRaw, now);
      host.actor.send({
        type: 'OBSERVED',
        at: now,
        policy: jobPolicy(job, cluster),
        observation: jobObservation,
      });
      if (jobObservation.flinkJob === 'FAILED' && context.jobId)
        await this.#reportFlinkFailure(jobRaw, context.jobId);
      if ((host.actor.getSnapshot() as { status: string }).status === 'done')
        await this.#release(host, FLINK_JOB, jobRaw);
    }
    for (const [name, host] of this.#jobHosts) {
      if (!seen.has(name)) {
        host.actor.stop();
        this.#jobHosts.delete(name);
        this.#parsedJobs.delete(name);
        this.#o.journal?.forget('job', name);
      }
    }
    if ((clusterHost.actor.getSnapshot() as { status: string }).status === 'done') {
      // Terminated: the jobs no longer need the supervisor; release them, then the cluster.
      for (const jobRaw of jobsRaw) await this.#removeFinalizer(FLINK_JOB, jobRaw);
      await this.#release(clusterHost, FLINK_CLUSTER, raw);
    }
    this.#updateStateMetrics();
    return { requeueAfterMs: this.#pollIntervalMs() };
  }

  async #withoutCluster(jobsRaw: JobRaw[]): Promise<void> {
    this.#clusterHost?.actor.stop();
    this.#clusterHost = undefined;
    for (const host of this.#jobHosts.values()) host.actor.stop();
    this.#jobHosts.clear();
    for (const jobRaw of jobsRaw) {
      // Nothing runs without a cluster: a deleted job must not hang on our finalizer.
      if (jobRaw.metadata.deletionTimestamp) await this.#removeFinalizer(FLINK_JOB, jobRaw);
      else if ((jobRaw.status?.['supervisorStatus'] ?? 'Unknown') !== 'Unknown') {
        await this.#resources
          .patchStatus(FLINK_JOB, this.#o.namespace, jobRaw.metadata.name ?? '', {
            metadata: { resourceVersion: jobRaw.metadata.resourceVersion ?? '' },
            status: { supervisorStatus: 'Unknown', resourceStatus: 'Unknown', clusterHealth: '' },
          })
          .catch(() => undefined);
      }
    }
  }

  // ---------------------------------------------------------------- hosts

  #ensureClusterHost(cluster: FlinkCluster, raw: CustomObject): ResourceHost {
    const uid = cluster.metadata.uid ?? '';
    if (this.#clusterHost?.uid === uid) return this.#clusterHost;
    this.#clusterHost?.actor.stop();
    const effects = clusterEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flinkClient(),
      cluster: () => this.#cluster,
      pods: () => this.#pods.list(),
      flinkTimeoutMs: this.#o.flinkTimeoutMs ?? 3000,
      log: (m, f) => this.#log(m, f),
    });
    const machine = clusterMachine.provide({ actors: effects });
    const restored = restoreClusterActor(
      machine,
      raw.status?.['machine'],
      { uid, at: this.#o.clock.now(), policy: clusterPolicy(cluster) },
      this.#inspected('cluster', cluster.metadata.name ?? ''),
    );
    const writer = new StatusWriter({
      client: this.#resources,
      kind: FLINK_CLUSTER,
      namespace: this.#o.namespace,
      name: cluster.metadata.name ?? '',
      initialResourceVersion: () =>
        this.#clusters.get(`${this.#o.namespace}/${this.#o.clusterName}`)?.metadata.resourceVersion,
      onWrite: () => this.#o.metrics.apiWrites.inc({ kind: 'status' }),
    });
    writer.seed(raw.status);
    const host = this.#host(
      'cluster',
      cluster.metadata.name ?? '',
      uid,
      restored.actor as AnyActorRef,
      writer,
      restored.failure,
    );
    this.#clusterHost = host;
    return host;
  }

  #ensureJobHost(job: FlinkJob, raw: CustomObject): ResourceHost {
    const name = job.metadata.name ?? '';
    const uid = job.metadata.uid ?? '';
    const existing = this.#jobHosts.get(name);
    if (existing?.uid === uid) return existing;
    existing?.actor.stop();
    const writer = new StatusWriter({
      client: this.#resources,
      kind: FLINK_JOB,
      namespace: this.#o.namespace,
      name,
      initialResourceVersion: () => this.#jobs.get(`${this.#o.namespace}/${name}`)?.metadata.resourceVersion,
      onWrite: () => this.#o.metrics.apiWrites.inc({ kind: 'status' }),
    });
    writer.seed(raw.status);
    const effects = jobEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flinkClient(),
      job: () => this.#parsedJobs.get(name),
      persist: (envelope) => this.#persistJob(name, envelope),
      allowPrivateNetworks: this.#o.allowPrivateNetworks ?? false,
      pollIntervalMs: this.#pollIntervalMs(),
      log: (m, f) => this.#log(m, { job: name, ...f }),
    });
    const machine = jobMachine.provide({ actors: effects });
    const status = raw.status ?? {};
    const restored = restoreJobActor(
      machine,
      status['machine'],
      {
        uid,
        idSeed: String(this.#o.clock.now()),
        at: this.#o.clock.now(),
        policy: jobPolicy(job, this.#cluster),
        savepointPath: (status['savepointPath'] as string | undefined) || null,
        jobId: (status['jobId'] as string | undefined) || null,
      },
      this.#inspected('job', name),
    );
    const host = this.#host('job', name, uid, restored.actor as AnyActorRef, writer, restored.failure);
    this.#jobHosts.set(name, host);
    return host;
  }

  #inspected(kind: 'cluster' | 'job', name: string) {
    return this.#o.journal ? { actorOptions: { inspect: this.#o.journal.inspector(kind, name) } } : {};
  }

  #host(
    kind: 'cluster' | 'job',
    name: string,
    uid: string,
    actor: AnyActorRef,
    writer: StatusWriter,
    failure: { reason: string; message: string } | null,
  ): ResourceHost {
    const host: ResourceHost = {
      kind,
      name,
      uid,
      actor,
      writer,
      lastValue: '',
      lastNoticeAt: null,
      lastActionAt: null,
      restoreFailure: failure,
      invalidSpec: null,
    };
    const crKind = kind === 'cluster' ? FLINK_CLUSTER : FLINK_JOB;
    if (failure) {
      this.#event(
        crKind,
        this.#rawOf(host),
        'Warning',
        failure.reason,
        `state machine reset: ${failure.message}`,
      );
    }
    actor.subscribe({
      next: (snapshot: SnapshotFrom<typeof jobMachine> | SnapshotFrom<typeof clusterMachine>) =>
        this.#onSnapshot(host, snapshot as MachineState<ReportedContextUnion>),
      error: (err: unknown) => {
        // An actor error is a bug (effects never throw into the machine); say so loudly.
        this.#o.log.error({ err: String(err), kind, name }, 'state machine failed');
        this.#event(crKind, this.#rawOf(host), 'Warning', 'MachineError', String(err));
      },
    });
    actor.start();
    host.lastValue = JSON.stringify((actor.getSnapshot() as { value: unknown }).value);
    return host;
  }

  #rawOf(host: ResourceHost): CustomObject | undefined {
    return host.kind === 'cluster'
      ? this.#clusters.get(`${this.#o.namespace}/${host.name}`)
      : this.#jobs.get(`${this.#o.namespace}/${host.name}`);
  }

  #onSnapshot(host: ResourceHost, snapshot: MachineState<ReportedContextUnion>): void {
    const crKind = host.kind === 'cluster' ? FLINK_CLUSTER : FLINK_JOB;
    const raw = this.#rawOf(host);
    const value = JSON.stringify(snapshot.value);
    if (value !== host.lastValue) {
      const from = lifecycleState(JSON.parse(host.lastValue || '"Unknown"'));
      const to = lifecycleState(snapshot.value);
      host.lastValue = value;
      if (from !== to) {
        this.#o.metrics.transitions.inc({ machine: host.kind, from, to });
        this.#log('state changed', { kind: host.kind, name: host.name, from, to });
        this.#event(crKind, raw, 'Normal', to, `${from} → ${to}`);
      }
      // A new state observes the world promptly instead of waiting for the next poll.
      if (this.#leading) this.#queue.add(QUEUE_KEY);
    }
    const notice = snapshot.context.notice;
    if (notice && notice.at !== host.lastNoticeAt) {
      host.lastNoticeAt = notice.at;
      this.#event(
        crKind,
        raw,
        WARNING_REASON.test(notice.reason) ? 'Warning' : 'Normal',
        notice.reason,
        notice.message,
      );
    }
    const last = snapshot.context.lastAction;
    if (last && last.requestedAt !== host.lastActionAt) {
      host.lastActionAt = last.requestedAt;
      this.#event(
        crKind,
        raw,
        last.outcome === 'accepted' ? 'Normal' : 'Warning',
        last.outcome === 'accepted' ? 'ActionAccepted' : 'ActionRejected',
        `${last.action}${last.withoutSavepoint ? ' (without savepoint)' : ''}: ${last.reason}`,
      );
    }
    if (raw)
      void this.#writeStatus(host, raw, snapshot).catch((err: unknown) =>
        this.#o.log.warn({ err: String(err), name: host.name }, 'status write failed'),
      );
  }

  // ---------------------------------------------------------------- status

  #statusOf(
    host: ResourceHost,
    raw: CustomObject,
    snapshot: MachineState<ReportedContextUnion>,
    envelope?: PersistedEnvelope,
  ): Record<string, unknown> {
    const now = this.#o.clock.now();
    const generation = raw.metadata.generation ?? 0;
    const state = lifecycleState(snapshot.value);
    let conditions = (raw.status?.['conditions'] as Condition[] | undefined) ?? [];
    const cluster = host.kind === 'cluster' ? (snapshot as MachineState<ClusterContext>) : undefined;
    const resourceStatus = cluster
      ? clusterResourceStatus(cluster)
      : jobResourceStatus(snapshot as MachineState<JobContext>);
    const ready = (state === 'Started' && resourceStatus === 'Updated') || state === 'Stopped';
    conditions = setCondition(
      conditions,
      {
        type: 'Ready',
        status: state === 'Started' && resourceStatus === 'Updated' ? 'True' : 'False',
        reason: state === 'Started' ? (resourceStatus === 'Updated' ? 'Running' : 'Updating') : state,
        message: snapshot.context.notice?.message ?? `the ${host.kind} is ${state}`,
        observedGeneration: generation,
      },
      new Date(now),
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Progressing',
        status: ready ? 'False' : 'True',
        reason: ready ? 'Settled' : state,
        message: ready ? `the ${host.kind} is ${state}` : `the ${host.kind} is ${state}`,
        observedGeneration: generation,
      },
      new Date(now),
    );
    if (host.restoreFailure) {
      conditions = setCondition(
        conditions,
        {
          type: 'MachineRestored',
          status: 'False',
          reason: host.restoreFailure.reason,
          message: host.restoreFailure.message,
          observedGeneration: generation,
        },
        new Date(now),
      );
    }
    const last = snapshot.context.lastAction;
    if (last) {
      conditions = setCondition(
        conditions,
        {
          type: 'ActionProcessed',
          status: last.outcome === 'accepted' ? 'True' : 'False',
          reason: last.outcome === 'accepted' ? 'Accepted' : 'Rejected',
          message: `${last.action}: ${last.reason}`,
          observedGeneration: generation,
        },
        new Date(now),
      );
    }
    conditions = conditions.filter((c) => c.type !== 'SpecValid' || host.invalidSpec !== null);
    const base: Record<string, unknown> = {
      observedGeneration: generation,
      conditions,
      supervisorStatus: state,
      resourceStatus,
      machine:
        envelope ??
        (cluster ? encodeClusterSnapshot(cluster) : encodeJobSnapshot(snapshot as MachineState<JobContext>)),
      timestamp: new Date(now).toISOString(),
    };
    if (cluster) {
      const c = cluster.context;
      const spec = this.#cluster?.spec;
      const replicas = this.#pods
        .list()
        .filter((p) => p.metadata?.labels?.[LABELS.role] === 'taskmanager' && isLivePod(p)).length;
      return {
        ...base,
        clusterHealth: clusterHealth(cluster),
        labelSelector: taskManagerLabelSelector(this.#o.clusterName),
        serviceMode: spec?.jobManager.serviceMode,
        taskManagers: c.desiredTaskManagers,
        taskSlots: c.taskSlots,
        taskManagerReplicas: replicas,
        totalTaskSlots: replicas * c.taskSlots,
        ...(c.lastRescaleAt ? { rescaleTimestamp: iso(c.lastRescaleAt) } : {}),
      };
    }
    const j = (snapshot as MachineState<JobContext>).context;
    const job = this.#parsedJobs.get(host.name);
    const clusterSnapshot = this.#clusterHost?.actor.getSnapshot() as
      MachineState<ClusterContext> | undefined;
    return {
      ...base,
      clusterName: this.#o.clusterName,
      clusterUid: this.#cluster?.metadata.uid,
      clusterHealth: clusterSnapshot ? clusterHealth(clusterSnapshot) : '',
      labelSelector: taskManagerLabelSelector(this.#o.clusterName),
      jobParallelism: j.parallelism,
      jobId: j.jobId ?? '',
      jobStatus: j.lastFlinkState ?? '',
      savepointPath: j.savepointPath ?? '',
      savepointJobId: j.savepoint ? (j.jobId ?? '') : '',
      savepointTriggerId: j.savepoint?.triggerId ?? '',
      ...(j.savepointAt ? { savepointTimestamp: iso(j.savepointAt) } : {}),
      ...(j.lastSavepointRequestAt ? { savepointRequestTimestamp: iso(j.lastSavepointRequestAt) } : {}),
      ...(job
        ? { savepointMode: job.spec.savepoint.savepointMode, restartPolicy: job.spec.restart.restartPolicy }
        : {}),
    };
  }

  #writeStatus(
    host: ResourceHost,
    raw: CustomObject,
    snapshot: MachineState<ReportedContextUnion>,
    envelope?: PersistedEnvelope,
  ): Promise<void> {
    return host.writer.submit(this.#statusOf(host, raw, snapshot, envelope));
  }

  /** The write-ahead step: the intent (job id, trigger id) is in status before the effect runs. */
  async #persistJob(name: string, envelope: PersistedEnvelope): Promise<void> {
    const host = this.#jobHosts.get(name);
    const raw = this.#jobs.get(`${this.#o.namespace}/${name}`);
    if (!host || !raw) throw new Error(`FlinkJob ${name} is not supervised`);
    await this.#writeStatus(
      host,
      raw,
      host.actor.getSnapshot() as MachineState<ReportedContextUnion>,
      envelope,
    );
  }

  // ---------------------------------------------------------------- metadata

  async #addFinalizer(kind: KindNames, raw: CustomObject): Promise<void> {
    if (await addFinalizer(this.#resources, kind, raw, FINALIZERS.supervisor))
      this.#o.metrics.apiWrites.inc({ kind: 'metadata' });
  }

  async #removeFinalizer(kind: KindNames, raw: CustomObject): Promise<void> {
    const name = raw.metadata.name ?? '';
    if (await removeFinalizer(this.#resources, kind, this.#o.namespace, name, FINALIZERS.supervisor))
      this.#o.metrics.apiWrites.inc({ kind: 'metadata' });
  }

  /** A machine in Terminated: flush its status, then let Kubernetes delete the resource. */
  async #release(host: ResourceHost, kind: KindNames, raw: CustomObject): Promise<void> {
    await this.#writeStatus(host, raw, host.actor.getSnapshot() as MachineState<ReportedContextUnion>).catch(
      () => undefined,
    );
    if (raw.metadata.deletionTimestamp) await this.#removeFinalizer(kind, raw);
  }

  async #reportInvalid(
    kind: typeof FLINK_CLUSTER | typeof FLINK_JOB,
    raw: CustomObject,
    message: string,
  ): Promise<void> {
    const generation = raw.metadata.generation ?? 0;
    const conditions = (raw.status?.['conditions'] as Condition[] | undefined) ?? [];
    const existing = conditions.find((c) => c.type === 'SpecValid');
    if (existing?.status === 'False' && existing.observedGeneration === generation) return;
    const now = new Date(this.#o.clock.now());
    let next = setCondition(
      conditions,
      { type: 'SpecValid', status: 'False', reason: 'InvalidSpec', message, observedGeneration: generation },
      now,
    );
    next = setCondition(
      next,
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message, observedGeneration: generation },
      now,
    );
    await this.#resources
      .patchStatus(kind, this.#o.namespace, raw.metadata.name ?? '', {
        metadata: { resourceVersion: raw.metadata.resourceVersion ?? '' },
        status: { conditions: next, observedGeneration: generation },
      })
      .catch(() => undefined);
    this.#event(kind, raw, 'Warning', 'InvalidSpec', message);
  }

  /**
   * The requested-action annotation: stamped with its time if the user gave none (its identity),
   * handed to the machine, and cleared once the machine recorded it (pending or processed) in status.
   */
  async #takeRequestedAction(
    host: ResourceHost,
    kind: typeof FLINK_CLUSTER | typeof FLINK_JOB,
    raw: CustomObject,
    now: number,
  ): Promise<void> {
    const annotations = raw.metadata.annotations ?? {};
    const value = annotations[ANNOTATIONS.requestedAction];
    const action = parseRequestedAction(value);
    if (action === undefined) return;
    const name = raw.metadata.name ?? '';
    const stamp = annotations[ANNOTATIONS.actionTimestamp];
    // Clears the request's annotations, only while they still carry this request (a newer one stays).
    const clear = () =>
      retryOnConflict(async () => {
        const current = await this.#resources.get(kind, this.#o.namespace, name);
        const a = current?.metadata.annotations ?? {};
        if (
          !current ||
          a[ANNOTATIONS.requestedAction] === undefined ||
          a[ANNOTATIONS.actionTimestamp] !== stamp
        )
          return;
        await this.#resources.patch(kind, this.#o.namespace, name, {
          metadata: {
            resourceVersion: current.metadata.resourceVersion,
            annotations: {
              [ANNOTATIONS.requestedAction]: null,
              [ANNOTATIONS.withoutSavepoint]: null,
              [ANNOTATIONS.actionTimestamp]: null,
            },
          },
        });
        this.#o.metrics.apiWrites.inc({ kind: 'metadata' });
      }).catch((err: unknown) =>
        this.#o.log.debug({ err: String(err) }, 'action annotation not cleared; next pass retries'),
      );
    if (action === 'invalid') {
      this.#event(
        kind,
        raw,
        'Warning',
        'InvalidAction',
        `unknown requested action "${value}"; expected START, STOP, TRIGGER_SAVEPOINT or FORGET_SAVEPOINT`,
      );
      await clear();
      return;
    }
    const identity = parseActionStamp(stamp);
    if (!identity || (identity.action !== undefined && identity.action !== action)) {
      // The request's identity: its time, and the action it belongs to, so a stamp left by an
      // earlier request is never mistaken for this one.
      await this.#resources
        .patch(kind, this.#o.namespace, name, {
          metadata: {
            resourceVersion: raw.metadata.resourceVersion,
            annotations: { [ANNOTATIONS.actionTimestamp]: `${now}:${action}` },
          },
        })
        .then(() => this.#o.metrics.apiWrites.inc({ kind: 'metadata' }))
        .catch(() => undefined);
      return; // the stamped object comes back through the watch
    }
    const requestedAt = identity.at;
    host.actor.send({
      type: 'ACTION_REQUESTED',
      at: now,
      action: action as RequestedActionName,
      withoutSavepoint: (annotations[ANNOTATIONS.withoutSavepoint] ?? '').toLowerCase() === 'true',
      requestedAt,
    });
    const ctx = (host.actor.getSnapshot() as MachineState<ReportedContextUnion>).context;
    const recorded =
      ctx.pendingAction?.requestedAt === requestedAt || (ctx.lastAction?.requestedAt ?? 0) >= requestedAt;
    if (recorded) {
      await this.#writeStatus(host, raw, host.actor.getSnapshot() as MachineState<ReportedContextUnion>);
      await clear();
    }
  }

  readonly #reportedFailures = new Set<string>();
  readonly #stuckBootstraps = new Set<string>();

  /** Says, once per bootstrap Job, that its deletion was not confirmed in time and is no longer waited for. */
  #bootstrapDeletionStuck(raw: CustomObject, bootstrap: V1Job | undefined): void {
    const uid = bootstrap?.metadata?.uid ?? '';
    if (this.#stuckBootstraps.has(uid)) return;
    this.#stuckBootstraps.add(uid);
    const message = `bootstrap Job ${bootstrap?.metadata?.name} is still being deleted after taskTimeout (its pods were not confirmed gone); no longer waiting for it`;
    this.#event(FLINK_JOB, raw, 'Warning', 'BootstrapDeletionStuck', message);
    this.#o.log.warn({ job: raw.metadata.name, bootstrap: bootstrap?.metadata?.name }, message);
  }

  /** Says why Flink failed a job (its root exception), once per job id: people should not need the JobManager log. */
  async #reportFlinkFailure(raw: CustomObject, jobId: string): Promise<void> {
    if (this.#reportedFailures.has(jobId)) return;
    this.#reportedFailures.add(jobId);
    let cause = 'no exception recorded';
    try {
      const exceptions = await this.#flinkClient().getJobExceptions(jobId, {
        maxExceptions: 1,
        signal: AbortSignal.timeout(3000),
      });
      const root = exceptions.entries[0];
      if (root)
        cause = (root.stacktrace ?? root.exceptionName ?? cause)
          .split('\n')
          .slice(0, 3)
          .join(' ')
          .slice(0, 900);
    } catch (err) {
      cause = `the exception history could not be read: ${String(err)}`;
    }
    this.#event(FLINK_JOB, raw, 'Warning', 'FlinkJobFailed', `Flink job ${jobId} failed: ${cause}`);
    this.#o.log.warn({ job: raw.metadata.name, jobId, cause }, 'flink job failed');
  }

  #updateStateMetrics(): void {
    const counts = new Map<string, number>();
    for (const host of [this.#clusterHost, ...this.#jobHosts.values()]) {
      if (!host) continue;
      const key = `${host.kind}/${lifecycleState((host.actor.getSnapshot() as { value: never }).value)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const machine of ['cluster', 'job']) {
      for (const state of ['Unknown', 'Starting', 'Started', 'Stopping', 'Stopped', 'Terminated']) {
        this.#o.metrics.machineStates.set({ machine, state }, counts.get(`${machine}/${state}`) ?? 0);
      }
    }
  }
}

type ReportedContextUnion = (ClusterContext | JobContext) & {
  notice: ClusterContext['notice'];
  lastAction: ClusterContext['lastAction'];
  pendingAction: ClusterContext['pendingAction'];
};

// Keeps createActor referenced for readers following the restore helpers' contract.
void createActor;
