import { FlinkNotFoundError } from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import { systemClock, withTimeout, type Clock } from '../kube/clock.ts';
import { canonicalPodAddress, hostUrl } from '../kube/pod-address.ts';
import type { FlinkCheckpointingStatistics } from '../flink/schemas.ts';
import type { ReadSnapshotsOutput } from '../machines/ports.ts';
import type {
  CompletedSnapshot,
  FlinkJobListing,
  FlinkJobObservation,
  FlinkJobState,
  FlinkRestObservation,
} from '../machines/observations.ts';
import { checkpointSettings, checkpointStats } from './checkpoint-progress.ts';
import type { CheckpointReader } from './checkpoint-watch.ts';
import { readMetricsSample } from '../autoscaler/metrics-reader.ts';
import { assertFlinkId } from '../flink/ids.ts';
import type { MetricsSampleReader } from './autoscaler-watch.ts';
import { FLINK_PORTS } from './resource-builders.ts';

/** How long one Flink REST call may take unless the supervisor's options say otherwise. */
export const FLINK_TIMEOUT_MS = 3000;

/** Where a cluster's Flink answers, and how a client for it is made (supervisor-options.ts). */
export interface FlinkAddress {
  readonly clusterName: string;
  readonly namespace: string;
  /** Flink REST base URL of the cluster; default its JobManager Service. */
  readonly flinkUrl?: string | undefined;
  readonly flinkClient: (baseUrl: string) => FlinkRestClient;
}

/** The Flink REST client of one cluster, made again only when its address changes. */
export class ClusterFlinkClient {
  /**
   * The IP of the only JobManager pod while it is being drained and still runs (ADR 0021): Flink is
   * read through it, since a terminating pod has left the Service's ready endpoints. Set by each pass.
   */
  drainingJobManagerIp: string | undefined;
  readonly #o: FlinkAddress;
  #current: { url: string; client: FlinkRestClient } | undefined;

  constructor(address: FlinkAddress) {
    this.#o = address;
  }

  get(): FlinkRestClient {
    const url =
      this.#o.flinkUrl ??
      (this.drainingJobManagerIp === undefined
        ? `http://jobmanager-${this.#o.clusterName}.${this.#o.namespace}:8081`
        : hostUrl('http', this.drainingJobManagerIp, FLINK_PORTS.ui));
    if (!this.#current || this.#current.url !== url)
      this.#current = { url, client: this.#o.flinkClient(url) };
    return this.#current.client;
  }
}

/** What the pods say about Flink's slots now (observer.ts slotsExpectation). */
export interface SlotsExpectation {
  /** Flink is asked only while a JobManager is Ready: an unready one answers nothing useful. */
  readonly jobManagerReady: boolean;
  /**
   * The pods that make up the cluster's slots (JobManagers and TaskManagers: names, uids,
   * readiness, restarts): the slot count is read again whenever it changes.
   */
  readonly topology: string;
  /** The slots the Ready TaskManagers offer once registered: below it, the count is read every poll. */
  readonly slots: number;
  readonly now: number;
  /** Read the jobs' task counts too (`/jobs/overview` instead of `/jobs`): an upgrade is being verified. */
  readonly taskCounts?: boolean;
}

/** How long a slot count read from Flink is trusted while nothing about the pods changes. */
export const SLOTS_REFRESH_MS = 60_000;

/**
 * The supervisor's reads of Flink for one observation: the job list on every poll (one call for
 * every job of the cluster), the slot count (`/overview`) only when it may have changed: first,
 * after the cluster's pods changed, while fewer slots than the Ready TaskManagers offer are
 * registered, and once a minute. A short timeout each, and any failure is "unreachable" (the
 * machines decide what an outage means; timeouts count from their own deadlines).
 */
export class FlinkClusterReader {
  readonly #timeoutMs: () => number;
  readonly #clock: () => Clock;
  #slots: { topology: string; total: number; readAt: number } | null = null;

