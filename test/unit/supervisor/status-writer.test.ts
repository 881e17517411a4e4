import { describe, expect, it } from 'vitest';
import { FLINK_JOB } from '../../../src/api/names.ts';
import {
  StaleLeaderError,
  StatusSupersededError,
  StatusWriter,
} from '../../../src/supervisor/status-writer.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

const NS = 'ns';

function writerFor(store: InMemoryCustomResources, cachedResourceVersion?: string) {
  return new StatusWriter({
    client: store,
    kind: FLINK_JOB,
    namespace: NS,
    name: 'job',
    cached: () => {
      const object = store.objects.get(`${FLINK_JOB.plural}/${NS}/job`);
      if (!object || cachedResourceVersion === undefined) return object;
      return { ...object, metadata: { ...object.metadata, resourceVersion: cachedResourceVersion } };
    },
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

  it('never resolves a submit as stored when the write that carried its status failed (a request was cleared unanswered)', async () => {
    const store = new InMemoryCustomResources();
    store.put(FLINK_JOB, NS, { metadata: { name: 'job' } });
    const writer = writerFor(store);
    const replace = store.replaceStatus.bind(store);
    let calls = 0;
    store.replaceStatus = async (...args: Parameters<typeof store.replaceStatus>) => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('request timed out'), { name: 'TimeoutError' });
      return replace(...args);
    };
    // Two submits in one tick: the machine's snapshot, then the request's write-ahead. The first
    // flush carries the second's status; it fails, so the second must not resolve as stored.
    const first = writer.submit({ supervisorStatus: 'Stopping' });
    const second = writer.submit({ supervisorStatus: 'Stopping', lastAction: 'STOP' });
    await expect(first).rejects.toThrow('request timed out');
    await second;
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual({
      supervisorStatus: 'Stopping',
      lastAction: 'STOP',
    });
  });

  it('re-reads the resourceVersion after a conflict and stores the status', async () => {
    const store = new InMemoryCustomResources();
    store.put(FLINK_JOB, NS, { metadata: { name: 'job' } });
    const writer = new StatusWriter({
      client: store,
      kind: FLINK_JOB,
      namespace: NS,
      name: 'job',
      cached: () => ({ metadata: { name: 'job', resourceVersion: 'stale' } }),
    });
    await writer.submit({ supervisorStatus: 'Starting' });
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual({ supervisorStatus: 'Starting' });
  });

  it('decides again from the fresh object after a conflict instead of re-applying the old decision', async () => {
    const store = new InMemoryCustomResources();
    const stored = store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, spec: { parallelism: 1 } });
    // The informer cache still holds the object the status was decided on.
    const writer = writerFor(store, stored.metadata.resourceVersion);
    writer.seed(stored.status);
    // A spec change lands between the read the status was decided on and the write.
    await store.patch(FLINK_JOB, NS, 'job', { spec: { parallelism: 2 } });
    const decide = (current: { metadata: { generation?: number } }) => ({
      supervisorStatus: 'Started',
      observedGeneration: current.metadata.generation ?? 0,
    });
    await writer.submit(decide(stored), decide);
    const now = await store.get(FLINK_JOB, NS, 'job');
    expect(now?.metadata.generation).toBe(2);
    expect(now?.status).toEqual({ supervisorStatus: 'Started', observedGeneration: 2 });
  });

  it('a status decided from an object older than its own last write is decided again from a fresh read (observedGeneration never goes back)', async () => {
    const store = new InMemoryCustomResources();
    const v1 = store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, spec: { parallelism: 1 } });
    const writer = writerFor(store);
    writer.seed(v1.status);
    const decide = (current: { metadata: { generation?: number } }) => ({
      supervisorStatus: 'Started',
      observedGeneration: current.metadata.generation ?? 0,
    });
    const v2 = await store.patch(FLINK_JOB, NS, 'job', { spec: { parallelism: 2 } });
    await writer.submit(decide(v2), decide, v2.metadata.resourceVersion);
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toMatchObject({ observedGeneration: 2 });
    // The informer has not caught up: the next status is decided from generation 1.
    await writer.submit({ ...decide(v1), supervisorStatus: 'Stopping' }, decide, v1.metadata.resourceVersion);
    const now = await store.get(FLINK_JOB, NS, 'job');
    expect(now?.status).toEqual({ supervisorStatus: 'Started', observedGeneration: 2 });
  });

  it('a status that waited while the watch moved on is never written under the newer resourceVersion (a writer that has not written yet)', async () => {
    const store = new InMemoryCustomResources();
    const v1 = store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, spec: { parallelism: 1 } });
    // The cache the writer takes its first precondition from has caught up with generation 2.
    const writer = writerFor(store);
    writer.seed(v1.status);
    const decide = (current: { metadata: { generation?: number } }) => ({
      supervisorStatus: 'Stopped',
      observedGeneration: current.metadata.generation ?? 0,
    });
    await store.patch(FLINK_JOB, NS, 'job', { spec: { parallelism: 2 } });
    // Decided from generation 1 (before the spec change), flushed after it.
    await writer.submit(decide(v1), decide, v1.metadata.resourceVersion);
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual({
      supervisorStatus: 'Stopped',
      observedGeneration: 2,
    });
  });

  it('refuses to overwrite a machine snapshot another writer stored since (a second leader)', async () => {
    const store = new InMemoryCustomResources();
    const ours = { machine: { value: 'Started', context: { savepoint: null } } };
    const stored = store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, status: ours });
    const writer = writerFor(store, stored.metadata.resourceVersion);
    writer.seed(stored.status);
    // The other leader records its savepoint intent (write-ahead) behind our back.
    const theirs = { machine: { value: 'Started', context: { savepoint: { triggerId: 't-2' } } } };
    await store.replaceStatus(FLINK_JOB, NS, 'job', stored.metadata.resourceVersion ?? '', theirs);
    const stale = { machine: { value: 'Stopping', context: { savepoint: null } } };
    await expect(writer.submit(stale, () => stale)).rejects.toBeInstanceOf(StatusSupersededError);
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual(theirs);
    expect(writer.writes).toBe(0);
  });

  it('a machine restored from an older object than the cache holds now is never written under the newer resourceVersion (K12)', async () => {
    const store = new InMemoryCustomResources();
    // The machine is restored from a lagging copy: the stop of submission 1, in flight.
    const older = { machine: { value: 'Stopping', context: { submission: 1 } } };
    const v1 = store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, status: older });
    // Since then the last leader stopped it, started submission 2, and the spec changed.
    const newer = { machine: { value: 'Started', context: { submission: 2 } } };
    await store.replaceStatus(FLINK_JOB, NS, 'job', v1.metadata.resourceVersion ?? '', newer);
    const v3 = await store.patch(FLINK_JOB, NS, 'job', { spec: { parallelism: 2 } });
    // The cache the pass reads has caught up (a read made since): the status is decided from it.
    const writer = writerFor(store, v3.metadata.resourceVersion);
    writer.seed(older, v1.metadata.resourceVersion);
    const stale = { machine: { value: 'Stopping', context: { submission: 1 } }, observedGeneration: 2 };
    await expect(writer.submit(stale, () => stale, v3.metadata.resourceVersion)).rejects.toBeInstanceOf(
      StatusSupersededError,
    );
    expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual(newer);
    expect(writer.writes).toBe(0);
  });

  it('after a conflict, writes nothing when the fresh object already holds the decided status', async () => {
    const store = new InMemoryCustomResources();
    const stored = store.put(FLINK_JOB, NS, { metadata: { name: 'job' }, status: { jobStatus: 'RUNNING' } });
    const writer = writerFor(store, stored.metadata.resourceVersion);
    writer.seed(stored.status);
    const annotated = await store.patch(FLINK_JOB, NS, 'job', { metadata: { annotations: { a: 'b' } } });
    await store.replaceStatus(FLINK_JOB, NS, 'job', annotated.metadata.resourceVersion ?? '', {
      jobStatus: 'FINISHED',
    });
    const before = (await store.get(FLINK_JOB, NS, 'job'))?.metadata.resourceVersion;
    await writer.submit({ jobStatus: 'FINISHED' }, () => ({ jobStatus: 'FINISHED' }));
    expect(writer.writes).toBe(0);
    expect((await store.get(FLINK_JOB, NS, 'job'))?.metadata.resourceVersion).toBe(before);
  });

  describe('fencing by leadership epoch (ADR 0014)', () => {
    function fencedWriter(store: InMemoryCustomResources, epoch: number) {
      return new StatusWriter({
        client: store,
        kind: FLINK_JOB,
        namespace: NS,
        name: 'job',
        cached: () => store.objects.get(`${FLINK_JOB.plural}/${NS}/job`),
        epoch: () => epoch,
      });
    }

    it('stamps every status it stores with its epoch', async () => {
      const store = new InMemoryCustomResources();
      store.put(FLINK_JOB, NS, { metadata: { name: 'job' } });
      const writer = fencedWriter(store, 4);
      await writer.submit({ supervisorStatus: 'Starting' });
      expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual({
        supervisorStatus: 'Starting',
        leaderEpoch: 4,
      });
    });

    it("refuses the write of a replaced leader once its successor has written, and leaves the successor's status", async () => {
      const store = new InMemoryCustomResources();
      store.put(FLINK_JOB, NS, { metadata: { name: 'job' } });
      const replaced = fencedWriter(store, 3);
      await replaced.submit({ supervisorStatus: 'Started' });
      // The successor (epoch 4) writes its intent before acting.
      const successor = fencedWriter(store, 4);
      successor.seed((await store.get(FLINK_JOB, NS, 'job'))?.status);
      await successor.submit({ supervisorStatus: 'Stopping' });
      const theirs = (await store.get(FLINK_JOB, NS, 'job'))?.status;
      // The replaced leader's next write is preconditioned on its own last version: 409, re-read, refused.
      await expect(
        replaced.submit({ supervisorStatus: 'Started', jobStatus: 'RUNNING' }),
      ).rejects.toBeInstanceOf(StaleLeaderError);
      expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual(theirs);
      expect(replaced.writes).toBe(1);
    });

    it('refuses before any request when the cached object it would precondition on carries a later epoch', async () => {
      const store = new InMemoryCustomResources();
      store.put(FLINK_JOB, NS, {
        metadata: { name: 'job' },
        status: { supervisorStatus: 'Stopping', leaderEpoch: 7 },
      });
      const before = (await store.get(FLINK_JOB, NS, 'job'))?.metadata.resourceVersion;
      const replaced = fencedWriter(store, 6);
      const refused = replaced.submit({ supervisorStatus: 'Started' });
      await expect(refused).rejects.toBeInstanceOf(StaleLeaderError);
      await expect(refused).rejects.toMatchObject({ storedEpoch: 7, ownEpoch: 6 });
      expect((await store.get(FLINK_JOB, NS, 'job'))?.metadata.resourceVersion).toBe(before);
    });

    it('a new leader writes over an older epoch, and does not rewrite an unchanged status only to stamp it', async () => {
      const store = new InMemoryCustomResources();
      const stored = store.put(FLINK_JOB, NS, {
        metadata: { name: 'job' },
        status: { supervisorStatus: 'Started', leaderEpoch: 2 },
      });
      const successor = fencedWriter(store, 3);
      successor.seed(stored.status, stored.metadata.resourceVersion);
      await successor.submit({ supervisorStatus: 'Started' });
      expect(successor.writes).toBe(0);
      await successor.submit({ supervisorStatus: 'Stopping' });
      expect((await store.get(FLINK_JOB, NS, 'job'))?.status).toEqual({
        supervisorStatus: 'Stopping',
        leaderEpoch: 3,
      });
    });
  });
});
