import type { Pool } from 'undici';
import type { FlinkConfig } from '../../src/devenv/flink-config.ts';
import type { FlinkDistribution } from '../../src/devenv/flink-distribution.ts';
import {
  startFlinkSessionCluster,
  type FlinkSessionCluster,
} from '../../src/devenv/flink-session-cluster.ts';
import { allocateLoopbackAddress } from '../../src/devenv/loopback-addresses.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import type { FlinkId } from '../../src/flink/ids.ts';
import type { SavepointStatus } from '../../src/flink/operation-status.ts';
import type { FlinkJobStatus } from '../../src/flink/schemas.ts';
import { devenvAssets } from './devenv.ts';

export type FlinkLine = '1.20' | '2.3';
export const FLINK_LINES: readonly FlinkLine[] = ['1.20', '2.3'];

export interface TestFlink {
  readonly line: FlinkLine;
  readonly distribution: FlinkDistribution;
  readonly cluster: FlinkSessionCluster;
  readonly client: FlinkRestClient;
  readonly dispatcher: Pool;
  stop(): Promise<void>;
}

export async function flinkDistribution(line: FlinkLine): Promise<FlinkDistribution> {
  const assets = await devenvAssets();
  const distribution = assets.flink[line];
  if (!distribution) throw new Error(`no Flink ${line} in the devenv assets`);
  return distribution;
}

/**
 * A real Flink session cluster of the given release line on a loopback address of its own, with a
 * client for it. Adaptive scheduler, so resource requirements can be changed at run time.
 */
export async function startTestFlink(
  line: FlinkLine,
  options: { taskManagers?: number; slotsPerTaskManager?: number; config?: FlinkConfig } = {},
): Promise<TestFlink> {
  const distribution = await flinkDistribution(line);
  const lease = await allocateLoopbackAddress();
  let cluster: FlinkSessionCluster;
  try {
    cluster = await startFlinkSessionCluster({
      distribution,
      address: lease.address,
      taskManagers: options.taskManagers ?? 1,
      slotsPerTaskManager: options.slotsPerTaskManager ?? 4,
      config: {
        'jobmanager.scheduler': 'adaptive',
        // Flink caches job and checkpoint statistics for this long (default 3 s); tests read them right away.
        'web.refresh-interval': 500,
        // Metrics reach the REST API through a fetcher that runs every 10 s by default.
        'metrics.fetcher.update-interval': 1_000,
        ...options.config,
      },
    });
  } catch (err) {
    await lease.release();
    throw err;
  }
  const dispatcher = createFlinkDispatcher(cluster.restUrl);
  const client = new FlinkRestClient({ baseUrl: cluster.restUrl, dispatcher });
  return {
    line,
    distribution,
    cluster,
    client,
    dispatcher,
    async stop() {
      await dispatcher.close().catch(() => undefined);
      await cluster.stop();
      await lease.release();
    },
  };
}

export function waitForJobStatus(
  client: FlinkRestClient,
  jobId: FlinkId,
  wanted: FlinkJobStatus | readonly FlinkJobStatus[],
  timeoutMs = 120_000,
): Promise<FlinkJobStatus> {
  const states: readonly FlinkJobStatus[] = typeof wanted === 'string' ? [wanted] : wanted;
  return waitFor(
    `job ${jobId} to be ${states.join(' or ')}`,
    async () => {
      const status = await client.getJobStatus(jobId);
      if (states.includes(status)) return status;
      throw new Error(`it is ${status}`);
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/**
 * RUNNING and every task running too: a job is RUNNING before its sources start, and a savepoint
 * triggered in between fails ("not all required tasks are currently running").
 */
export function waitForJobRunning(
  client: FlinkRestClient,
  jobId: FlinkId,
  timeoutMs = 120_000,
): Promise<void> {
  return waitFor(
    `job ${jobId} and all its tasks to run`,
    async () => {
      const job = await client.getJob(jobId);
      if (job.state !== 'RUNNING') throw new Error(`it is ${job.state}`);
      const waiting = job.vertices.filter((v) => v.status !== 'RUNNING').map((v) => `${v.name}: ${v.status}`);
      if (waiting.length) throw new Error(waiting.join(', '));
      return true;
    },
    { timeoutMs, intervalMs: 250 },
  ).then(() => undefined);
}

/** Polls a savepoint (or stop-with-savepoint) until it is no longer in progress. */
export function waitForSavepoint(
  client: FlinkRestClient,
  jobId: FlinkId,
  triggerId: FlinkId,
  timeoutMs = 120_000,
): Promise<Exclude<SavepointStatus, { state: 'IN_PROGRESS' }>> {
  return waitFor(
    `savepoint ${triggerId} of job ${jobId}`,
    async () => {
      const status = await client.getSavepointStatus(jobId, triggerId);
      return status.state === 'IN_PROGRESS' ? undefined : status;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

/** The local path of a `file:` savepoint location. */
export function localPath(location: string): string {
  return new URL(location.startsWith('file://') ? location : location.replace(/^file:/, 'file://')).pathname;
}