  constructor(timeoutMs: () => number, clock: () => Clock = () => systemClock) {
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  async observe(client: FlinkRestClient, expected: SlotsExpectation): Promise<FlinkRestObservation> {
    if (!expected.jobManagerReady) {
      this.#slots = null;
      return { reachable: false };
    }
    const cached = this.#slots;
    const fresh =
      cached !== null &&
      cached.topology === expected.topology &&
      cached.total >= expected.slots &&
      expected.now - cached.readAt < SLOTS_REFRESH_MS;
    try {
      const [overview, jobs] = await withTimeout(this.#clock(), this.#timeoutMs(), (signal) =>
        Promise.all([
          fresh ? undefined : client.getOverview({ signal }),
          expected.taskCounts ? jobOverviews(client, signal) : listed(client, signal),
        ]),
      );
      const total = overview ? overview['slots-total'] : (cached?.total ?? 0);
      const readAt = overview ? expected.now : (cached?.readAt ?? expected.now);
      this.#slots = { topology: expected.topology, total, readAt };
      return {
        reachable: true,
        slotsTotal: total,
        jobs: jobs.map(
          (j) =>
            ({
              id: j.id,
              state: j.status as FlinkJobState,
              ...(j.tasksRunning === undefined ? {} : { tasksRunning: j.tasksRunning }),
            }) satisfies FlinkJobListing,
        ),
      };
    } catch {
      this.#slots = null;
      return { reachable: false };
    }
  }
}

/** `/jobs`: ids and states only. */
async function listed(
  client: FlinkRestClient,
  signal: AbortSignal,
): Promise<{ id: string; status: string; tasksRunning?: boolean }[]> {
  return client.listJobs({ signal });
}

/** `/jobs/overview` as the job list, with whether all tasks of each job run (or finished). */
async function jobOverviews(
  client: FlinkRestClient,
  signal: AbortSignal,
): Promise<{ id: string; status: string; tasksRunning: boolean }[]> {
  return (await client.listJobOverviews({ signal })).map((j) => {
    const running = j.tasks?.['running'] ?? 0;
    const finished = j.tasks?.['finished'] ?? 0;
    const total = j.tasks?.['total'] ?? 0;
    return { id: j.jid, status: j.state, tasksRunning: running > 0 && running + finished >= total };
  });
}

export async function observeFlinkJob(
  client: FlinkRestClient,
  jobId: string | null,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<FlinkJobObservation> {
  if (!jobId) return 'NONE';
  try {
    return (await withTimeout(clock, timeoutMs, (signal) =>
      client.getJobStatus(jobId, { signal }),
    )) as FlinkJobState;
  } catch (err) {
    if (err instanceof FlinkNotFoundError) return 'NOT_FOUND';
    return 'UNREACHABLE';
  }
}

/**
 * The checkpoint reads of checkpoint-watch.ts, each with the observation's short timeout. A job
 * without a checkpoint coordinator answers the configuration with 404: no periodic checkpoints.
 */
export function checkpointReader(
  client: FlinkRestClient,
  timeoutMs: number,
  clock: Clock = systemClock,
): CheckpointReader {
  return {
    config: async (jobId) => {
      try {
        return checkpointSettings(
          await withTimeout(clock, timeoutMs, (signal) => client.getCheckpointConfig(jobId, { signal })),
        );
      } catch (err) {
        if (err instanceof FlinkNotFoundError) return null;
        throw err;
      }
    },
    stats: async (jobId) =>
      checkpointStats(
        await withTimeout(clock, timeoutMs, (signal) => client.getCheckpoints(jobId, { signal })),
      ),
  };
}

/** The autoscaler's metrics sample of a job (autoscaler-watch.ts), within the observation's short timeout. */
export function metricsSampleReader(
  client: FlinkRestClient,
  timeoutMs: number,
  clock: Clock = systemClock,
): MetricsSampleReader {
  return (jobId, at) =>
    withTimeout(clock, timeoutMs, (signal) =>
      readMetricsSample(client, assertFlinkId(jobId, 'jobId'), at, { signal }),
    );
}

type SnapshotStats = NonNullable<NonNullable<FlinkCheckpointingStatistics['latest']>['completed']>;

/** A completed checkpoint or savepoint of Flink's statistics with a path to restore, or null. */
export function completedSnapshot(stats: SnapshotStats | null | undefined): CompletedSnapshot | null {
  if (!stats?.external_path || stats.status !== 'COMPLETED') return null;
  const completedAt =
    stats.latest_ack_timestamp ?? (stats.trigger_timestamp ?? 0) + (stats.end_to_end_duration ?? 0);
  return { path: stats.external_path, completedAt };
}

/**
 * The newest completed checkpoint and savepoint Flink lists for a job (a finished job's too, while
 * the JobManager keeps it). A job Flink does not know has neither; any other failure rejects.
 */
export async function readSnapshots(
  client: FlinkRestClient,
  jobId: string,
  timeoutMs: number,
  clock: Clock = systemClock,
): Promise<Omit<ReadSnapshotsOutput, 'at'>> {
  if (!jobId) return { checkpoint: null, savepoint: null };
  try {
    const stats = await withTimeout(clock, timeoutMs, (signal) => client.getCheckpoints(jobId, { signal }));
    return {
      checkpoint: completedSnapshot(stats.latest?.completed),
      savepoint: completedSnapshot(stats.latest?.savepoint),
    };
  } catch (err) {
    if (err instanceof FlinkNotFoundError) return { checkpoint: null, savepoint: null };
    throw err;
  }
}

/**
 * The pod IP a TaskManager runs on, read from its id (`<host>:<port>-<suffix>`) or its RPC path
 * (`pekko.tcp://flink@<host>:<port>/...`). The host may be IPv4 or IPv6, bracketed or not (the
 * port is always the last `:<digits>`), in any spelling; it comes back as Kubernetes spells pod IPs.
 */
export function taskManagerHost(tm: { id: string; path?: string | undefined }): string | undefined {
  const fromId = /^\[?([0-9A-Fa-f:.]+?)\]?:\d+-[0-9A-Za-z]+$/.exec(tm.id)?.[1];
  return (
    canonicalPodAddress(fromId) ??
    canonicalPodAddress(/@\[?([0-9A-Fa-f:.]+?)\]?:\d+\//.exec(tm.path ?? '')?.[1])
  );
}
