// ADR 0021, a drain of a single JobManager: what the JobManager pod carries (the preStop hook and the
// longer grace period, only without HA), and the hook's script run by the real bash against a
// loopback HTTP server that answers like Flink's `/jobs/overview`.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFlinkCluster } from '../../../src/api/parse.ts';
import type { FlinkCluster } from '../../../src/api/flink-cluster.ts';
import { drainHookScript } from '../../../src/supervisor/jobmanager-drain-hook.ts';
import { jobManagerPod, taskManagerPod } from '../../../src/supervisor/resource-builders.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';

function cluster(taskTimeout: number, extra: Record<string, unknown> = {}): FlinkCluster {
  const raw = structuredClone(validFixtures().find((f) => f.file === 'cluster-minimal.yaml')?.resource);
  if (!raw) throw new Error('no fixture');
  const spec = raw['spec'] as Record<string, unknown>;
  return parseFlinkCluster({
    ...raw,
    metadata: { ...(raw['metadata'] as object), namespace: 'flink', uid: 'uid-c' },
    spec: {
      ...spec,
      supervisor: { ...(spec['supervisor'] as object), taskTimeout },
      ...extra,
    },
  });
}

describe('the JobManager pod of a cluster without HA', () => {
  it('holds a graceful deletion: a preStop hook and taskTimeout + 30 s of grace', () => {
    const c = cluster(120);
    const pod = jobManagerPod(c, 3);
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(150);
    const command = pod.spec?.containers[0]?.lifecycle?.preStop?.exec?.command ?? [];
    expect(command.slice(0, 2)).toEqual(['bash', '-c']);
    expect(command[2]).toContain('/jobs/overview');
    expect(command[2]).toContain('$((SECONDS + 150))');
  });

  it('HA clusters and TaskManagers keep 30 s and no hook', () => {
    const ha = cluster(120, {
      jobManager: { replicas: 2 },
      storage: { scheme: 'file', baseDir: '/flink-data' },
    });
    const pod = jobManagerPod(ha, 3, 0);
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(30);
    expect(pod.spec?.containers[0]?.lifecycle).toBeUndefined();
    const tm = taskManagerPod(cluster(120), 3, 2, 0);
    expect(tm.spec?.terminationGracePeriodSeconds).toBe(30);
    expect(tm.spec?.containers[0]?.lifecycle).toBeUndefined();
  });
});

describe('the hook script (real bash, loopback)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A Flink-like `/jobs/overview` whose job state `state()` says on each request. */
  async function flink(state: () => string): Promise<{ port: number; requests: () => number }> {
    let requests = 0;
    server = createServer((req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json');
      res.end(
        req.url === '/jobs/overview'
          ? JSON.stringify({ jobs: [{ jid: 'a'.repeat(32), name: 'j', state: state(), tasks: {} }] })
          : '{}',
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, requests: () => requests };
  }

  function runHook(port: number, bound: number): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', drainHookScript(bound, port)], {
        env: { ...process.env, POD_IP: '127.0.0.1' },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, ms: Date.now() - started });
      });
    });
  }

  it('waits while a job runs and returns once it ended', async () => {
    let state = 'RUNNING';
    const f = await flink(() => state);
    setTimeout(() => (state = 'FINISHED'), 3000);
    const run = await runHook(f.port, 60);
    expect(run.code).toBe(0);
    expect(run.ms).toBeGreaterThanOrEqual(2500);
    expect(run.ms).toBeLessThan(15_000);
    expect(f.requests()).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('returns at once when no job is running or Flink does not answer', async () => {
    const f = await flink(() => 'CANCELED');
    const ended = await runHook(f.port, 60);
    expect(ended.code).toBe(0);
    expect(ended.ms).toBeLessThan(2000);
    const port = f.port;
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const refused = await runHook(port, 60);
    expect(refused.code).toBe(0);
    expect(refused.ms).toBeLessThan(2000);
  }, 30_000);

  it('gives up after its own bound while a job still runs', async () => {
    const f = await flink(() => 'RUNNING');
    const run = await runHook(f.port, 3);
    expect(run.code).toBe(0);
    expect(run.ms).toBeGreaterThanOrEqual(2000);
    expect(run.ms).toBeLessThan(10_000);
  }, 30_000);
});
