// Records the Flink REST answers the autoscaler's metrics reader uses (test/fixtures/autoscaler,
// read by test/unit/autoscaler/metrics-reader.test.ts): a real session cluster of the given line
// runs TopSpeedWindowing; after a warm-up the job details and each vertex's aggregated subtask
// metrics (and the metric ids it has) are printed as JSON.
//   npx node test/support/record-autoscaler-metrics.ts 2.3 > test/fixtures/autoscaler/flink-2.3.json
//   npx node test/support/record-autoscaler-metrics.ts 1.20 > test/fixtures/autoscaler/flink-1.20.json
import { setTimeout as sleep } from 'node:timers/promises';
import { AUTOSCALER_METRICS } from '../../src/autoscaler/metrics-reader.ts';
import { randomFlinkId } from '../../src/flink/ids.ts';
import { startTestFlink, type FlinkLine } from './flink-cluster.ts';

const line = (process.argv[2] ?? '2.3') as FlinkLine;
const flink = await startTestFlink(line, { taskManagers: 1, slotsPerTaskManager: 2 });
try {
  const jar = await flink.client.uploadJar(flink.distribution.examples.TopSpeedWindowing);
  const { jobId } = await flink.client.runJar(jar.jarId, { jobId: randomFlinkId(), parallelism: 2 });
  await sleep(20_000);
  const base = flink.cluster.restUrl;
  const get = async (path: string) => (await fetch(`${base}${path}`)).json();
  // Flink's metric fetcher runs when a handler asks and answers from what it fetched before: ask, wait, ask.
  await get(`/jobs/${jobId}/metrics`);
  await sleep(3_000);
  const details = (await get(`/jobs/${jobId}`)) as { vertices: { id: string }[] };
  const metrics: Record<string, unknown> = {};
  for (const v of details.vertices)
    metrics[v.id] = await get(
      `/jobs/${jobId}/vertices/${v.id}/subtasks/metrics?get=${AUTOSCALER_METRICS.join(',')}&agg=min,max,avg,sum`,
    );
  const available: Record<string, unknown> = {};
  for (const v of details.vertices)
    available[v.id] = await get(`/jobs/${jobId}/vertices/${v.id}/subtasks/metrics`);
  console.log(JSON.stringify({ line, jobId, details, metrics, available }, null, 2));
} finally {
  await flink.stop();
}
