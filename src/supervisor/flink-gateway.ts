import { FlinkNotFoundError } from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type {
  FlinkJobListing,
  FlinkJobObservation,
  FlinkJobState,
  FlinkRestObservation,
} from '../machines/observations.ts';

/**
 * The supervisor's reads of Flink for one observation: a short timeout each, and any failure is
 * "unreachable" (the machines decide what an outage means; timeouts count from their own deadlines).
 */
export async function observeFlinkCluster(
  client: FlinkRestClient,
  timeoutMs: number,
): Promise<FlinkRestObservation> {
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    const [overview, jobs] = await Promise.all([client.getOverview({ signal }), client.listJobs({ signal })]);
    return {
      reachable: true,
      slotsTotal: overview['slots-total'],
      jobs: jobs.map((j) => ({ id: j.id, state: j.status as FlinkJobState }) satisfies FlinkJobListing),
    };
  } catch {
    return { reachable: false };
  }
}

export async function observeFlinkJob(
  client: FlinkRestClient,
  jobId: string | null,
  timeoutMs: number,
): Promise<FlinkJobObservation> {
  if (!jobId) return 'NONE';
  try {
    return (await client.getJobStatus(jobId, { signal: AbortSignal.timeout(timeoutMs) })) as FlinkJobState;
  } catch (err) {
    if (err instanceof FlinkNotFoundError) return 'NOT_FOUND';
    return 'UNREACHABLE';
  }
}

/** The pod IP a TaskManager runs on, read from its id (`<host>:<port>-<suffix>`) or RPC path. */
export function taskManagerHost(tm: { id: string; path?: string | undefined }): string | undefined {
  const fromId = /^(\d+\.\d+\.\d+\.\d+):\d+-/.exec(tm.id)?.[1];
  if (fromId) return fromId;
  return /@(\d+\.\d+\.\d+\.\d+):\d+/.exec(tm.path ?? '')?.[1];
}
