import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesCustomResourceClient } from '../../../src/kube/custom-resource-client.ts';
import { KubeLeaseStore } from '../../../src/kube/lease-store.ts';
import { boundedKubeConfig } from '../../../src/kube/request-bounds.ts';
import { FLINK_JOB } from '../../../src/api/names.ts';

/** An API server that accepts every request and never answers (a hung apiserver, a half-open link). */
async function silentApiServer(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => void requests++);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

let server: Awaited<ReturnType<typeof silentApiServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Settles within `ms` or says it did not. */
function within<T>(promise: Promise<T>, ms: number): Promise<'settled' | 'hung'> {
  return Promise.race([
    promise.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms)),
  ]);
}

describe('every Kubernetes API request is bounded', () => {
  it('a Lease read against a silent API server fails at the request timeout instead of hanging', async () => {
    server = await silentApiServer();
    const store = new KubeLeaseStore(
      boundedKubeConfig(kubeConfigFor(server.url), { timeoutMs: 200 }),
      'ns',
      'l',
    );
    const started = performance.now();
    const error = await store.get().then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.name).toBe('TimeoutError');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('without the bound the same read is still hanging long after', async () => {
    server = await silentApiServer();
    const store = new KubeLeaseStore(kubeConfigFor(server.url), 'ns', 'l');
    expect(await within(store.get(), 300)).toBe('hung');
  });

  it('cancels the requests in flight when leadership is lost, and refuses new ones', async () => {
    server = await silentApiServer();
    const leadership = new AbortController();
    const kc = boundedKubeConfig(kubeConfigFor(server.url), {
      timeoutMs: 60_000,
      cancelWhen: () => leadership.signal,
    });
    const client = new KubernetesCustomResourceClient(kc);
    const inFlight = client.get(FLINK_JOB, 'ns', 'job');
    await new Promise((r) => setTimeout(r, 50));
    leadership.abort(new Error('leadership lost'));
    expect(await within(inFlight, 1_000)).toBe('settled');
    await expect(inFlight).rejects.toThrow(/leadership lost/);
    await expect(client.get(FLINK_JOB, 'ns', 'job')).rejects.toThrow(/leadership lost/);
  });

  it('leaves the original KubeConfig unbounded and shares its clusters and users', () => {
    const kc = kubeConfigFor('http://127.0.0.1:1');
    const bounded = boundedKubeConfig(kc, { timeoutMs: 5 });
    expect(bounded.getCurrentCluster()?.server).toBe('http://127.0.0.1:1');
    expect(Object.hasOwn(kc, 'applySecurityAuthentication')).toBe(false);
  });
});
