import { highAvailabilityEnabled, type FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import {
  bootstrapJobName,
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_JOB,
  storageCleanupJobName,
  type KindNames,
} from '../api/names.ts';
import { safeParseFlinkCluster, safeParseFlinkJob } from '../api/parse.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../kube/finalizers.ts';
import { TerminalError, WorkQueue, type ReconcileResult } from '../kube/work-queue.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import type { FlinkRestObservation } from '../machines/observations.ts';
import { clusterView, jobSummary, type MachineState } from '../machines/views.ts';
import { checkpointReader, observeFlinkCluster } from './flink-gateway.ts';
import { clusterEffects, jobEffects } from './machine-effects.ts';
import {
  clusterPods,
  followFlinkJob,
  jobManagerReady,
  observeCluster,
  observeJob,
  readJobManagerLeader,
  referencedSavepoints,
} from './observer.ts';
import { restoreClusterHost, restoreJobHost, type HostFactory } from './machine-hosts.ts';
import { OwnedObjects, type OwnedObjectWriter } from './owned-objects.ts';
import { readStorageCleanup } from './storage-cleanup.ts';
import { savepointFlink, supervisorSavepointHistory, type SavepointHistory } from './savepoint-history.ts';
import { takeRequestedAction } from './requested-actions.ts';
import {
  isDone,
  type AnyHost,
  type ClusterHost,
  type JobHost,
  type ReportedContext,
} from './resource-host.ts';
import { clusterPolicy, jobPolicy } from './spec-policies.ts';
import { invalidSpecPatch, statusFromSnapshot, type ReportFacts } from './status-report.ts';
import { StatusSupersededError } from './status-writer.ts';
import { informerCaches, type CacheScope, type JobRaw, type SupervisorCaches } from './supervisor-caches.ts';
import { crKindOf, Notices, type CrKind } from './notices.ts';

import type { SupervisorOptions } from './supervisor-options.ts';
export type { SupervisorOptions };

const QUEUE_KEY = 'cluster';
/** How long one Flink REST call may take unless the options say otherwise. */
const FLINK_TIMEOUT_MS = 3000;

/**
 * One supervisor per FlinkCluster. It watches its cluster, the FlinkJobs naming it in
 * `spec.clusterName` and the objects it owns; every change (and every poll interval) enqueues one
 * key, and a pass observes Kubernetes and Flink (observer.ts) and feeds the observations to the
 * cluster machine, then to each job machine. The machines decide; their effects act; their
 * snapshots become status (status-report.ts).
 */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #caches: SupervisorCaches;
  readonly #resources: CustomResourceClient;
  readonly #objects: OwnedObjectWriter;
  readonly #queue: WorkQueue;
  #clusterHost: ClusterHost | undefined;
  readonly #jobHosts = new Map<string, JobHost>();
  #cluster: FlinkCluster | undefined;
  readonly #parsedJobs = new Map<string, FlinkJob>();
  #flink: { url: string; client: FlinkRestClient } | undefined;
  #leading = false;
  #synced = false;
  readonly #notices: Notices;
  readonly #hostFactory: HostFactory;
  readonly #history: SavepointHistory;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#notices = new Notices({ ...options, storage: () => this.#cluster?.spec.storage });
    const kc = options.kubeConfig;
    this.#resources = options.resources ?? new KubernetesCustomResourceClient(kc);
    this.#objects = options.objects ?? new OwnedObjects(kc, options.namespace);
    this.#hostFactory = {
      clock: options.clock,
      namespace: options.namespace,
      resources: this.#resources,
      rawOf: (kind, name) => this.#rawOf(kind, name),
      statusWritten: () => options.metrics.apiWrites.inc({ kind: 'status' }),
      journal: options.journal,
    };
    const scope: CacheScope = {
      namespace: options.namespace,
      clusterName: options.clusterName,
      resources: this.#resources,
      onError: (err: unknown) => options.log.warn({ err: String(err) }, 'watch failed; retrying'),
    };
    this.#caches = options.caches ? options.caches(scope) : informerCaches(kc, scope);
    const flink = savepointFlink(() => this.#flinkClient(), options.flinkTimeoutMs ?? FLINK_TIMEOUT_MS);
    this.#history = supervisorSavepointHistory(options, this.#resources, this.#caches.savepoints, flink);
    const enqueue = () => this.#queue.add(QUEUE_KEY);
    const { clusters, jobs, pods, services, batchJobs, savepoints } = this.#caches;
    clusters.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    pods.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    services.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    batchJobs.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    savepoints.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    const onJob = (j: JobRaw, old?: JobRaw) => {
      if (j.spec?.clusterName === options.clusterName || old?.spec?.clusterName === options.clusterName)
        enqueue();
    };
    jobs.on('add', onJob).on('update', onJob).on('delete', onJob);
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
    // FlinkSavepoints are records, not inputs: an install whose CRDs predate them still supervises.
    void this.#caches.savepoints.start();
    await Promise.all(this.#allCaches().map((c) => (c === this.#caches.savepoints ? null : c.start())));
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
    for (const host of this.#hosts()) host.actor.stop();
    this.#clusterHost = undefined;
    this.#jobHosts.clear();
  }

  /**
   * A clean shutdown, while still leading: no new pass starts; the pass in flight and the status
   * writes queued so far finish. Work the machines still have in flight is handed over: its intent
   * is in status (write-ahead), so the next leader resumes it.
   */
  async drain(): Promise<void> {
    await this.#queue.drain();
    await Promise.all(this.#hosts().map((h) => h.writer.settled()));
  }

  stop(): void {
    this.#queue.stop();
    for (const cache of this.#allCaches()) cache.stop();
  }

  /** Resolves when no pass is queued or running (tests). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Snapshots of the live machines (the debug visualizer reads them). */
  machines(): { kind: 'cluster' | 'job'; name: string; snapshot: unknown }[] {
    return this.#hosts().map((h) => ({ kind: h.kind, name: h.name, snapshot: h.actor.getSnapshot() }));
  }

  #allCaches() {
    const { clusters, jobs, pods, services, batchJobs, savepoints } = this.#caches;
    return [clusters, jobs, pods, services, batchJobs, savepoints];
  }

  #hosts(): AnyHost[] {
    return [...(this.#clusterHost ? [this.#clusterHost] : []), ...this.#jobHosts.values()];
  }

  #pollIntervalMs(): number {
    return this.#o.pollIntervalMs ?? (this.#cluster?.spec.supervisor.pollingInterval ?? 5) * 1000;
  }

  #flinkClient(): FlinkRestClient {
    const url = this.#o.flinkUrl ?? `http://jobmanager-${this.#o.clusterName}.${this.#o.namespace}:8081`;
    if (!this.#flink || this.#flink.url !== url) this.#flink = { url, client: this.#o.flinkClient(url) };
    return this.#flink.client;
  }

  #key = (name: string): string => `${this.#o.namespace}/${name}`;

  // ---------------------------------------------------------------- the pass

  async #reconcile(): Promise<ReconcileResult> {
    if (!this.#leading) return {};
    const now = this.#o.clock.now();
    const raw = this.#caches.clusters.get(this.#key(this.#o.clusterName));
    const jobsRaw = this.#caches.jobs.list().filter((j) => j.spec?.clusterName === this.#o.clusterName);
    if (!raw) {
      await this.#withoutCluster(jobsRaw);
      return { requeueAfterMs: this.#pollIntervalMs() };
    }
    const parsed = safeParseFlinkCluster(raw);
    if (!parsed.ok) {
      const host = this.#clusterHost?.uid === (raw.metadata.uid ?? '') ? this.#clusterHost : undefined;
      await this.#reportInvalid(FLINK_CLUSTER, raw, parsed.error.message, host);
      throw new TerminalError(`invalid FlinkCluster spec: ${parsed.error.message}`);
    }
    const cluster = parsed.value;
    this.#cluster = cluster;
    if (!cluster.metadata.deletionTimestamp && !hasFinalizer(raw, FINALIZERS.supervisor)) {
      await this.#addFinalizer(FLINK_CLUSTER, raw);
      return { requeueAfterMs: 0 };
    }
    const clusterHost = this.#ensureClusterHost(cluster, raw);
    clusterHost.invalidSpec = null;
    const pods = clusterPods(this.#caches.pods.list());
    const flink: FlinkRestObservation = jobManagerReady(pods)
      ? await observeFlinkCluster(this.#flinkClient(), this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS)
      : { reachable: false };
    // Every supervised job's machine exists before the cluster machine judges which Flink jobs are
    // managed: a new leader's first pass must not take a job it is stopping for an unmanaged one.
    const invalidJobs: JobRaw[] = []; // specs that no longer parse: their Flink jobs stay managed
    for (const jobRaw of jobsRaw) {
      const parsedJob = safeParseFlinkJob(jobRaw);
      if (!parsedJob.ok) invalidJobs.push(jobRaw);
      if (!parsedJob.ok || !hasFinalizer(jobRaw, FINALIZERS.supervisor)) continue;
      this.#parsedJobs.set(jobRaw.metadata.name ?? '', parsedJob.value);
      this.#ensureJobHost(parsedJob.value, jobRaw);
    }
    const observation = observeCluster({
      cluster,
      pods,
      services: this.#caches.services.list(),
      flink,
      jobs: [...this.#jobHosts.values()].map((h) => jobSummary(h.name, h.actor.getSnapshot())),
      invalidJobs,
      ...(highAvailabilityEnabled(cluster.spec)
        ? {
            leader: await readJobManagerLeader(this.#objects, this.#o.clusterName, pods, (err) =>
              this.#o.log.debug({ err: String(err) }, 'HA leader ConfigMap not readable'),
            ),
          }
        : {}),
      storageCleanup: readStorageCleanup(
        this.#caches.batchJobs.get(this.#key(storageCleanupJobName(this.#o.clusterName))),
      ),
    });
    await this.#takeRequestedAction(clusterHost, raw, now);
    clusterHost.actor.send({ type: 'OBSERVED', at: now, policy: clusterPolicy(cluster), observation });
    const view = clusterView(clusterHost.actor.getSnapshot());

    const seen = new Set<string>();
    for (const jobRaw of jobsRaw) {
      const name = jobRaw.metadata.name ?? '';
      seen.add(name);
      const parsedJob = safeParseFlinkJob(jobRaw);
      if (!parsedJob.ok) {
        const existing = this.#jobHosts.get(name);
        const host = existing?.uid === (jobRaw.metadata.uid ?? '') ? existing : undefined;
        await this.#reportInvalid(FLINK_JOB, jobRaw, parsedJob.error.message, host);
        continue;
      }
      const job = parsedJob.value;
      this.#parsedJobs.set(name, job);
      // A job of a cluster that is going away is released, never claimed again.
      if (cluster.metadata.deletionTimestamp && isDone(clusterHost)) continue;
      if (!job.metadata.deletionTimestamp && !hasFinalizer(jobRaw, FINALIZERS.supervisor)) {
        await this.#addFinalizer(FLINK_JOB, jobRaw);
        continue;
      }
      const host = this.#ensureJobHost(job, jobRaw);
      host.invalidSpec = null;
      const jobId = host.actor.getSnapshot().context.jobId;
      const bootstrap = this.#caches.batchJobs.get(this.#key(bootstrapJobName(name)));
      const reading = observeJob({
        job,
        cluster: view,
        taskTimeoutMs: cluster.spec.supervisor.taskTimeout * 1000,
        ownedJobId: jobId,
        flink,
        bootstrap,
        now,
      });
      if (reading.bootstrapGaveUp) this.#notices.bootstrapDeletionStuck(jobRaw, bootstrap);
      host.lastFlinkJob = followFlinkJob(host.lastFlinkJob, jobId, flink);
      await this.#takeRequestedAction(host, jobRaw, now);
      host.actor.send({
        type: 'OBSERVED',
        at: now,
        policy: jobPolicy(job, cluster),
        // The newest checkpoint the watch read: what an upgrade restores when the JobManager is gone.
        observation: {
          ...reading.observation,
          latestCheckpoint: host.checkpoints.latestCheckpointOf(jobId),
        },
      });
      const context = host.actor.getSnapshot().context;
      await this.#history.sync({ job, context, flinkReachable: flink.reachable });
      // Report only, read only when due (checkpoint-progress.ts): never a restart for it.
      const reader = checkpointReader(this.#flinkClient(), this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS);
      const checkpoints = await host.checkpoints.observe(jobId, reading.observation.flinkJob, now, reader);
      if (checkpoints.notice) this.#notices.checkpoints(jobRaw, checkpoints.notice);
      if (checkpoints.changed) await this.#writeStatus(host, jobRaw).catch(() => undefined);
      if (reading.observation.flinkJob === 'FAILED' && jobId)
        await this.#notices.flinkJobFailed(jobRaw, jobId, this.#flinkClient());
      if (isDone(host)) await this.#release(host, FLINK_JOB, jobRaw);
    }
    for (const [name, host] of this.#jobHosts) {
      if (!seen.has(name)) {
        host.actor.stop();
        this.#jobHosts.delete(name);
        this.#parsedJobs.delete(name);
        this.#o.journal?.forget('job', name);
      }
    }
    if (isDone(clusterHost)) {
      // Terminated: the jobs no longer need the supervisor; release them, then the cluster.
      for (const jobRaw of jobsRaw) await this.#removeFinalizer(FLINK_JOB, jobRaw);
      await this.#release(clusterHost, FLINK_CLUSTER, raw);
    }
    this.#notices.machineStates(this.#hosts());
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

  #takeRequestedAction(host: AnyHost, raw: CustomObject, now: number): Promise<unknown> {
    const kind = crKindOf(host);
    return takeRequestedAction(
      {
        resources: this.#resources,
        namespace: this.#o.namespace,
        metadataWritten: () => this.#o.metrics.apiWrites.inc({ kind: 'metadata' }),
        debug: (fields, message) => this.#o.log.debug(fields, message),
      },
      {
        kind,
        raw,
        send: (event) => (host.kind === 'cluster' ? host.actor.send(event) : host.actor.send(event)),
        context: () => host.actor.getSnapshot().context,
        refuse: (invalid) => (host.invalidAction = invalid),
        event: (type, reason, message) => this.#notices.event(kind, raw, type, reason, message),
        writeStatus: () => this.#writeStatus(host, raw),
      },
      now,
    );
  }

  // ---------------------------------------------------------------- hosts

  #ensureClusterHost(cluster: FlinkCluster, raw: CustomObject): ClusterHost {
    if (this.#clusterHost?.uid === (cluster.metadata.uid ?? '')) return this.#clusterHost;
    this.#clusterHost?.actor.stop();
    const effects = clusterEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flinkClient(),
      cluster: () => this.#cluster,
      pods: () => this.#caches.pods.list(),
      referencedSavepoints: () => referencedSavepoints(this.#caches.jobs.list(), this.#o.clusterName),
      flinkTimeoutMs: this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      log: (m, f) => this.#notices.log(m, f),
    });
    const host = restoreClusterHost(this.#hostFactory, cluster, raw, effects);
    this.#clusterHost = host;
    this.#attach(host, (observer) => host.actor.subscribe(observer));
    return host;
  }

  #ensureJobHost(job: FlinkJob, raw: CustomObject): JobHost {
    const name = job.metadata.name ?? '';
    const existing = this.#jobHosts.get(name);
    if (existing?.uid === (job.metadata.uid ?? '')) return existing;
    existing?.actor.stop();
    const effects = jobEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flinkClient(),
      job: () => this.#parsedJobs.get(name),
      cluster: () => this.#cluster,
      persist: (envelope) => this.#persistJob(name, envelope),
      allowPrivateNetworks: this.#o.allowPrivateNetworks ?? false,
      pollIntervalMs: this.#pollIntervalMs(),
      flinkTimeoutMs: this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      log: (m, f) => this.#notices.log(m, { job: name, ...f }),
    });
    const host = restoreJobHost(this.#hostFactory, job, this.#cluster, raw, effects);
    this.#jobHosts.set(name, host);
    this.#attach(host, (observer) => host.actor.subscribe(observer));
    return host;
  }

  /** Subscribes to the host's machine (an error observer first: an unheard actor error crashes), then starts it. */
  #attach(
    host: AnyHost,
    subscribe: (observer: { next: () => void; error: (err: unknown) => void }) => unknown,
  ): void {
    const kind = crKindOf(host);
    if (host.restoreFailure) {
      const { reason, message } = host.restoreFailure;
      this.#notices.event(
        kind,
        this.#rawOf(kind, host.name),
        'Warning',
        reason,
        `state machine reset: ${message}`,
      );
    }
    subscribe({
      next: () => this.#onSnapshot(host),
      error: (err: unknown) => {
        // An actor error is a bug (effects never throw into the machine); say so loudly.
        this.#o.log.error({ err: String(err), kind: host.kind, name: host.name }, 'state machine failed');
        this.#notices.event(kind, this.#rawOf(kind, host.name), 'Warning', 'MachineError', String(err));
      },
    });
    host.actor.start();
    host.lastValue = JSON.stringify(host.actor.getSnapshot().value);
  }

  #rawOf(kind: CrKind, name: string): CustomObject | undefined {
    return kind === FLINK_CLUSTER
      ? this.#caches.clusters.get(this.#key(name))
      : this.#caches.jobs.get(this.#key(name));
  }

  #onSnapshot(host: AnyHost): void {
    const raw = this.#rawOf(crKindOf(host), host.name);
    const snapshot: MachineState<ReportedContext> = host.actor.getSnapshot();
    // A new state observes the world promptly instead of waiting for the next poll.
    if (this.#notices.snapshot(host, raw, snapshot) && this.#leading) this.#queue.add(QUEUE_KEY);
    if (raw)
      void this.#writeStatus(host, raw).catch((err: unknown) =>
        this.#o.log.warn({ err: String(err), name: host.name }, 'status write failed'),
      );
  }

  // ---------------------------------------------------------------- status

  #statusOf(host: AnyHost, raw: CustomObject, envelope?: PersistedEnvelope): Record<string, unknown> {
    const facts: ReportFacts = {
      now: this.#o.clock.now(),
      generation: raw.metadata.generation ?? 0,
      stored: raw.status,
      restoreFailure: host.restoreFailure,
      invalidSpec: host.invalidSpec,
      invalidAction: host.invalidAction,
      ...(envelope ? { envelope } : {}),
    };
    if (host.kind === 'cluster') {
      return statusFromSnapshot({
        ...facts,
        kind: 'cluster',
        snapshot: host.actor.getSnapshot(),
        clusterName: this.#o.clusterName,
        serviceMode: this.#cluster?.spec.jobManager.serviceMode,
        taskManagerReplicas: clusterPods(this.#caches.pods.list()).taskManagers.length,
      });
    }
    return statusFromSnapshot({
      ...facts,
      kind: 'job',
      snapshot: host.actor.getSnapshot(),
      clusterName: this.#o.clusterName,
      clusterUid: this.#cluster?.metadata.uid,
      cluster: this.#clusterHost?.actor.getSnapshot(),
      job: this.#parsedJobs.get(host.name),
      lastFlinkJob: host.lastFlinkJob,
      checkpoints: host.checkpoints.verdict,
      storage: this.#cluster?.spec.storage,
      namespace: this.#o.namespace,
    });
  }

  /** After a conflict the status is decided again from the object as read then, not re-applied. */
  #writeStatus(host: AnyHost, raw: CustomObject, envelope?: PersistedEnvelope): Promise<void> {
    return host.writer
      .submit(this.#statusOf(host, raw, envelope), (current) => this.#statusOf(host, current, envelope))
      .catch((err: unknown) => {
        if (err instanceof StatusSupersededError) this.#superseded(host, err);
        throw err;
      });
  }

  /**
   * Another writer persisted this resource's machine since we last did: our actor decided on a
   * past that is no longer true. It is dropped, and the next pass restores it from the stored status.
   */
  #superseded(host: AnyHost, err: StatusSupersededError): void {
    this.#o.log.warn({ kind: host.kind, name: host.name, err: err.message }, 'status superseded; restoring');
    host.actor.stop();
    if (host.kind === 'cluster' && this.#clusterHost === host) this.#clusterHost = undefined;
    if (host.kind === 'job' && this.#jobHosts.get(host.name) === host) this.#jobHosts.delete(host.name);
    if (this.#leading) this.#queue.add(QUEUE_KEY);
  }

  /** The write-ahead step: the intent (job id, trigger id) is in status before the effect runs. */
  async #persistJob(name: string, envelope: PersistedEnvelope): Promise<void> {
    const host = this.#jobHosts.get(name);
    const raw = this.#caches.jobs.get(this.#key(name));
    if (!host || !raw) throw new Error(`FlinkJob ${name} is not supervised`);
    await this.#writeStatus(host, raw, envelope);
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
  async #release(host: AnyHost, kind: KindNames, raw: CustomObject): Promise<void> {
    await this.#writeStatus(host, raw).catch(() => undefined);
    if (raw.metadata.deletionTimestamp) await this.#removeFinalizer(kind, raw);
  }

  /**
   * A spec that does not parse. A resource with a machine says so through its status writer (the one
   * writer of its status, so the next snapshot keeps saying it); one without a machine gets the
   * conditions patched in. The Event is said once per generation.
   */
  async #reportInvalid(kind: CrKind, raw: CustomObject, message: string, host: AnyHost | undefined) {
    const generation = raw.metadata.generation ?? 0;
    if (host) {
      const noticed = host.invalidSpec?.generation === generation && host.invalidSpec.message === message;
      host.invalidSpec = { generation, message };
      if (noticed) return;
      await this.#writeStatus(host, raw).catch(() => undefined);
    } else {
      const patch = invalidSpecPatch(raw.status, generation, message, this.#o.clock.now());
      if (!patch) return;
      await this.#resources
        .patchStatus(kind, this.#o.namespace, raw.metadata.name ?? '', {
          metadata: { resourceVersion: raw.metadata.resourceVersion ?? '' },
          status: patch,
        })
        .catch(() => undefined);
    }
    this.#notices.event(kind, raw, 'Warning', 'InvalidSpec', message);
  }
}
