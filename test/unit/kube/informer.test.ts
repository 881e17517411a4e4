import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { Informer, WatchErrorEvent, type StartWatch } from '../../../src/kube/informer.ts';

type Obj = KubernetesObject & { metadata: { name: string; namespace: string; resourceVersion: string } };
type Script = (n: number, emit: (phase: string, obj: unknown) => void, end: (err?: unknown) => void) => void;

function job(resourceVersion: string, annotations?: Record<string, string>): Obj {
  return {
    apiVersion: 'flinkvisor.io/v1',
    kind: 'FlinkJob',
    metadata: { name: 'job', namespace: 'ns', resourceVersion, ...(annotations ? { annotations } : {}) },
  };
}

/** An informer on a scripted API server: `lists` answers each list in turn, `script` drives each watch. */
function informerOn(o: {
  lists: (n: number) => Obj[];
  script: Script;
  maxBackoffMs?: number;
  stopAfterDelays?: number;
  stopAfterWatches?: number;
}) {
  const delays: number[] = [];
  const errors: unknown[] = [];
  let listCalls = 0;
  let watchCalls = 0;
  const informer: Informer<Obj> = new Informer<Obj>({
    kubeConfig: new KubeConfig(),
    path: '/apis/flinkvisor.io/v1/namespaces/ns/flinkjobs',
    list: async () => {
      listCalls++;
      const items = o.lists(listCalls);
      return { items, metadata: { resourceVersion: items.at(-1)?.metadata.resourceVersion ?? '1' } };
    },
    random: () => 0.5,
    ...(o.maxBackoffMs ? { maxBackoffMs: o.maxBackoffMs } : {}),
    delay: async (ms) => {
      delays.push(ms);
      if (delays.length >= (o.stopAfterDelays ?? Infinity)) informer.stop();
    },
    onError: (err) => errors.push(err),
    watch: (async (_path, _params, onEvent, onDone) => {
      watchCalls++;
      if (watchCalls >= (o.stopAfterWatches ?? Infinity)) informer.stop();
      let ended = false;
      const end = (err?: unknown) => {
        if (ended) return;
        ended = true;
        onDone(err);
      };
      const n = watchCalls;
      setImmediate(() => o.script(n, onEvent, end));
      return { abort: () => end(Object.assign(new Error('aborted'), { name: 'AbortError' })) };
    }) satisfies StartWatch,
  });
  return {
    informer,
    delays,
    errors,
    lists: () => listCalls,
    watches: () => watchCalls,
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setImmediate(r));
}

describe('the informer after a watch fails', () => {
  it('backs off on a non-410 ERROR event (exponential, jittered, capped) instead of re-watching in a hot loop', async () => {
    const t = informerOn({
      lists: () => [job('1')],
      script: (_n, emit) =>
        emit('ERROR', { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd' }),
      maxBackoffMs: 4_000,
      stopAfterDelays: 6,
      stopAfterWatches: 50,
    });
    await t.informer.start();
    await until(() => t.delays.length >= 6 || t.watches() >= 50);
    // random() = 0.5: each wait is 0.75 of its step; steps double from 500 ms up to the cap.
    expect(t.delays).toEqual([375, 750, 1500, 3000, 3000, 3000]);
    expect(t.watches()).toBe(6);
    expect(t.errors[0]).toBeInstanceOf(WatchErrorEvent);
    expect((t.errors[0] as WatchErrorEvent).code).toBe(500);
  });

  it('relists at once on 410 Gone, without waiting', async () => {
    const t = informerOn({
      lists: () => [job('1')],
      script: (n, emit, end) =>
        n === 1 ? emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired' }) : end(),
      stopAfterWatches: 3,
    });
    await t.informer.start();
    await until(() => t.watches() >= 3);
    expect(t.lists()).toBe(2);
    expect(t.delays).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it.each([
    ['a connection reset', (end: (err?: unknown) => void) => end(new Error('read ECONNRESET'))],
    [
      'an ERROR event',
      (_end: unknown, emit: (p: string, o: unknown) => void) => emit('ERROR', { code: 500 }),
    ],
    ['410 Gone', (_end: unknown, emit: (p: string, o: unknown) => void) => emit('ERROR', { code: 410 })],
  ])(
    'never loses an action annotation set while the watch was lost (%s): the relist delivers it',
    async (_what, fail) => {
      const requested = { 'flinkvisor.io/requested-action': 'STOP' };
      const seen: (Record<string, string> | undefined)[] = [];
      const t = informerOn({
        lists: (n) => [n === 1 ? job('1') : job('7', requested)],
        // The first watch fails before it delivers the change; later ones stay quiet.
        script: (n, emit, end) => (n === 1 ? fail(end, emit) : undefined),
        stopAfterWatches: 2,
      });
      t.informer.on('update', (obj) => seen.push(obj.metadata.annotations));
      await t.informer.start();
      await until(() => seen.length > 0);
      expect(seen).toEqual([requested]);
      expect(t.informer.get('ns/job')?.metadata.annotations).toEqual(requested);
    },
  );
});

describe('the informer cache', () => {
  it('holds listed and watched objects without their managedFields, and still sees every change', async () => {
    const managed = (rv: string) => ({
      ...job(rv),
      metadata: {
        ...job(rv).metadata,
        managedFields: [
          { manager: 'flinkvisor', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
        ],
      },
    });
    const updates: string[] = [];
    const t = informerOn({
      lists: () => [managed('1')],
      script: (_n, emit) => emit('MODIFIED', managed('2')),
      stopAfterWatches: 1,
    });
    t.informer.on('update', (obj) => updates.push(obj.metadata?.resourceVersion ?? ''));
    await t.informer.start();
    expect(t.informer.get('ns/job')?.metadata?.managedFields).toBeUndefined();
    await until(() => updates.length > 0);
    expect(updates).toEqual(['2']);
    expect(t.informer.get('ns/job')).toMatchObject({ metadata: { resourceVersion: '2' } });
    expect(t.informer.get('ns/job')?.metadata?.managedFields).toBeUndefined();
  });
});
