import { describe, expect, it } from 'vitest';
import { FLINK_JOB } from '../../../src/api/names.ts';
import { StatusWriter } from '../../../src/supervisor/status-writer.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

const NS = 'ns';

function writerFor(store: InMemoryCustomResources) {
  return new StatusWriter({
    client: store,
    kind: FLINK_JOB,
    namespace: NS,
    name: 'job',
    initialResourceVersion: () =>
      store.objects.get(`${FLINK_JOB.plural}/${NS}/job`)?.metadata.resourceVersion,
  });
}

describe('StatusWriter', () => {
  it('does not rewrite a stored status that differs only in key order, timestamp or observation times', async () => {
    const store = new InMemoryCustomResources();
    // As the API server returns it: keys sorted.
    const stored = {
      jobStatus: 'RUNNING',
      machine: { context: { lastObservedAt: 1, now: 1, parallelism: 2 }, value: 'Started' },
      supervisorStatus: 'Started',
      timestamp: '2026-11-20T10:00:00.000Z',
    };
    store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, status: stored });
    const writer = writerFor(store);
    writer.seed(stored);
    await writer.submit({
      supervisorStatus: 'Started',
      timestamp: '2026-11-20T10:05:00.000Z',
      machine: { value: 'Started', context: { parallelism: 2, now: 99, lastObservedAt: 99 } },
      jobStatus: 'RUNNING',
    });
    expect(store.writes).toHaveLength(0);
    await writer.submit({ ...stored, jobStatus: 'CANCELED' });
    expect(store.writes.map((w) => w.op)).toEqual(['replaceStatus']);
    expect(writer.writes).toBe(1);
  });

  it('re-reads the resourceVersion after a conflict and stores the status', async () => {
    const store = new InMemoryCustomResources();
    store.put(FLINK_JOB, NS, { metadata: { name: 'job' } });
    const writer = new StatusWriter({
      client: store,
      kind: FLINK_JOB,
      namespace: NS,
      name: 'job',
      initialResourceVersion: () => 'stale',
    });
    await writer.submit({ supervisorStatus: 'Starting' });
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual({ supervisorStatus: 'Starting' });
  });
});
