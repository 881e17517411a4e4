// The node agent runs a container's preStop exec hook before SIGTERM on a graceful deletion, bounded
// by the grace period, as the kubelet does (ADR 0021: a single JobManager's hook holds its JVM
// while the supervisor takes savepoints). Real processes (bash) under a real PodWorker; only the
// API server side (status writes, the final delete) is recorded in memory.
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../src/devenv/wait-for.ts';
import { DEFAULT_IMAGE_MAP } from '../../../src/node-agent/image-resolver.ts';
import { PodWorker, type PodWorkerDeps } from '../../../src/node-agent/pod-worker.ts';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

/** A pod whose container appends `term` to $OUT on SIGTERM, with `hook` as its preStop command. */
function pod(out: string, hook: string | undefined, grace: number): V1Pod {
  return {
    metadata: { namespace: 'ns', name: 'p', uid: 'u1' },
    spec: {
      terminationGracePeriodSeconds: grace,
      containers: [
        {
          name: 'main',
          image: 'node:24',
          command: ['bash', '-c', 'trap "echo term >> \\"$OUT\\"; exit 0" TERM; while :; do sleep 0.1; done'],
          env: [{ name: 'OUT', value: out }],
          ...(hook ? { lifecycle: { preStop: { exec: { command: ['bash', '-c', hook] } } } } : {}),
        },
      ],
    },
  };
}

async function started(p: V1Pod): Promise<{ worker: PodWorker; finalized: () => boolean }> {
  dir = await mkdtemp(join(tmpdir(), 'prestop-'));
  let finalized = false;
  const deps: PodWorkerDeps = {
    nodeName: 'n',
    hostIp: '127.0.0.1',
    podsDir: join(dir, 'pods'),
    sharedDir: join(dir, 'shared'),
    imageMap: DEFAULT_IMAGE_MAP,
    flinkHomes: {},
    nodeBinary: process.execPath,
    projectRoot: process.cwd(),
    baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    sources: {
      configMap: () => Promise.resolve(undefined),
      secret: () => Promise.resolve(undefined),
      serviceAccountToken: () => Promise.resolve(undefined),
    },
    allocateIp: () => Promise.resolve({ address: '127.0.0.1', release: () => Promise.resolve() }),
    hostsFileFor: () => Promise.resolve('/etc/hosts'),
    serviceAccountIdentity: () => Promise.resolve(undefined),
    writeStatus: () => Promise.resolve(),
    finalizeDeletion: () => {
      finalized = true;
      return Promise.resolve();
    },
    registerProcess: () => undefined,
    unregisterProcess: () => undefined,
    log: () => undefined,
    backoff: { initialMs: 100, maxMs: 1000 },
    now: () => Date.now(),
  };
  const worker = new PodWorker(p, deps);
  await worker.start();
  await waitFor('the container runs', () => Promise.resolve(worker.containerRunning('main') || undefined), {
    timeoutMs: 10_000,
    intervalMs: 50,
  });
  // The trap is set once bash runs its first command.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { worker, finalized: () => finalized };
}

const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('preStop exec hooks in the node agent', () => {
  it('a graceful deletion runs the hook to its end before SIGTERM, then deletes the pod', async () => {
    const out = join(tmpdir(), `prestop-${process.pid}-a`);
    const { worker, finalized } = await started(
      pod(out, 'echo hook-start >> "$OUT"; sleep 1; echo hook-end >> "$OUT"', 30),
    );
    const t0 = Date.now();
    await worker.terminate(30, true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await lines(out)).toEqual(['hook-start', 'hook-end', 'term']);
    expect(finalized()).toBe(true);
    await rm(out, { force: true });
  }, 20_000);

  it('a hook that outlasts the grace period is killed; SIGTERM follows within the 2 s extension', async () => {
    const out = join(tmpdir(), `prestop-${process.pid}-b`);
    const { worker } = await started(
      pod(out, 'echo hook-start >> "$OUT"; sleep 60; echo hook-end >> "$OUT"', 2),
    );
    const t0 = Date.now();
    await worker.terminate(2, true);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(6000);
    expect(await lines(out)).toEqual(['hook-start', 'term']);
    await rm(out, { force: true });
  }, 20_000);

  it("neither a force deletion (grace 0) nor the agent's own shutdown runs the hook", async () => {
    const out = join(tmpdir(), `prestop-${process.pid}-c`);
    const hook = 'echo hook >> "$OUT"; sleep 5';
    const first = await started(pod(out, hook, 30));
    await first.worker.terminate(0, true);
    expect(await lines(out)).not.toContain('hook');
    await rm(out, { force: true });
    await rm(dir, { recursive: true, force: true });
    const second = await started(pod(out, hook, 30));
    const t0 = Date.now();
    await second.worker.terminate(10, false);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await lines(out)).toEqual(['term']);
    await rm(out, { force: true });
  }, 20_000);
});
