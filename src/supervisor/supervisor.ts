import { highAvailabilityEnabled, type FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import {
  bootstrapJobName,
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_JOB,
  isPausedObject,
  storageCleanupJobName,
} from '../api/names.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import { hasFinalizer } from '../kube/finalizers.ts';
import { TerminalError, WorkQueue, type ReconcileResult } from '../kube/work-queue.ts';
import type { LeadershipTerm } from '../kube/lease-elector.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import type { JobContext } from '../machines/job-machine.ts';
import type { ClusterView, FlinkRestObservation } from '../machines/observations.ts';
import { clusterView, jobSummary } from '../machines/views.ts';
import { writeDisruptionBudgets, type DisruptionBudgetDeps } from './disruption-budgets.ts';
import { ClusterFlinkClient, FLINK_TIMEOUT_MS, FlinkClusterReader } from './flink-gateway.ts';
import { clusterEffects, jobEffects } from './machine-effects.ts';
import {
  clusterPods,
  followFlinkJob,
  observeCluster,
  observeJob,
  readJobManagerLeader,
  referencedSavepoints,
  slotsExpectation,
} from './observer.ts';
import { DisruptedPods, drainingJobManager } from './pod-disruptions.ts';
import { HostRegistry } from './host-registry.ts';
import { OwnedObjects, type OwnedObjectWriter } from './owned-objects.ts';
import { readStorageCleanup } from './storage-cleanup.ts';
import { savepointFlink } from './savepoint-flink.ts';
import { supervisorSavepointHistory, type SavepointHistory } from './savepoint-history.ts';
import { SavepointSearchReader, savepointSearches, type SavepointSearchDeps } from './savepoint-search.ts';
import { pendingTriggersOf } from './savepoint-records.ts';
import { takeRequestedAction, type RequestedActionPorts } from './requested-actions.ts';
import { isDone, type AnyHost, type ClusterHost } from './resource-host.ts';
import { SpecParses } from './spec-parses.ts';
import { clusterPolicy, jobPolicy } from './spec-policies.ts';
import { SnapshotStatus, type SnapshotStatusDeps } from './snapshot-status.ts';
import type { StatusFactsDeps } from './status-facts.ts';
import type { StaleLeaderError, StatusSupersededError } from './status-writer.ts';
import { SupervisedObjects } from './fresher-reads.ts';
import { reportInvalidSpec, type InvalidSpecDeps } from './invalid-specs.ts';
import { reportJob, type JobReportDeps } from './job-reports.ts';
import {
  addSupervisorFinalizer,
  awaitsSavepointOutcome,
  release,
  releaseJobsWithoutCluster,
  removeSupervisorFinalizer,
  type ReleaseDeps,
} from './resource-release.ts';
import {
  allCaches,
  informerCaches,
  passOnChange,
  type CacheScope,
  type JobRaw,
  type SupervisorCaches,
} from './supervisor-caches.ts';
import { crKindOf, Notices } from './notices.ts';

import type { SupervisorOptions } from './supervisor-options.ts';
export type { SupervisorOptions };

const QUEUE_KEY = 'cluster';

/** What the modules the pass runs through need of the supervisor, each seeing its own part. */
type ModuleDeps = ReleaseDeps &
  InvalidSpecDeps &
  StatusFactsDeps &
  JobReportDeps &
  DisruptionBudgetDeps &
  SavepointSearchDeps &
  RequestedActionPorts &
  SnapshotStatusDeps;

/** What the cluster's part of a pass hands each job's. */
interface ClusterPass {
  readonly cluster: FlinkCluster;
  readonly clusterHost: ClusterHost;
  /** The cluster machine as the job machines see it, once it observed in this pass. */
  readonly view: ClusterView;
  readonly flink: FlinkRestObservation;
  readonly now: number;
}

/**
 * One supervisor per FlinkCluster. It watches its cluster, the FlinkJobs naming it in
 * `spec.clusterName` and the objects it owns; every change (and every poll interval) enqueues one
 * key, and a pass observes Kubernetes and Flink (observer.ts) and feeds the observations to the
 * cluster machine, then to each job machine. The machines decide; their effects act; their
 * snapshots become status (snapshot-status.ts, status-report.ts). What only reports after the
 * machines decided is job-reports.ts; the supervisor's finalizer on a resource, resource-release.ts.
 */
export class Supervisor {
  readonly #o: SupervisorOptions;
  readonly #caches: SupervisorCaches;
  readonly #resources: CustomResourceClient;
  readonly #objects: OwnedObjectWriter;
  readonly #queue: WorkQueue;
  readonly #hosts: HostRegistry;
  #cluster: FlinkCluster | undefined;
  readonly #parsedJobs = new Map<string, FlinkJob>();
  readonly #parses = new SpecParses();
  readonly #flink: ClusterFlinkClient;
  readonly #disruptedPods = new DisruptedPods();
  readonly #flinkReads = new FlinkClusterReader(
    () => this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
    () => this.#o.clock,
  );
  #leading = false;
  /** The current leadership (its epoch fences status writes; ADR 0014), while leading. */
  #term: LeadershipTerm | undefined;
  #synced = false;
  readonly #notices: Notices;
  readonly #history: SavepointHistory;
  readonly #reads: SupervisedObjects;
  readonly #deps: ModuleDeps;
  readonly #status: SnapshotStatus;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#notices = new Notices({ ...options, storage: () => this.#cluster?.spec.storage });
    this.#flink = new ClusterFlinkClient(options);
    const kc = options.kubeConfig;
    this.#resources = options.resources ?? new KubernetesCustomResourceClient(kc);
    this.#objects = options.objects ?? new OwnedObjects(kc, options.namespace);
    this.#hosts = new HostRegistry({
      factory: {
        clock: options.clock,
        namespace: options.namespace,
        resources: this.#resources,
        rawOf: (kind, name) => this.#reads.get(kind, name),
        statusWritten: () => options.metrics.apiWrites.inc({ kind: 'status' }),
        epoch: () => this.#term?.epoch,
        journal: options.journal,
        machines: options.machines,
      },
      notices: this.#notices,
      log: options.log,
      metrics: options.metrics,
      rawOf: (kind, name) => this.#reads.get(kind, name),
      onSnapshot: (host) => this.#status.onSnapshot(host),
      requeueAfter: (ms) => this.#leading && this.#queue.addAfter(QUEUE_KEY, ms),
    });
    const scope: CacheScope = {
      namespace: options.namespace,
      clusterName: options.clusterName,
      resources: this.#resources,
      onError: (err: unknown) => options.log.warn({ err: String(err) }, 'watch failed; retrying'),
    };
    this.#caches = options.caches ? options.caches(scope) : informerCaches(kc, scope);
    const { clusters, jobs } = this.#caches;
    this.#reads = new SupervisedObjects({
      namespace: options.namespace,
      resources: this.#resources,
      clusters,
      jobs,
    });
    const flink = savepointFlink(
      () => this.#flink.get(),
      options.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      options.clock,
    );
    this.#history = supervisorSavepointHistory(options, this.#resources, this.#caches.savepoints, flink);
    const { clock, log } = options;
    this.#deps = {
      clock,
      namespace: options.namespace,
      clusterName: options.clusterName,
      log,
      resources: this.#resources,
      objects: this.#objects,
      notices: this.#notices,
      history: this.#history,
      deletionsSeen: new Map(),
      writeStatus: (host, raw) => this.#status.write(host, raw),
      metadataWritten: () => options.metrics.apiWrites.inc({ kind: 'metadata' }),
      // status-facts.ts and snapshot-status.ts
      cluster: () => this.#cluster,
      clusterSnapshot: () => this.#hosts.cluster?.actor.getSnapshot(),
      job: (name) => this.#parsedJobs.get(name),
      pods: () => this.#caches.pods.list(),
      rawOf: (kind, name) => this.#reads.get(kind, name),
      leading: () => this.#leading,
      passAfter: (ms) => this.#queue.addAfter(QUEUE_KEY, ms),
      superseded: (host, err) => this.#superseded(host, err),
      replaced: (err) => this.#replaced(err),
      // requested-actions.ts
      debug: (fields, message) => log.debug(fields, message),
      sleep: (ms) => clock.sleep(ms),
      // job-reports.ts
      flink: () => this.#flink.get(),
      flinkTimeoutMs: options.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      autoscalerMetrics: options.metrics.autoscaler,
      journal: options.journal,
      // disruption-budgets.ts
      disruptionBudgets: this.#caches.disruptionBudgets,
      budgetsWritten: (writes) => options.metrics.apiWrites.inc({ kind: 'disruptionBudget' }, writes),
      // savepoint-search.ts
      searchReader: new SavepointSearchReader(),
      batchJob: (name) => this.#caches.batchJobs.get(this.#key(name)),
    };
    this.#status = new SnapshotStatus(this.#deps);
    passOnChange(
      this.#caches,
      options.clusterName,
      () => this.#queue.add(QUEUE_KEY),
      (pod) => this.#disruptedPods.deleted(pod, options.clock.now()),
    );
    this.#queue = new WorkQueue({
      clock: options.clock,
      ...(options.random ? { random: options.random } : {}),
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
    await Promise.all(allCaches(this.#caches).map((c) => (c === this.#caches.savepoints ? null : c.start())));
    this.#synced = true;
  }

  /**
   * Acts while `signal` is not aborted (the leader's lease), then stops every machine. `term` carries
   * the leadership's epoch, stamped on every status written and fenced on (without it, as in tests
   * without a Lease, writes are not fenced).
   */
  async lead(signal: AbortSignal, term?: LeadershipTerm): Promise<void> {
    this.#term = term;
    this.#leading = true;
    this.#queue.start();
    this.#queue.add(QUEUE_KEY);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#leading = false;
    this.#term = undefined;
    this.#queue.stop();
    this.#hosts.clear();
  }

  /**
   * A clean shutdown, while still leading: no new pass starts; the pass in flight and the status
   * writes queued so far finish. Work the machines still have in flight is handed over: its intent
   * is in status (write-ahead), so the next leader resumes it.
   */
  async drain(): Promise<void> {
    await this.#queue.drain();
    await Promise.all(this.#hosts.all().map((h) => h.writer.settled()));
  }

  stop(): void {
    this.#queue.stop();
    for (const cache of allCaches(this.#caches)) cache.stop();
  }

  /** Resolves when no pass is queued or running (tests). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Snapshots of the live machines (the debug visualizer reads them). */
  machines(): { kind: 'cluster' | 'job'; name: string; snapshot: unknown }[] {
    return this.#hosts.all().map((h) => ({ kind: h.kind, name: h.name, snapshot: h.actor.getSnapshot() }));
  }

  #pollIntervalMs(): number {
    return this.#o.pollIntervalMs ?? (this.#cluster?.spec.supervisor.pollingInterval ?? 5) * 1000;
  }

  #key = (name: string): string => `${this.#o.namespace}/${name}`;

  // ---------------------------------------------------------------- the pass

  async #reconcile(): Promise<ReconcileResult> {
    if (!this.#leading) return {};
    const now = this.#o.clock.now();
    const raw = this.#reads.get(FLINK_CLUSTER, this.#o.clusterName);
    const jobsRaw = this.#reads.jobsOf(this.#o.clusterName);
    if (!raw) {
      this.#hosts.clear();
      await releaseJobsWithoutCluster(this.#deps, jobsRaw);
      return { requeueAfterMs: this.#pollIntervalMs() };
    }
    const parsed = this.#parses.cluster(raw);
    if (!parsed.ok) {
      const host = this.#hosts.cluster?.uid === (raw.metadata.uid ?? '') ? this.#hosts.cluster : undefined;
      await reportInvalidSpec(this.#deps, FLINK_CLUSTER, raw, parsed.error.message, host);
      throw new TerminalError(`invalid FlinkCluster spec: ${parsed.error.message}`);
    }
    const cluster = parsed.value;
    this.#cluster = cluster;
    if (!cluster.metadata.deletionTimestamp && !hasFinalizer(raw, FINALIZERS.supervisor)) {
      await addSupervisorFinalizer(this.#deps, FLINK_CLUSTER, raw);
      return { requeueAfterMs: 0 };
    }
    // A cluster machine that threw waits out its backoff: nothing acts meanwhile (machine-failures.ts).
    const heldUntil = this.#hosts.clusterHeld(this.#o.clusterName, now);
    if (heldUntil !== undefined) return { requeueAfterMs: heldUntil - now };
    const clusterHost = this.#hosts.ensureCluster(
      cluster,
      await this.#reads.restoreSource(FLINK_CLUSTER, raw, this.#hosts.cluster),
      () => this.#clusterEffects(),
    );
    clusterHost.invalidSpec = null;
    const pods = clusterPods(this.#caches.pods.list());
    const draining = drainingJobManager(this.#caches.pods.list(), highAvailabilityEnabled(cluster.spec));
    this.#flink.drainingJobManagerIp = draining?.status?.podIP;
    const flink = await this.#flinkReads.observe(this.#flink.get(), {
      ...slotsExpectation(pods, cluster, now),
      ...(draining ? { jobManagerReady: true } : {}),
      taskCounts: this.#hosts
        .jobs()
        .some((h) => h.actor.getSnapshot().context.upgrade?.phase === 'Verifying'),
    });
    // Every supervised job's machine exists before the cluster machine judges which Flink jobs are
    // managed: a new leader's first pass must not take a job it is stopping for an unmanaged one.
    const unsupervisedJobs = await this.#ensureJobHosts(jobsRaw, cluster, now);
    const observation = observeCluster({
      cluster,
      pods,
      services: this.#caches.services.list(),
      flink,
      jobs: this.#hosts.jobs().map((h) => jobSummary(h.name, h.actor.getSnapshot())),
      invalidJobs: unsupervisedJobs,
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
      disruptions: this.#disruptedPods.observe(this.#caches.pods.list(), now),
      jobManagerDraining: draining !== undefined,
    });
    await this.#takeRequestedAction(clusterHost, raw, now);
    clusterHost.actor.send({ type: 'OBSERVED', at: now, policy: clusterPolicy(cluster), observation });
    const view = clusterView(clusterHost.actor.getSnapshot());
    const taskManagers = clusterHost.actor.getSnapshot().context.desiredTaskManagers;
    await writeDisruptionBudgets(this.#deps, cluster, taskManagers);

    const seen = new Set<string>();
    for (const jobRaw of jobsRaw) {
      seen.add(jobRaw.metadata.name ?? '');
      await this.#reconcileJob(jobRaw, { cluster, clusterHost, view, flink, now });
    }
    for (const { name } of this.#hosts.jobs()) {
      if (!seen.has(name)) {
        this.#hosts.forgetJob(name);
        this.#parsedJobs.delete(name);
        await this.#o.metrics.autoscaler.forgetJob(this.#o.namespace, name);
        this.#o.journal?.forget('job', name);
      }
    }
    this.#hosts.passSurvived(now);
    if (isDone(clusterHost)) {
      // Terminated: the jobs no longer need the supervisor; release them, then the cluster.
      for (const jobRaw of jobsRaw) await removeSupervisorFinalizer(this.#deps, FLINK_JOB, jobRaw);
      await release(this.#deps, clusterHost, FLINK_CLUSTER, raw);
    }
    this.#notices.machineStates(this.#hosts.all());
    return { requeueAfterMs: this.#pollIntervalMs() };
  }

  /**
   * The machines of the cluster's jobs, restored where missing. Returns the jobs without a machine,
   * whose Flink jobs stay managed: specs that no longer parse, and machines that threw and wait out
   * their backoff.
   */
  async #ensureJobHosts(jobsRaw: JobRaw[], cluster: FlinkCluster, now: number): Promise<JobRaw[]> {
    const unsupervisedJobs: JobRaw[] = [];
    for (const jobRaw of jobsRaw) {
      const parsedJob = this.#parses.job(jobRaw);
      if (!parsedJob.ok || this.#hosts.jobHeld(jobRaw.metadata.name ?? '', now))
        unsupervisedJobs.push(jobRaw);
      if (
        !parsedJob.ok ||
        !hasFinalizer(jobRaw, FINALIZERS.supervisor) ||
        this.#hosts.jobHeld(jobRaw.metadata.name ?? '', now)
      )
        continue;
      const name = jobRaw.metadata.name ?? '';
      this.#parsedJobs.set(name, parsedJob.value);
      const source = await this.#reads.restoreSource(FLINK_JOB, jobRaw, this.#hosts.job(name));
      this.#hosts.ensureJob(parsedJob.value, cluster, source, () => this.#jobEffects(name));
    }
    return unsupervisedJobs;
  }

  /** One FlinkJob's part of the pass, after the cluster machine's: its machine observes and decides. */
  async #reconcileJob(jobRaw: JobRaw, pass: ClusterPass): Promise<void> {
    const { cluster, clusterHost, view, flink, now } = pass;
    const name = jobRaw.metadata.name ?? '';
    const parsedJob = this.#parses.job(jobRaw);
    if (!parsedJob.ok) {
      const existing = this.#hosts.job(name);
      const host = existing?.uid === (jobRaw.metadata.uid ?? '') ? existing : undefined;
      await reportInvalidSpec(this.#deps, FLINK_JOB, jobRaw, parsedJob.error.message, host);
      return;
    }
    const job = parsedJob.value;
    this.#parsedJobs.set(name, job);
    if (this.#hosts.jobHeld(jobRaw.metadata.name ?? '', now)) return;
    // A job of a cluster that is going away is released, never claimed again.
    if (cluster.metadata.deletionTimestamp && isDone(clusterHost)) return;
    if (!job.metadata.deletionTimestamp && !hasFinalizer(jobRaw, FINALIZERS.supervisor)) {
      await addSupervisorFinalizer(this.#deps, FLINK_JOB, jobRaw);
      return;
    }
    // A machine dropped in this pass (superseded) is restored from the stored object, like any other.
    const source = await this.#reads.restoreSource(FLINK_JOB, jobRaw, this.#hosts.job(name));
    const host = this.#hosts.ensureJob(job, cluster, source, () => this.#jobEffects(name));
    host.invalidSpec = null;
    const jobId = host.actor.getSnapshot().context.jobId;
    const bootstrap = this.#caches.batchJobs.get(this.#key(bootstrapJobName(name)));
    const reading = observeJob({
      job,
      cluster: view,
      clusterPaused: isPausedObject(cluster.metadata),
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
    await this.#history.sync({
      job,
      context,
      flinkReachable: flink.reachable,
      searches: savepointSearches(this.#deps, cluster, job, context.policy.savepointTargetPath),
    });
    const flinkJob = reading.observation.flinkJob;
    await reportJob(this.#deps, { host, job, raw: jobRaw, cluster, jobId, flinkJob, context, now });
    // A savepoint whose files are being looked for (ADR 0023) is recorded before the FlinkJob
    // goes: it may be the one taken on deletion, which is kept after the job. Bounded by the
    // search Job's deadline (taskTimeout). Asked of the history, which counts the search it has
    // just recorded before the watch cache shows it (K14). So is a savepoint whose record still
    // waits for its outcome (K17).
    if (
      isDone(host) &&
      !this.#history.searching(name) &&
      !(await awaitsSavepointOutcome(this.#deps, name, jobRaw, host.actor.getSnapshot().context))
    )
      await release(this.#deps, host, FLINK_JOB, jobRaw);
  }

  #takeRequestedAction(host: AnyHost, raw: CustomObject, now: number): Promise<unknown> {
    const kind = crKindOf(host);
    return takeRequestedAction(
      this.#deps,
      {
        kind,
        raw,
        send: (event) => (host.kind === 'cluster' ? host.actor.send(event) : host.actor.send(event)),
        context: () => host.actor.getSnapshot().context,
        refuse: (invalid) => (host.invalidAction = invalid),
        event: (type, reason, message) => this.#notices.event(kind, raw, type, reason, message),
        writeStatus: () => this.#status.write(host, raw),
      },
      now,
    );
  }

  // ---------------------------------------------------------------- hosts

  #clusterEffects() {
    return clusterEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flink.get(),
      cluster: () => this.#cluster,
      pods: () => this.#caches.pods.list(),
      referencedSavepoints: () => referencedSavepoints(this.#caches.jobs.list(), this.#o.clusterName),
      flinkTimeoutMs: this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      log: (m, f) => this.#notices.log(m, f),
      ...(this.#o.networkPolicy ? { networkPolicy: this.#o.networkPolicy } : {}),
    });
  }

  #jobEffects(name: string) {
    return jobEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flink.get(),
      job: () => this.#parsedJobs.get(name),
      cluster: () => this.#cluster,
      persist: (envelope) => this.#persistJob(name, envelope),
      allowPrivateNetworks: this.#o.allowPrivateNetworks ?? false,
      pollIntervalMs: this.#pollIntervalMs(),
      flinkTimeoutMs: this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      abandonedTriggers: (jobId) => pendingTriggersOf(this.#caches.savepoints.list(), name, jobId),
      recordTriggers: () => this.#recordTriggers(name),
      log: (m, f) => this.#notices.log(m, { job: name, ...f }),
    });
  }

  // ---------------------------------------------------------------- status

  /**
   * Another writer persisted this resource's machine since we last did: our actor decided on a
   * past that is no longer true. It is dropped, and the next pass restores it from the stored status.
   */
  #superseded(host: AnyHost, err: StatusSupersededError): void {
    this.#reads.remember(crKindOf(host), host.name, err.current);
    this.#o.log.warn({ kind: host.kind, name: host.name, err: err.message }, 'status superseded; restoring');
    this.#hosts.drop(host);
    if (this.#leading) this.#queue.add(QUEUE_KEY);
  }

  /**
   * A later leadership has written this cluster's objects: this process has been replaced, though
   * its own renew has not failed yet (a pause, a partition from the API server that healed). It
   * stops acting now rather than at its renew deadline; the process exits, as after a lost lease.
   */
  #replaced(err: StaleLeaderError): void {
    this.#o.log.error(
      { err: err.message, storedEpoch: err.storedEpoch, ownEpoch: err.ownEpoch },
      'replaced by a later leader; stepping down',
    );
    this.#term?.stepDown(`a later leadership (epoch ${err.storedEpoch}) wrote status`);
  }

  /** The write-ahead step: the intent (job id, trigger id) is in status before the effect runs. */
  async #persistJob(name: string, envelope: PersistedEnvelope): Promise<void> {
    const host = this.#hosts.job(name);
    const raw = this.#reads.get(FLINK_JOB, name);
    if (!host || !raw) throw new Error(`FlinkJob ${name} is not supervised`);
    await this.#status.write(host, raw, envelope);
    const job = this.#parsedJobs.get(name);
    if (job) await this.#history.recordFlights(job, envelope.context as unknown as JobContext);
  }

  /** The records of the job's savepoints in flight, before a trigger is sent (savepoint-history.ts). */
  async #recordTriggers(name: string): Promise<void> {
    const job = this.#parsedJobs.get(name);
    const host = this.#hosts.job(name);
    if (!job || !host) throw new Error(`FlinkJob ${name} is not supervised`);
    await this.#history.requireRecords(job, host.actor.getSnapshot().context);
  }
}
