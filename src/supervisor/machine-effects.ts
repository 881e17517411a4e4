import type { V1Pod } from '@kubernetes/client-node';
import { fromPromise } from 'xstate';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { bootstrapJobName, jobManagerServiceName, LABELS } from '../api/names.ts';
import {
  FlinkNotFoundError,
  FlinkRestError,
  FlinkUnavailableError,
  FlinkTimeoutError,
  FlinkServerError,
} from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import { withTimeout, type Clock } from '../kube/clock.ts';
import type {
  AwaitSavepointInput,
  AwaitSavepointOutput,
  CancelFlinkJobsInput,
  CancelJobInput,
  CreateBootstrapInput,
  DeleteBootstrapInput,
  DeleteClusterResourcesInput,
  EffectOutput,
  EnsureJobManagerInput,
  EnsureJobManagerServiceInput,
  PersistInput,
  ReadSnapshotsInput,
  ReadSnapshotsOutput,
  RemoveHighAvailabilityConfigMapsInput,
  RemoveHighAvailabilityConfigMapsOutput,
  RescaleInPlaceInput,
  RescaleInPlaceOutput,
  ScaleTaskManagersInput,
  StartStorageCleanupInput,
  ScaleTaskManagersOutput,
  StopWithSavepointInput,
  TriggerOutput,
  TriggerSavepointInput,
  WaitUntilInput,
} from '../machines/ports.ts';
import type { PersistedEnvelope } from '../machines/envelope.ts';
import { readSnapshots, taskManagerHost } from './flink-gateway.ts';
import { rescaleInPlace } from './rescale-in-place.ts';
import { canonicalPodAddress } from '../kube/pod-address.ts';
import { submittedSpec } from './spec-policies.ts';
import { clusterNetworkPolicy, type NetworkPolicySettings } from './network-policy.ts';
import type { OwnedObjectWriter } from './owned-objects.ts';
import {
  autoCleanDirectories,
  flinkClusterId,
  highAvailabilityConfigMapPrefix,
  highAvailabilityConfigMapSelector,
  s3Paths,
  storageCleanupJob,
} from './storage-cleanup.ts';
import {
  bootstrapJob,
  FLINK_JOB_ID_LABEL,
  jobManagerPods,
  jobManagerService,
  taskManagerPod,
  taskManagerPodName,
} from './resource-builders.ts';

/**
 * The real implementations of the machines' effects (ports.ts). Each is idempotent — a repeat after
 * a crash or a restore finds the work done — and honours the abort signal of its state.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function waitUntilActor(clock: Clock) {
  return fromPromise<EffectOutput, WaitUntilInput>(async ({ input, signal }) => {
    if (input.deadline === null) {
      await new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    const deadline = input.deadline ?? 0;
    while (clock.now() < deadline) {
      await clock.sleep(Math.min(deadline - clock.now(), MAX_TIMER_MS), signal);
    }
    return { at: clock.now() };
  });
}

export interface ClusterEffectDeps {
  readonly clock: Clock;
  readonly objects: OwnedObjectWriter;
  readonly flink: () => FlinkRestClient;
  /** The cluster as last read (effects build from the current spec). */
  readonly cluster: () => FlinkCluster | undefined;
  /** Pods of the cluster from the watch cache. */
  readonly pods: () => readonly V1Pod[];
  /** Savepoints the cluster's FlinkJobs still reference: a storage cleanup leaves them in place. */
  readonly referencedSavepoints?: () => readonly string[];
  readonly flinkTimeoutMs: number;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  /** Render the cluster's NetworkPolicy before its pods (`--network-policy`); none when absent. */
  readonly networkPolicy?: NetworkPolicySettings;
}

function role(pod: V1Pod): string | undefined {
  return pod.metadata?.labels?.[LABELS.role];
}

