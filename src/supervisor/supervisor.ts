import type { V1Pod } from '@kubernetes/client-node';
import { highAvailabilityEnabled, type FlinkCluster } from '../api/flink-cluster.ts';
import { hostUrl } from '../kube/pod-address.ts';
import { FLINK_PORTS } from './resource-builders.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import {
  bootstrapJobName,
  FINALIZERS,
  FLINK_CLUSTER,
  FLINK_JOB,
  isPausedObject,
  storageCleanupJobName,
  type KindNames,
} from '../api/names.ts';
import { safeParseFlinkCluster, safeParseFlinkJob, type ParseResult } from '../api/parse.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../kube/finalizers.ts';
import { TerminalError, WorkQueue, type ReconcileResult } from '../kube/work-queue.ts';
import { statusOnlyChange } from '../kube/status-only-change.ts';
import type { LeadershipTerm } from '../kube/lease-elector.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import type { JobContext } from '../machines/job-machine.ts';
import { clusterView, jobSummary, type MachineState } from '../machines/views.ts';
import { desiredDisruptionBudgets, syncDisruptionBudgets } from './disruption-budgets.ts';
import { autoscalerDecided, recordAutoscalerPass } from './autoscaler-metrics.ts';
import { checkpointReader, FlinkClusterReader, metricsSampleReader } from './flink-gateway.ts';
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
import { PromptPasses } from './prompt-passes.ts';
import { HostRegistry } from './host-registry.ts';
import { OwnedObjects, type OwnedObjectWriter } from './owned-objects.ts';
import { readStorageCleanup } from './storage-cleanup.ts';
import { savepointFlink } from './savepoint-flink.ts';
import {
  supervisorSavepointHistory,
  type SavepointHistory,
  type SavepointSearches,
} from './savepoint-history.ts';
import { SavepointSearchReader, savepointSearchJob } from './savepoint-search.ts';
import { pendingTriggersOf } from './savepoint-records.ts';
import { takeRequestedAction } from './requested-actions.ts';
import { isDone, type AnyHost, type ReportedContext } from './resource-host.ts';
import { clusterPolicy, jobPolicy } from './spec-policies.ts';
import { statusFromSnapshot, type ReportFacts } from './status-report.ts';
import { writeInvalidSpecWithoutMachine, writeJobWithoutCluster } from './unsupervised-status.ts';
import { StaleLeaderError, StatusSupersededError } from './status-writer.ts';
import { FresherReads } from './fresher-reads.ts';
import { flinkFailureReads } from './flink-failures.ts';
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
  readonly #hosts: HostRegistry;
  #cluster: FlinkCluster | undefined;
  readonly #searchReader = new SavepointSearchReader();
  readonly #parsedJobs = new Map<string, FlinkJob>();
  /**
   * Parse results by the cached object they were parsed from: an informer replaces an object on
   * every change and never edits one, so the same object parses the same, and a pass (every poll
   * interval, and twice a job per pass) need not validate an unchanged spec again.
   */
  readonly #parses = new WeakMap<CustomObject, unknown>();
  #flink: { url: string; client: FlinkRestClient } | undefined;
  readonly #disruptedPods = new DisruptedPods();
  /**
   * The IP of the only JobManager pod while it is being drained and still runs (ADR 0021): Flink is
   * read through it, since a terminating pod has left the Service's ready endpoints. Set by each pass.
   */
  #drainingJobManagerIp: string | undefined;
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
  readonly #promptPasses = new PromptPasses();
  readonly #fresher = new FresherReads();

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#notices = new Notices({ ...options, storage: () => this.#cluster?.spec.storage });
    const kc = options.kubeConfig;
    this.#resources = options.resources ?? new KubernetesCustomResourceClient(kc);
    this.#objects = options.objects ?? new OwnedObjects(kc, options.namespace);
    this.#hosts = new HostRegistry({
      factory: {
        clock: options.clock,
        namespace: options.namespace,
        resources: this.#resources,
        rawOf: (kind, name) => this.#rawOf(kind, name),
        statusWritten: () => options.metrics.apiWrites.inc({ kind: 'status' }),
        epoch: () => this.#term?.epoch,
        journal: options.journal,
        machines: options.machines,
      },
      notices: this.#notices,
      log: options.log,
      metrics: options.metrics,
      rawOf: (kind, name) => this.#rawOf(kind, name),
      onSnapshot: (host) => this.#onSnapshot(host),
      requeueAfter: (ms) => this.#leading && this.#queue.addAfter(QUEUE_KEY, ms),
    });
    const scope: CacheScope = {
      namespace: options.namespace,
      clusterName: options.clusterName,
      resources: this.#resources,
      onError: (err: unknown) => options.log.warn({ err: String(err) }, 'watch failed; retrying'),
    };
    this.#caches = options.caches ? options.caches(scope) : informerCaches(kc, scope);
    const flink = savepointFlink(
      () => this.#flinkClient(),
      options.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
      options.clock,
    );
    this.#history = supervisorSavepointHistory(options, this.#resources, this.#caches.savepoints, flink);
    const enqueue = () => this.#queue.add(QUEUE_KEY);
    const { clusters, jobs, pods, services, batchJobs, savepoints } = this.#caches;
    // A status write of ours comes back as an update: the pass that wrote it knew it already.
    const onCluster = (c: CustomObject, old?: CustomObject) => {
      if (!statusOnlyChange(c, old)) enqueue();
    };
    clusters.on('add', enqueue).on('update', onCluster).on('delete', enqueue);
    pods
      .on('add', enqueue)
      .on('update', enqueue)
      .on('delete', (pod: V1Pod) => {
        this.#disruptedPods.deleted(pod, options.clock.now());
        enqueue();
      });
    services.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    batchJobs.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    savepoints.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    this.#caches.disruptionBudgets?.on('add', enqueue).on('update', enqueue).on('delete', enqueue);
    const onJob = (j: JobRaw, old?: JobRaw) => {
      if (statusOnlyChange(j, old)) return;
      if (j.spec?.clusterName === options.clusterName || old?.spec?.clusterName === options.clusterName)
        enqueue();
    };
    jobs.on('add', onJob).on('update', onJob).on('delete', onJob);
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
    await Promise.all(this.#allCaches().map((c) => (c === this.#caches.savepoints ? null : c.start())));
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
    for (const cache of this.#allCaches()) cache.stop();
  }

  /** Resolves when no pass is queued or running (tests). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** Snapshots of the live machines (the debug visualizer reads them). */
  machines(): { kind: 'cluster' | 'job'; name: string; snapshot: unknown }[] {
    return this.#hosts.all().map((h) => ({ kind: h.kind, name: h.name, snapshot: h.actor.getSnapshot() }));
  }

  #allCaches() {
    const { clusters, jobs, pods, services, batchJobs, savepoints, disruptionBudgets } = this.#caches;
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

  #pollIntervalMs(): number {
    return this.#o.pollIntervalMs ?? (this.#cluster?.spec.supervisor.pollingInterval ?? 5) * 1000;
  }

  #flinkClient(): FlinkRestClient {
    const url =
      this.#o.flinkUrl ??
      (this.#drainingJobManagerIp === undefined
        ? `http://jobmanager-${this.#o.clusterName}.${this.#o.namespace}:8081`
        : hostUrl('http', this.#drainingJobManagerIp, FLINK_PORTS.ui));
    if (!this.#flink || this.#flink.url !== url) this.#flink = { url, client: this.#o.flinkClient(url) };
    return this.#flink.client;
  }

  #key = (name: string): string => `${this.#o.namespace}/${name}`;

  #parse<T extends FlinkCluster | FlinkJob>(
    raw: CustomObject,
    parse: (value: unknown) => ParseResult<T>,
  ): ParseResult<T> {
    const known = this.#parses.get(raw) as ParseResult<T> | undefined;
    if (known) return known;
    const result = parse(raw);
    this.#parses.set(raw, result);
    return result;
  }

  // ---------------------------------------------------------------- the pass

  async #reconcile(): Promise<ReconcileResult> {
    if (!this.#leading) return {};
    const now = this.#o.clock.now();
    const raw = this.#rawOf(FLINK_CLUSTER, this.#o.clusterName);
    const jobsRaw = this.#caches.jobs
      .list()
      .map((j) => this.#fresher.pick(`${FLINK_JOB.kind}/${this.#key(j.metadata.name ?? '')}`, j) ?? j)
      .filter((j) => j.spec?.clusterName === this.#o.clusterName);
    if (!raw) {
      await this.#withoutCluster(jobsRaw);
      return { requeueAfterMs: this.#pollIntervalMs() };
    }
    const parsed = this.#parse(raw, safeParseFlinkCluster);
    if (!parsed.ok) {
      const host = this.#hosts.cluster?.uid === (raw.metadata.uid ?? '') ? this.#hosts.cluster : undefined;
      await this.#reportInvalid(FLINK_CLUSTER, raw, parsed.error.message, host);
      throw new TerminalError(`invalid FlinkCluster spec: ${parsed.error.message}`);
    }
    const cluster = parsed.value;
    this.#cluster = cluster;
    if (!cluster.metadata.deletionTimestamp && !hasFinalizer(raw, FINALIZERS.supervisor)) {
      await this.#addFinalizer(FLINK_CLUSTER, raw);
      return { requeueAfterMs: 0 };
    }
    // A cluster machine that threw waits out its backoff: nothing acts meanwhile (machine-failures.ts).
    const heldUntil = this.#hosts.clusterHeld(this.#o.clusterName, now);
    if (heldUntil !== undefined) return { requeueAfterMs: heldUntil - now };
    const clusterHost = this.#hosts.ensureCluster(
      cluster,
      await this.#restoreSource(FLINK_CLUSTER, raw, this.#hosts.cluster),
      () => this.#clusterEffects(),
    );
    clusterHost.invalidSpec = null;
    const pods = clusterPods(this.#caches.pods.list());
    const draining = drainingJobManager(this.#caches.pods.list(), highAvailabilityEnabled(cluster.spec));
    this.#drainingJobManagerIp = draining?.status?.podIP;
    const flink = await this.#flinkReads.observe(this.#flinkClient(), {
      ...slotsExpectation(pods, cluster, now),
      ...(draining ? { jobManagerReady: true } : {}),
      taskCounts: this.#hosts
        .jobs()
        .some((h) => h.actor.getSnapshot().context.upgrade?.phase === 'Verifying'),
    });
    // Every supervised job's machine exists before the cluster machine judges which Flink jobs are
    // managed: a new leader's first pass must not take a job it is stopping for an unmanaged one.
    // Jobs without a machine, whose Flink jobs stay managed: specs that no longer parse, and
    // machines that threw and wait out their backoff.
    const unsupervisedJobs: JobRaw[] = [];
    for (const jobRaw of jobsRaw) {
      const parsedJob = this.#parse(jobRaw, safeParseFlinkJob);
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
      const source = await this.#restoreSource(FLINK_JOB, jobRaw, this.#hosts.job(name));
      this.#hosts.ensureJob(parsedJob.value, cluster, source, () => this.#jobEffects(name));
    }
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
    await this.#syncDisruptionBudgets(cluster, clusterHost.actor.getSnapshot().context.desiredTaskManagers);

    const seen = new Set<string>();
    for (const jobRaw of jobsRaw) {
      const name = jobRaw.metadata.name ?? '';
      seen.add(name);
      const parsedJob = this.#parse(jobRaw, safeParseFlinkJob);
      if (!parsedJob.ok) {
        const existing = this.#hosts.job(name);
        const host = existing?.uid === (jobRaw.metadata.uid ?? '') ? existing : undefined;
        await this.#reportInvalid(FLINK_JOB, jobRaw, parsedJob.error.message, host);
        continue;
      }
      const job = parsedJob.value;
      this.#parsedJobs.set(name, job);
      if (this.#hosts.jobHeld(jobRaw.metadata.name ?? '', now)) continue;
      // A job of a cluster that is going away is released, never claimed again.
      if (cluster.metadata.deletionTimestamp && isDone(clusterHost)) continue;
      if (!job.metadata.deletionTimestamp && !hasFinalizer(jobRaw, FINALIZERS.supervisor)) {
        await this.#addFinalizer(FLINK_JOB, jobRaw);
        continue;
      }
      // A machine dropped in this pass (superseded) is restored from the stored object, like any other.
      const source = await this.#restoreSource(FLINK_JOB, jobRaw, this.#hosts.job(name));
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
        searches: this.#savepointSearches(cluster, job, context.policy.savepointTargetPath),
      });
      // Report only, read only when due (checkpoint-progress.ts): never a restart for it.
      const reader = checkpointReader(
        this.#flinkClient(),
        this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
        this.#o.clock,
      );
      const checkpoints = await host.checkpoints.observe(jobId, reading.observation.flinkJob, now, reader);
      if (checkpoints.notice) this.#notices.checkpoints(jobRaw, checkpoints.notice);
      if (checkpoints.changed) await this.#writeStatus(host, jobRaw).catch(() => undefined);
      // The decision is reported; in act mode a rescale is recorded as status.autoscaler.parallelism,
      // which the job machine acts on from the stored status (jobPolicy), never before it is written.
      const autoscaledBefore = host.autoscaler.status;
      const autoscaling = await host.autoscaler.observe({
        spec: job.spec.autoscaler,
        jobId,
        flinkJob: reading.observation.flinkJob,
        parallelism: context.parallelism,
        requested: job.spec.jobParallelism,
        jobBounds: {
          min: job.spec.minJobParallelism,
          max: job.spec.maxJobParallelism,
          slots: cluster.spec.maxTaskManagers * cluster.spec.taskManager.taskSlots,
        },
        checkpointsFailing: host.checkpoints.verdict?.progressing === false,
        now,
        read: metricsSampleReader(
          this.#flinkClient(),
          this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS,
          this.#o.clock,
        ),
      });
      await recordAutoscalerPass(
        this.#o.metrics.autoscaler,
        { namespace: this.#o.namespace, name },
        autoscaledBefore,
        host.autoscaler.status,
      );
      const decided = host.autoscaler.status;
      if (decided && autoscalerDecided(autoscaledBefore, decided))
        this.#o.journal?.noteAutoscalerDecision(name, {
          mode: decided.mode,
          reason: decided.reason,
          current: decided.current,
          recommended: decided.recommended,
          message: decided.message,
          ...(decided.metrics?.utilization === undefined ? {} : { utilization: decided.metrics.utilization }),
        });
      if (autoscaling.notice) this.#notices.autoscaler(jobRaw, autoscaling.notice);
      if (autoscaling.changed) await this.#writeStatus(host, jobRaw).catch(() => undefined);
      // Flink's own word on a failure or restart, read once per episode (flink-failures.ts).
      const failure = await host.failures.observe(
        jobId,
        reading.observation.flinkJob,
        flinkFailureReads(this.#flinkClient(), this.#o.flinkTimeoutMs ?? FLINK_TIMEOUT_MS, this.#o.clock),
      );
      if (failure) {
        this.#notices.flinkJobFailure(jobRaw, failure, reading.observation.flinkJob === 'FAILED');
        await this.#writeStatus(host, jobRaw).catch(() => undefined);
      }
      // A savepoint whose files are being looked for (ADR 0023) is recorded before the FlinkJob
      // goes: it may be the one taken on deletion, which is kept after the job. Bounded by the
      // search Job's deadline (taskTimeout). Asked of the history, which counts the search it has
      // just recorded before the watch cache shows it (K14). So is a savepoint whose record still
      // waits for its outcome (K17).
      if (
        isDone(host) &&
        !this.#history.searching(name) &&
        !(await this.#awaitsSavepointOutcome(name, jobRaw, host.actor.getSnapshot().context))
      )
        await this.#release(host, FLINK_JOB, jobRaw);
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
      for (const jobRaw of jobsRaw) await this.#removeFinalizer(FLINK_JOB, jobRaw);
      await this.#release(clusterHost, FLINK_CLUSTER, raw);
    }
    this.#notices.machineStates(this.#hosts.all());
    return { requeueAfterMs: this.#pollIntervalMs() };
  }

  /**
   * The cluster's PodDisruptionBudgets follow its spec and the TaskManagers it wants now, outside
   * the machines: a budget acts only on evictions, never on what the machines do. Written only
   * when they differ from the watch cache. A failure (an install whose supervisor may not write
   * budgets yet) is logged and retried next pass; it never holds the machines back.
   */
  /** The Jobs that look for a forgotten savepoint's files (ADR 0023), for one job of the cluster. */
  #savepointSearches(cluster: FlinkCluster, job: FlinkJob, directory: string | null): SavepointSearches {
    return {
      directory,
      observe: (name) =>
        this.#searchReader.read(
          name,
          this.#caches.batchJobs.get(this.#key(name)),
          this.#caches.pods.list(),
          this.#o.clock.now(),
        ),
      start: async (request) => {
        if ((await this.#objects.createJob(savepointSearchJob(cluster, job, request))) === 'created')
          this.#o.log.info(
            { cluster: this.#o.clusterName, savepoint: request.savepointName, directory: request.directory },
            'savepoint search started: Flink forgot the trigger',
          );
      },
      finish: (name) => this.#objects.deleteJob(name),
    };
  }

  async #syncDisruptionBudgets(cluster: FlinkCluster, taskManagers: number): Promise<void> {
    const cache = this.#caches.disruptionBudgets;
    const o = this.#objects;
    if (
      !cache ||
      !o.createPodDisruptionBudget ||
      !o.replacePodDisruptionBudget ||
      !o.deletePodDisruptionBudget
    )
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
        this.#o.clusterName,
      );
      const writes = sync.created + sync.replaced + sync.deleted;
      if (writes > 0) {
        this.#o.metrics.apiWrites.inc({ kind: 'disruptionBudget' }, writes);
        this.#notices.log('disruption budgets written', { ...sync, taskManagers });
      }
    } catch (err) {
      this.#o.log.warn({ err: String(err) }, 'disruption budgets not written; retrying next pass');
    }
  }

  async #withoutCluster(jobsRaw: JobRaw[]): Promise<void> {
    this.#hosts.clear();
    for (const jobRaw of jobsRaw) {
      // Nothing runs without a cluster: a deleted job must not hang on our finalizer.
      if (jobRaw.metadata.deletionTimestamp) await this.#removeFinalizer(FLINK_JOB, jobRaw);
      else await writeJobWithoutCluster(this.#resources, FLINK_JOB, this.#o.namespace, jobRaw);
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
        sleep: (ms) => this.#o.clock.sleep(ms),
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

  #clusterEffects() {
    return clusterEffects({
      clock: this.#o.clock,
      objects: this.#objects,
      flink: () => this.#flinkClient(),
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
      flink: () => this.#flinkClient(),
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

  /** The object as the watch cache holds it, or as read since when the cache lags (fresher-reads.ts). */
  #rawOf(kind: CrKind, name: string): CustomObject | undefined {
    return this.#fresher.pick(`${kind.kind}/${this.#key(name)}`, this.#cachedOf(kind, name));
  }

  #cachedOf(kind: CrKind, name: string): CustomObject | undefined {
    return kind === FLINK_CLUSTER
      ? this.#caches.clusters.get(this.#key(name))
      : this.#caches.jobs.get(this.#key(name));
  }

  /**
   * The object a machine is restored from: `raw` while its host lives, else the object as stored,
   * read from the API server. The watch cache may lag behind status (a watch re-listing after a
   * partition, a slow API server): a machine restored from an older status decides on a past that
   * is no longer true. A new leader's job machine owned the Flink job of an earlier submission, the
   * cluster machine took the one the last leader had started since for unmanaged and cancelled it,
   * and the job machine wrote its old state over the newer one (the simulator's finding K12). The
   * read stands in for the cached object until the cache moves (fresher-reads.ts). A failed read
   * fails the pass: nothing is restored from what may be the past.
   */
  async #restoreSource(kind: CrKind, raw: CustomObject, host: AnyHost | undefined): Promise<CustomObject> {
    if (host && host.uid === (raw.metadata.uid ?? '')) return raw;
    const name = raw.metadata.name ?? '';
    const stored = await this.#resources.get(kind, this.#o.namespace, name);
    if (!stored || stored.metadata.uid !== raw.metadata.uid) return raw;
    this.#fresher.remember(`${kind.kind}/${this.#key(name)}`, stored, this.#cachedOf(kind, name));
    return stored;
  }

  #onSnapshot(host: AnyHost): void {
    const raw = this.#rawOf(crKindOf(host), host.name);
    const snapshot: MachineState<ReportedContext> = host.actor.getSnapshot();
    try {
      // A new state observes the world promptly instead of waiting for the next poll, within the
      // resource's budget of prompt passes (a failing call retried on every look is not a hot loop).
      if (this.#notices.snapshot(host, raw, snapshot) && this.#leading)
        this.#queue.addAfter(
          QUEUE_KEY,
          this.#promptPasses.take(`${host.kind}/${host.name}`, this.#o.clock.now()),
        );
    } catch (err) {
      // Thrown inside the actor's notification, it would end the process: a bug, reported.
      this.#o.log.error({ err: String(err), name: host.name }, 'reporting a machine state failed');
    }
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
      cluster: this.#hosts.cluster?.actor.getSnapshot(),
      job: this.#parsedJobs.get(host.name),
      lastFlinkJob: host.lastFlinkJob,
      checkpoints: host.checkpoints.verdict,
      autoscaler: host.autoscaler.status,
      lastFailure: host.failures.last,
      storage: this.#cluster?.spec.storage,
      namespace: this.#o.namespace,
    });
  }

  /** After a conflict the status is decided again from the object as read then, not re-applied. */
  async #writeStatus(host: AnyHost, raw: CustomObject, envelope?: PersistedEnvelope): Promise<void> {
    // A machine that threw persists nothing: its stored status is what it is restored from.
    if (host.actor.getSnapshot().status === 'error') return;
    return host.writer
      .submit(
        this.#statusOf(host, raw, envelope),
        (current) => this.#statusOf(host, current, envelope),
        raw.metadata.resourceVersion,
      )
      .catch((err: unknown) => {
        if (err instanceof StaleLeaderError) this.#replaced(err);
        if (err instanceof StatusSupersededError) this.#superseded(host, err);
        throw err;
      });
  }

  /**
   * Another writer persisted this resource's machine since we last did: our actor decided on a
   * past that is no longer true. It is dropped, and the next pass restores it from the stored status.
   */
  #superseded(host: AnyHost, err: StatusSupersededError): void {
    const kind = crKindOf(host);
    this.#fresher.remember(
      `${kind.kind}/${this.#key(host.name)}`,
      err.current,
      this.#cachedOf(kind, host.name),
    );
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
    const raw = this.#rawOf(FLINK_JOB, name);
    if (!host || !raw) throw new Error(`FlinkJob ${name} is not supervised`);
    await this.#writeStatus(host, raw, envelope);
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

  // ---------------------------------------------------------------- metadata

  async #addFinalizer(kind: KindNames, raw: CustomObject): Promise<void> {
    if (await addFinalizer(this.#resources, kind, raw, FINALIZERS.supervisor))
      this.#o.metrics.apiWrites.inc({ kind: 'metadata' });
  }

  async #removeFinalizer(kind: KindNames, raw: CustomObject): Promise<void> {
    const name = raw.metadata.name ?? '';
    const retry = { sleep: (ms: number) => this.#o.clock.sleep(ms) };
    if (await removeFinalizer(this.#resources, kind, this.#o.namespace, name, FINALIZERS.supervisor, retry))
      this.#o.metrics.apiWrites.inc({ kind: 'metadata' });
  }

  /**
   * Whether a deleted FlinkJob is kept for a FlinkSavepoint record of it still Pending, whose
   * outcome the next passes read: from Flink, from the machine's latest path, or by a search. Released
   * with it, that savepoint was never recorded (the simulator's finding K17). Kept at most
   * taskTimeout after the deletion began (a JobManager that no longer answers): the record stays
   * Pending then, and the deletion ends well within the operator's forced-deletion bound
   * (2 × taskTimeout + 60 s).
   */
  async #awaitsSavepointOutcome(name: string, raw: CustomObject, context: JobContext): Promise<boolean> {
    const deletedAt = new Date(raw.metadata.deletionTimestamp ?? NaN).getTime();
    if (!Number.isFinite(deletedAt)) return false;
    if (this.#o.clock.now() >= deletedAt + context.policy.taskTimeoutSeconds * 1000) return false;
    return this.#history.awaitsOutcome(name);
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
      const now = this.#o.clock.now();
      if (
        !(await writeInvalidSpecWithoutMachine(this.#resources, kind, this.#o.namespace, raw, message, now))
      )
        return;
    }
    this.#notices.event(kind, raw, 'Warning', 'InvalidSpec', message);
  }
}
