import ipaddr from 'ipaddr.js';
import { FlinkNotFoundError } from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type {
  FlinkJobListing,
  FlinkJobObservation,
  FlinkJobState,
  FlinkRestObservation,
} from '../machines/observations.ts';
import { checkpointSettings, checkpointStats } from './checkpoint-progress.ts';
import type { CheckpointReader } from './checkpoint-watch.ts';

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

/**
 * The checkpoint reads of checkpoint-watch.ts, each with the observation's short timeout. A job
 * without a checkpoint coordinator answers the configuration with 404: no periodic checkpoints.
 */
export function checkpointReader(client: FlinkRestClient, timeoutMs: number): CheckpointReader {
  return {
    config: async (jobId) => {
      try {
        return checkpointSettings(
          await client.getCheckpointConfig(jobId, { signal: AbortSignal.timeout(timeoutMs) }),
        );
      } catch (err) {
        if (err instanceof FlinkNotFoundError) return null;
        throw err;
      }
    },
    stats: async (jobId) =>
      checkpointStats(await client.getCheckpoints(jobId, { signal: AbortSignal.timeout(timeoutMs) })),
  };
}

/** An address in the form Kubernetes writes pod IPs (IPv6 compressed, RFC 5952), or undefined. */
function canonicalAddress(text: string | undefined): string | undefined {
  // Only the plain spellings: four decimal parts for IPv4 (never `2001` read as 0.0.7.209), or IPv6.
  if (!text || !(ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text))) return undefined;
  const address = ipaddr.parse(text);
  // Flink may print an IPv4 pod address as IPv4-mapped IPv6; Kubernetes writes it as IPv4.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress())
    return (address as ipaddr.IPv6).toIPv4Address().toString();
  return address.toString();
}

/**
 * The pod IP a TaskManager runs on, read from its id (`<host>:<port>-<suffix>`) or its RPC path
 * (`pekko.tcp://flink@<host>:<port>/...`). The host may be IPv4 or IPv6, bracketed or not (the
 * port is always the last `:<digits>`), in any spelling; it comes back as Kubernetes spells pod IPs.
 */
export function taskManagerHost(tm: { id: string; path?: string | undefined }): string | undefined {
  const fromId = /^\[?([0-9A-Fa-f:.]+?)\]?:\d+-[0-9A-Za-z]+$/.exec(tm.id)?.[1];
  return (
    canonicalAddress(fromId) ?? canonicalAddress(/@\[?([0-9A-Fa-f:.]+?)\]?:\d+\//.exec(tm.path ?? '')?.[1])
  );
}