export function isLivePod(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

function requireCluster(deps: { cluster: () => FlinkCluster | undefined }): FlinkCluster {
  const c = deps.cluster();
  if (!c) throw new Error('the FlinkCluster is gone');
  return c;
}

/** Jobs in these states are being scheduled: their slots may not show as taken yet. */
const SCHEDULING_STATES = new Set(['INITIALIZING', 'CREATED', 'RESTARTING', 'RECONCILING']);

/**
 * Addresses of TaskManagers that may be removed: idle (every slot free) in two looks a moment
 * apart, while no job is being scheduled. A lost TaskManager stays listed (idle) until its heartbeat
 * times out and its address may already belong to a new pod, so an address with any busy
 * TaskManager is never idle. Busy ones stay until they are idle (the toolbox's issue #60 race).
 */
export async function idleTaskManagerHosts(
  client: FlinkRestClient,
  clock: Clock,
  signal: AbortSignal,
): Promise<Set<string>> {
  const look = async () => {
    const [tms, jobs] = await Promise.all([client.listTaskManagers({ signal }), client.listJobs({ signal })]);
    if (jobs.some((j) => SCHEDULING_STATES.has(j.status))) return new Set<string>();
    const busy = new Set(tms.filter((t) => t.freeSlots !== t.slotsNumber).map(taskManagerHost));
    return new Set(
      tms
        .filter((t) => t.freeSlots === t.slotsNumber)
        .map(taskManagerHost)
        .filter((h): h is string => h !== undefined && !busy.has(h)),
    );
  };
  const first = await look();
  if (first.size === 0) return first;
  await clock.sleep(2000, signal);
  const second = await look();
  return new Set([...first].filter((h) => second.has(h)));
}

/** How long HA ConfigMap removal waits for terminating Flink pods: their grace period (30 s) and more. */
const FLINK_PODS_GONE_WAIT_MS = 60_000;

function isFlinkPod(pod: V1Pod): boolean {
  const r = role(pod);
  return r === 'jobmanager' || r === 'taskmanager';
}

export function clusterEffects(deps: ClusterEffectDeps) {
  return {
    waitUntil: waitUntilActor(deps.clock),
    ensureJobManager: fromPromise<EffectOutput, EnsureJobManagerInput>(async ({ input }) => {
      const cluster = requireCluster(deps);
      // The policy first, so no Flink pod is ever reachable from elsewhere; applying it again is a no-op.
      if (deps.networkPolicy && deps.objects.applyNetworkPolicy)
        await deps.objects.applyNetworkPolicy(clusterNetworkPolicy(cluster, deps.networkPolicy));
      // Every JobManager of the epoch (one, or the leader-to-be and its standbys with HA): the ones
      // that exist answer 409 and count as done, so this also recreates a lost standby.
      for (const pod of jobManagerPods(cluster, input.epoch)) {
        const outcome = await deps.objects.createPod(pod);
        if (outcome === 'created')
          deps.log('jobmanager pod created', { epoch: input.epoch, pod: pod.metadata?.name });
      }
      return { at: deps.clock.now() };
    }),
    ensureJobManagerService: fromPromise<EffectOutput, EnsureJobManagerServiceInput>(async () => {
      await deps.objects.createService(jobManagerService(requireCluster(deps)));
      return { at: deps.clock.now() };
    }),
    cancelFlinkJobs: fromPromise<EffectOutput, CancelFlinkJobsInput>(async ({ input, signal }) => {
      const client = deps.flink();
      for (const id of input.jobIds) {
        try {
          await client.cancelJob(id, { signal });
          deps.log('flink job cancelled', { jobId: id });
        } catch (err) {
          if (!(err instanceof FlinkNotFoundError)) throw err;
        }
      }
      return { at: deps.clock.now() };
    }),
    scaleTaskManagers: fromPromise<ScaleTaskManagersOutput, ScaleTaskManagersInput>(
      async ({ input, signal }) => {
        const cluster = requireCluster(deps);
        const pods = deps.pods().filter((p) => role(p) === 'taskmanager');
        // Failed or evicted pods are not capacity: remove them, so they are replaced.
        let deleted = 0;
        for (const p of pods.filter((x) => !x.metadata?.deletionTimestamp && !isLivePod(x))) {
          await deps.objects.deletePod(p.metadata?.name ?? '');
          deleted++;
        }
        const live = pods.filter(isLivePod);
        let created = 0;
        if (!input.removeIdleSurplus) {
          // Missing pods take the lowest indices no pod of the cache holds (a terminating one keeps
          // its name until it is gone). A cache that lags behind our own create picks that index
          // again and finds it taken: a repeat never doubles a TaskManager.
          const taken = new Set(pods.map((p) => p.metadata?.name));
          const clusterName = cluster.metadata.name ?? '';
          let index = 0;
          for (let i = live.length; i < input.desired; i++) {
            while (taken.has(taskManagerPodName(clusterName, input.epoch, index))) index++;
            taken.add(taskManagerPodName(clusterName, input.epoch, index));
            const outcome = await deps.objects.createPod(
              taskManagerPod(cluster, input.epoch, input.taskSlots, index),
            );
            if (outcome === 'created') created++;
          }
        } else if (live.length > input.desired) {
          const idleHosts = await idleTaskManagerHosts(deps.flink(), deps.clock, signal);
          let surplus = live.length - input.desired;
          for (const p of live) {
            if (surplus <= 0) break;
            const address = canonicalPodAddress(p.status?.podIP);
            if (address && idleHosts.has(address)) {
              await deps.objects.deletePod(p.metadata?.name ?? '');
              deleted++;
              surplus--;
            }
          }
        }
        if (created || deleted) deps.log('taskmanagers scaled', { desired: input.desired, created, deleted });
        return { at: deps.clock.now(), created, deleted };
      },
    ),
    deleteClusterResources: fromPromise<EffectOutput, DeleteClusterResourcesInput>(async () => {
      const cluster = requireCluster(deps);
      for (const p of deps.pods()) {
        const r = role(p);
        if ((r === 'jobmanager' || r === 'taskmanager') && !p.metadata?.deletionTimestamp) {
          await deps.objects.deletePod(p.metadata?.name ?? '');
        }
      }
      await deps.objects.deleteService(jobManagerServiceName(cluster.metadata.name ?? ''));
      return { at: deps.clock.now() };
    }),
    removeHighAvailabilityConfigMaps: fromPromise<
      RemoveHighAvailabilityConfigMapsOutput,
      RemoveHighAvailabilityConfigMapsInput
    >(async ({ signal }) => {
      const clusterId = flinkClusterId(requireCluster(deps));
      // A pod being deleted may still run Flink for its grace period, and a JobManager shutting down
      // writes its leader record once more: wait for the pods to be gone (bounded), then remove.
      const until = deps.clock.now() + FLINK_PODS_GONE_WAIT_MS;
      while (deps.pods().some(isFlinkPod) && deps.clock.now() < until) await deps.clock.sleep(500, signal);
      const removed =
        (await deps.objects.deleteConfigMaps?.(
          highAvailabilityConfigMapSelector(clusterId),
          highAvailabilityConfigMapPrefix(clusterId),
        )) ?? 0;
      if (removed > 0) deps.log('HA ConfigMaps removed', { clusterId, removed });
      return { at: deps.clock.now(), removed };
    }),
    startStorageCleanup: fromPromise<EffectOutput, StartStorageCleanupInput>(async () => {
      const cluster = requireCluster(deps);
      const directories = autoCleanDirectories(cluster);
      const job = storageCleanupJob(cluster, {
        directories,
        keep: s3Paths(deps.referencedSavepoints?.() ?? []),
      });
      if ((await deps.objects.createJob(job)) === 'created')
        deps.log('storage-cleanup Job created', { job: job.metadata?.name, directories });
      return { at: deps.clock.now() };
    }),
  };
}

export interface JobEffectDeps {
  readonly clock: Clock;
  readonly objects: OwnedObjectWriter;
  readonly flink: () => FlinkRestClient;
  readonly job: () => FlinkJob | undefined;
  /** The cluster as last read (a restoring bootstrap checks its snapshot on the cluster's storage). */
  readonly cluster?: () => FlinkCluster | undefined;
  /** Writes the envelope through the job's status writer; resolves once stored. */
  readonly persist: (envelope: PersistedEnvelope) => Promise<void>;
  readonly allowPrivateNetworks: boolean;
  readonly jobManagerUrl?: string;
  readonly pollIntervalMs: number;
  /** Bound of one read of Flink (the observation's timeout); 3 s when absent. */
  readonly flinkTimeoutMs?: number;
  /**
   * Trigger ids of this Flink job's savepoints that the machine stopped waiting for (timed out,
   * abandoned) and whose outcome is not known yet: their FlinkSavepoint records are still Pending.
   */
  readonly abandonedTriggers?: (jobId: string) => readonly string[];
  /**
   * Makes the FlinkSavepoint records of the machine's savepoints in flight, throwing when one is
   * not stored: no trigger is sent that no record names (write-ahead, K13).
   */
  readonly recordTriggers?: () => Promise<void>;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

/** A savepoint the machine abandoned is still in progress at Flink: no second one is triggered. */
export class SavepointStillInProgressError extends Error {
  readonly triggerId: string;
  constructor(triggerId: string) {
    super(`savepoint ${triggerId} is still in progress at Flink; the next one waits for it`);
    this.name = 'SavepointStillInProgressError';
    this.triggerId = triggerId;
  }
}

function isTransientFlinkError(err: unknown): boolean {
  return (
    err instanceof FlinkUnavailableError ||
    err instanceof FlinkTimeoutError ||
    err instanceof FlinkServerError
  );
}

export function jobEffects(deps: JobEffectDeps) {
  const requireJob = () => {
    const j = deps.job();
    if (!j) throw new Error('the FlinkJob is gone');
    return j;
  };
  return {
    waitUntil: waitUntilActor(deps.clock),
    persist: fromPromise<EffectOutput, PersistInput>(async ({ input }) => {
      await deps.persist(input.envelope);
      return { at: deps.clock.now() };
    }),
    createBootstrap: fromPromise<EffectOutput, CreateBootstrapInput>(async ({ input }) => {
      const job = submittedSpec(requireJob(), input.specDigest);
      const name = bootstrapJobName(job.metadata.name ?? '');
      const existing = await deps.objects.readJob(name);
      if (existing && existing.metadata?.labels?.[FLINK_JOB_ID_LABEL] !== input.jobId) {
        // A Job of an earlier submission: remove it first; the machine retries this step.
        await deps.objects.deleteJob(name);
        throw new Error(`bootstrap Job ${name} of an earlier submission is still being deleted`);
      }
      if (!existing) {
        const cluster = deps.cluster?.();
        await deps.objects.createJob(
          bootstrapJob(job, {
            jobId: input.jobId,
            submission: input.submission,
            parallelism: input.parallelism,
            savepointPath: input.savepointPath,
            allowPrivateNetworks: deps.allowPrivateNetworks,
            ...(deps.jobManagerUrl ? { jobManagerUrl: deps.jobManagerUrl } : {}),
            ...(cluster ? { cluster } : {}),
          }),
        );
        deps.log('bootstrap job created', {
          jobId: input.jobId,
          submission: input.submission,
          savepointPath: input.savepointPath,
        });
      }
      return { at: deps.clock.now() };
    }),
    deleteBootstrap: fromPromise<EffectOutput, DeleteBootstrapInput>(async () => {
      await deps.objects.deleteJob(bootstrapJobName(requireJob().metadata.name ?? ''));
      return { at: deps.clock.now() };
    }),
    triggerSavepoint: fromPromise<TriggerOutput, TriggerSavepointInput>(async ({ input, signal }) => {
      // One savepoint of a job in flight at Flink at a time: a savepoint abandoned at its deadline
      // (a slow one, or a wall clock stepped forward) may still be running; a new trigger id then
      // would be a second intent (the simulator's finding K6). The trigger fails instead, and the
      // machine tries again one savepoint interval later. A read that fails fails the trigger too.
      for (const other of deps.abandonedTriggers?.(input.jobId) ?? []) {
        if (other === input.triggerId) continue;
        const status = await deps
          .flink()
          .getSavepointStatus(input.jobId, other, { signal })
          .catch((err: unknown) => {
            if (err instanceof FlinkNotFoundError) return undefined;
            throw err;
          });
        if (status?.state === 'IN_PROGRESS') throw new SavepointStillInProgressError(other);
      }
      await deps.recordTriggers?.();
      try {
        await deps.flink().triggerSavepoint(
          input.jobId,
          {
            triggerId: input.triggerId,
            cancelJob: false,
            ...(input.targetDirectory ? { targetDirectory: input.targetDirectory } : {}),
          },
          { signal },
        );
      } catch (err) {
        if (!(err instanceof FlinkRestError && err.outcomeUnknown)) throw err;
        deps.log('savepoint trigger answer lost; polling its trigger id', {
          jobId: input.jobId,
          triggerId: input.triggerId,
          err: err.message,
        });
        return { at: deps.clock.now(), outcomeUnknown: true };
      }
      deps.log('savepoint triggered', { jobId: input.jobId, triggerId: input.triggerId });
      return { at: deps.clock.now() };
    }),
    stopWithSavepoint: fromPromise<EffectOutput, StopWithSavepointInput>(async ({ input, signal }) => {
      await deps.recordTriggers?.();
      await deps.flink().stopJobWithSavepoint(
        input.jobId,
        {
          triggerId: input.triggerId,
          drain: input.drain,
          ...(input.targetDirectory ? { targetDirectory: input.targetDirectory } : {}),
        },
        { signal },
      );
      deps.log('stop with savepoint requested', {
        jobId: input.jobId,
        triggerId: input.triggerId,
        drain: input.drain,
      });
      return { at: deps.clock.now() };
    }),
    awaitSavepoint: fromPromise<AwaitSavepointOutput, AwaitSavepointInput>(async ({ input, signal }) => {
      for (;;) {
        try {
          // Each read is bounded like the observation's: one hung request must not hold the answer
          // back for the transport's 30-60 s, while a JobManager restart can make Flink forget it (K2).
          const status = await withTimeout(deps.clock, deps.flinkTimeoutMs ?? 3000, (timeout) =>
            deps.flink().getSavepointStatus(input.jobId, input.triggerId, {
              signal: AbortSignal.any([signal, timeout]),
            }),
          );
          if (status.state === 'COMPLETED')
            return { status: 'COMPLETED', location: status.location, at: deps.clock.now() };
          if (status.state === 'FAILED') {
            const reason =
              status.failure.message.split('\n')[0] || status.failure.className || 'savepoint failed';
            return { status: 'FAILED', reason: reason.slice(0, 500), at: deps.clock.now() };
          }
        } catch (err) {
          if (signal.aborted) throw err;
          if (err instanceof FlinkNotFoundError) return { status: 'UNKNOWN_TRIGGER', at: deps.clock.now() };
          const timedOut = (err as { name?: unknown } | null)?.name === 'TimeoutError';
          if (!isTransientFlinkError(err) && !timedOut) throw err;
          // An outage is bounded by the machine's savepoint deadline, not here.
        }
        await deps.clock.sleep(Math.max(500, Math.floor(deps.pollIntervalMs / 2)), signal);
      }
    }),
    readSnapshots: fromPromise<ReadSnapshotsOutput, ReadSnapshotsInput>(async ({ input }) => {
      const snapshots = await readSnapshots(
        deps.flink(),
        input.jobId,
        deps.flinkTimeoutMs ?? 3000,
        deps.clock,
      );
      deps.log('snapshots read', { jobId: input.jobId, ...snapshots });
      return { ...snapshots, at: deps.clock.now() };
    }),
    cancelJob: fromPromise<EffectOutput, CancelJobInput>(async ({ input, signal }) => {
      try {
        await deps.flink().cancelJob(input.jobId, { signal });
        deps.log('flink job cancelled', { jobId: input.jobId });
      } catch (err) {
        if (!(err instanceof FlinkNotFoundError)) throw err;
      }
      return { at: deps.clock.now() };
    }),
    rescaleInPlace: fromPromise<RescaleInPlaceOutput, RescaleInPlaceInput>(({ input, signal }) =>
      rescaleInPlace(
        deps.flink(),
        input,
        {
          clock: deps.clock,
          pollIntervalMs: deps.pollIntervalMs,
          flinkTimeoutMs: deps.flinkTimeoutMs ?? 3000,
          log: deps.log,
        },
        signal,
      ),
    ),
  };
}
