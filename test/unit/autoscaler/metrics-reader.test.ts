// The metrics reader on answers recorded from real Flink JobManagers (TopSpeedWindowing, parallelism
// 2; test/support/record-autoscaler-metrics.ts), served through the real client by undici's MockAgent.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  pendingRecordsIds,
  readMetricsSample,
  sourceVertexIds,
  vertexSample,
} from '../../../src/autoscaler/metrics-reader.ts';
import { jobDetailsSchema, subtaskMetricsSchema } from '../../../src/flink/schemas.ts';
import { mockFlink, type MockFlink } from '../flink/mock-flink.ts';

interface Recording {
  line: string;
  jobId: string;
  details: unknown;
  metrics: Record<string, unknown>;
  available: Record<string, unknown>;
}

const recordings: Recording[] = ['1.20', '2.3'].map(
  (line) =>
    JSON.parse(
      readFileSync(new URL(`../../fixtures/autoscaler/flink-${line}.json`, import.meta.url), 'utf8'),
    ) as Recording,
);

let flink: MockFlink | undefined;
afterEach(async () => {
  await flink?.close();
  flink = undefined;
});

describe.each(recordings)('metrics reader on Flink $line', (recording) => {
  const details = jobDetailsSchema.parse(recording.details);

  it('finds the source vertex in the plan', () => {
    const sources = sourceVertexIds(details);
    expect(sources.size).toBe(1);
    const [source] = [...sources];
    expect(details.vertices.find((v) => v.id === source)?.name).toMatch(/^Source: /);
  });

  it('reads each vertex: busy and back-pressured fractions, records out, its parallelism', () => {
    const sources = sourceVertexIds(details);
    for (const vertex of details.vertices) {
      const metrics = subtaskMetricsSchema.parse(recording.metrics[vertex.id]);
      const sample = vertexSample(vertex, sources.has(vertex.id), metrics);
      const busyAvg = metrics.find((m) => m.id === 'busyTimeMsPerSecond')?.avg;
      expect(sample).toMatchObject({ id: vertex.id, name: vertex.name, parallelism: vertex.parallelism });
      expect(sample.busy).toBe(busyAvg === undefined || Number.isNaN(busyAvg) ? null : busyAvg / 1000);
      expect(sample.backPressure).toBeGreaterThanOrEqual(0);
      expect(sample.backPressure).toBeLessThanOrEqual(1);
      expect(sample.pendingRecords).toBeNull(); // the example's generator source reports no backlog
    }
    const source = details.vertices.find((v) => sources.has(v.id));
    const sourceSample = vertexSample(
      source!,
      true,
      subtaskMetricsSchema.parse(recording.metrics[source!.id]),
    );
    expect(sourceSample.recordsOutPerSecond).toBeGreaterThan(0);
  });

  it('lists no pendingRecords gauge for the generator source', () => {
    for (const vertex of details.vertices)
      expect(pendingRecordsIds(subtaskMetricsSchema.parse(recording.available[vertex.id]))).toEqual([]);
  });

  it('reads a whole sample through the client: one listing for the source, one metrics call per vertex', async () => {
    flink = mockFlink({ version: recording.line === '2.3' ? '2.3.0' : '1.20.5' });
    const base = `/jobs/${recording.jobId}`;
    flink.pool.intercept({ path: base, method: 'GET' }).reply(200, recording.details as object);
    const asked: string[] = [];
    flink.pool
      .intercept({ path: (p) => p.startsWith(`${base}/vertices/`), method: 'GET' })
      .reply((req) => {
        const url = new URL(req.path, 'http://flink');
        const vertexId = url.pathname.split('/')[4] ?? '';
        asked.push(`${vertexId}${url.search ? ' get' : ' list'}`);
        const answer = url.searchParams.has('get')
          ? recording.metrics[vertexId]
          : recording.available[vertexId];
        return {
          statusCode: 200,
          data: JSON.stringify(answer),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      })
      .times(3);
    const sample = await readMetricsSample(flink.client, recording.jobId as never, 1234);
    expect(sample.at).toBe(1234);
    expect(sample.vertices.map((v) => v.source)).toEqual(
      details.vertices.map((v) => sourceVertexIds(details).has(v.id)),
    );
    const [source, window] = details.vertices;
    expect(asked).toEqual([`${source!.id} list`, `${source!.id} get`, `${window!.id} get`]);
    expect(sample.vertices[1]?.busy).not.toBeNull();
  });
});

describe('metrics reader: values Flink could not measure', () => {
  it('reads "NaN" (a busy time while a task starts) as no value, and sums pendingRecords gauges', () => {
    const metrics = subtaskMetricsSchema.parse([
      { id: 'busyTimeMsPerSecond', avg: 'NaN', sum: 'NaN' },
      { id: 'backPressuredTimeMsPerSecond', avg: 250, sum: 500 },
      { id: 'numRecordsOutPerSecond', avg: 50, sum: 100 },
      { id: 'Source__Kafka.pendingRecords', avg: 10, sum: 20 },
      { id: 'Source__Other.pendingRecords', avg: 1, sum: 2 },
    ]);
    expect(
      vertexSample({ id: 'v', name: 'Source: Kafka', parallelism: 2, status: 'RUNNING' }, true, metrics),
    ).toEqual({
      id: 'v',
      name: 'Source: Kafka',
      parallelism: 2,
      source: true,
      busy: null,
      backPressure: 0.25,
      recordsOutPerSecond: 100,
      pendingRecords: 22,
    });
  });
});
