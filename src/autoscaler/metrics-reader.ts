// One metrics sample of a running job, as the autoscaler's decision (decide.ts) reads it: each
// vertex's task metrics aggregated over its subtasks by Flink itself
// (`/jobs/:jobid/vertices/:vertexid/subtasks/metrics`), one request per vertex, plus one listing per
// source vertex to find the pendingRecords gauges its source operators register (Kafka and the like;
// absent otherwise). Metric names are those of Flink 1.20 and 2.x alike.
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { FlinkId } from '../flink/ids.ts';
import type { CallOptions } from '../flink/client-types.ts';
import type { FlinkJobDetails, FlinkSubtaskMetric } from '../flink/schemas.ts';
import type { MetricsSample, VertexSample } from './decide.ts';

export const AUTOSCALER_METRICS = [
  'busyTimeMsPerSecond',
  'backPressuredTimeMsPerSecond',
  'idleTimeMsPerSecond',
  'numRecordsInPerSecond',
  'numRecordsOutPerSecond',
] as const;

/** A source operator's backlog gauge, registered as `<operator name>.pendingRecords`. */
const PENDING_RECORDS_SUFFIX = '.pendingRecords';

/** Vertices that read no other vertex's output (the job graph's plan); none when Flink gives no plan. */
export function sourceVertexIds(details: FlinkJobDetails): Set<string> {
  const nodes = details.plan?.nodes ?? [];
  return new Set(nodes.filter((n) => (n.inputs ?? []).length === 0).map((n) => n.id));
}

/** The pendingRecords gauges among a vertex's metric ids (the answer without `get`). */
export function pendingRecordsIds(available: readonly FlinkSubtaskMetric[]): string[] {
  return available.map((m) => m.id).filter((id) => id.endsWith(PENDING_RECORDS_SUFFIX));
}

function value(
  metrics: readonly FlinkSubtaskMetric[],
  id: string,
  aggregation: 'avg' | 'sum',
): number | null {
  const v = metrics.find((m) => m.id === id)?.[aggregation];
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** A fraction of time from a `...TimeMsPerSecond` average, bounded to [0, 1]. */
function fraction(msPerSecond: number | null): number | null {
  return msPerSecond === null ? null : Math.min(1, Math.max(0, msPerSecond / 1000));
}

/** One vertex's sample from its aggregated subtask metrics (the answer with `get` and `agg`). */
export function vertexSample(
  vertex: FlinkJobDetails['vertices'][number],
  source: boolean,
  metrics: readonly FlinkSubtaskMetric[],
): VertexSample {
  const pending = metrics
    .filter((m) => m.id.endsWith(PENDING_RECORDS_SUFFIX))
    .map((m) => m.sum)
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  return {
    id: vertex.id,
    name: vertex.name,
    parallelism: vertex.parallelism,
    source,
    busy: fraction(value(metrics, 'busyTimeMsPerSecond', 'avg')),
    backPressure: fraction(value(metrics, 'backPressuredTimeMsPerSecond', 'avg')),
    recordsOutPerSecond: value(metrics, 'numRecordsOutPerSecond', 'sum'),
    pendingRecords: pending.length === 0 ? null : pending.reduce((a, b) => a + b, 0),
  };
}

/** Reads one sample of a running job; throws when Flink does not answer (the caller retries later). */
export async function readMetricsSample(
  client: FlinkRestClient,
  jobId: FlinkId,
  at: number,
  call: CallOptions = {},
): Promise<MetricsSample> {
  const details = await client.getJob(jobId, call);
  const sources = sourceVertexIds(details);
  const vertices: VertexSample[] = [];
  for (const vertex of details.vertices) {
    const source = sources.has(vertex.id);
    const pending = source
      ? pendingRecordsIds(await client.getSubtaskMetrics(jobId, vertex.id, {}, call))
      : [];
    const metrics = await client.getSubtaskMetrics(
      jobId,
      vertex.id,
      { metrics: [...AUTOSCALER_METRICS, ...pending], aggregations: ['avg', 'sum'] },
      call,
    );
    vertices.push(vertexSample(vertex, source, metrics));
  }
  return { at, vertices };
}
