import { describe, expect, it } from 'vitest';
import { FINALIZERS, FLINK_JOB } from '../../../src/api/names.ts';
import { isConflict } from '../../../src/kube/errors.ts';
import { addFinalizer, ALL_FINALIZERS, removeFinalizer } from '../../../src/kube/finalizers.ts';
import { retryOnConflict } from '../../../src/kube/retry-on-conflict.ts';
import { apiError, InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

const NS = 'ns';
const conflict = () => apiError(409, 'Conflict', 'the object has been modified');
const noSleep = async () => undefined;

describe('retryOnConflict', () => {
  it('tries again after a conflict, deciding afresh each time, and returns the first success', async () => {
    const tries: number[] = [];
    const result = await retryOnConflict(
      async (n) => {
        tries.push(n);
        if (n < 3) throw conflict();
        return `done on ${n}`;
      },
      { sleep: noSleep },
    );
    expect(result).toBe('done on 3');
    expect(tries).toEqual([1, 2, 3]);
  });

  it('gives up after the attempts and throws the last conflict', async () => {
    let calls = 0;
    const err = await retryOnConflict(
      async () => {
        calls++;
        throw conflict();
      },
      { attempts: 4, sleep: noSleep },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(isConflict(err)).toBe(true);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const err = await retryOnConflict(
      async () => {
        calls++;
        throw apiError(404, 'NotFound', 'gone');
      },
      { sleep: noSleep },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(isConflict(err)).toBe(false);
  });

  it('waits the growing backoff between tries', async () => {
    const waits: number[] = [];
    await retryOnConflict(
      async (n) => {
        if (n < 4) throw conflict();
      },
      { sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits).toEqual([10, 20, 40]);
  });
});

describe('finalizers', () => {
  it('adds once: a second add writes nothing', async () => {
    const store = new InMemoryCustomResources();
    const job = store.put(FLINK_JOB, NS, { metadata: { name: 'a' } });
    expect(await addFinalizer(store, FLINK_JOB, job, FINALIZERS.supervisor)).toBe(true);
    const after = (await store.get(FLINK_JOB, NS, 'a'))!;
    expect(after.metadata.finalizers).toEqual([FINALIZERS.supervisor]);
    expect(await addFinalizer(store, FLINK_JOB, after, FINALIZERS.supervisor)).toBe(false);
    expect(store.writes.filter((w) => w.op === 'patch')).toHaveLength(1);
  });

  it('adding on a stale object is a conflict (the caller looks again)', async () => {
    const store = new InMemoryCustomResources();
    const job = store.put(FLINK_JOB, NS, { metadata: { name: 'a' } });
    await store.patch(FLINK_JOB, NS, 'a', { metadata: { annotations: { x: 'y' } } });
    const err = await addFinalizer(store, FLINK_JOB, job, FINALIZERS.supervisor).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
  });

  it('removes only its own finalizer, re-reading past a concurrent change', async () => {
    const store = new InMemoryCustomResources();
    store.put(FLINK_JOB, NS, { metadata: { name: 'a', finalizers: [FINALIZERS.supervisor, 'other/keep'] } });
    let interfered = false;
    store.beforePatch = () => {
      if (interfered) return;
      interfered = true;
      const current = store.objects.get(`${FLINK_JOB.plural}/${NS}/a`)!;
      store.put(FLINK_JOB, NS, { ...current, metadata: { ...current.metadata, labels: { l: '1' } } });
    };
    expect(await removeFinalizer(store, FLINK_JOB, NS, 'a', FINALIZERS.supervisor)).toBe(true);
    const after = (await store.get(FLINK_JOB, NS, 'a'))!;
    expect(after.metadata.finalizers).toEqual(['other/keep']);
    expect(after.metadata.labels).toEqual({ l: '1' });
    expect(store.writes.filter((w) => w.op === 'patch')).toHaveLength(2);
  });

  it('treats a missing object or finalizer as done, and can remove all of them', async () => {
    const store = new InMemoryCustomResources();
    expect(await removeFinalizer(store, FLINK_JOB, NS, 'missing', FINALIZERS.supervisor)).toBe(false);
    store.put(FLINK_JOB, NS, { metadata: { name: 'b', finalizers: ['x/one', 'y/two'] } });
    expect(await removeFinalizer(store, FLINK_JOB, NS, 'b', FINALIZERS.supervisor)).toBe(false);
    await store.delete(FLINK_JOB, NS, 'b');
    expect((await store.get(FLINK_JOB, NS, 'b'))?.metadata.deletionTimestamp).toBeDefined();
    expect(await removeFinalizer(store, FLINK_JOB, NS, 'b', ALL_FINALIZERS)).toBe(true);
    expect(await store.get(FLINK_JOB, NS, 'b')).toBeUndefined();
  });
});
