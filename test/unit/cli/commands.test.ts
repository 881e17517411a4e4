// The client commands end to end in one process: the real `flinkvisor` program against the real
// control API server, whose Kubernetes side is the in-memory store of the control-api unit tests.
// A small fake supervisor takes the action annotations, so `--wait` has something to wait for.
import { KubeConfig } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor, EXIT } from '../../../src/cli/exit-codes.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import {
  ANNOTATIONS,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  type KindNames,
} from '../../../src/api/names.ts';
import { startControlApi, type ControlApi } from '../../../src/control-api/control-api-server.ts';
import { systemClock, type Clock } from '../../../src/kube/clock.ts';
import { ManualClock } from '../../support/manual-clock.ts';
import { InMemoryCustomResources as MemoryStore } from '../../support/in-memory-custom-resources.ts';

const NS = 'apps';
let api: ControlApi;
let store: MemoryStore;

beforeEach(async () => {
  store = new MemoryStore();
  store.put(FLINK_CLUSTER, NS, {
    metadata: { name: 'demo' },
    spec: { runtime: { image: 'flink:1.20' }, supervisor: { image: 'flinkvisor:0.1.0' }, taskManagers: 1 },
    status: {
      supervisorStatus: 'Started',
      resourceStatus: 'Updated',
      taskManagers: 1,
      taskManagerReplicas: 1,
    },
  });
  store.put(FLINK_JOB, NS, {
    metadata: { name: 'demo-speed' },
    spec: { clusterName: 'demo', jobParallelism: 1 },
    status: {
      supervisorStatus: 'Started',
      resourceStatus: 'Updated',
      jobStatus: 'RUNNING',
      jobParallelism: 1,
    },
  });
  api = await startControlApi({
    kubeConfig: new KubeConfig(),
    namespaces: [NS],
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    flinkClient: () => {
      throw new Error('these commands do not reach Flink');
    },
    log: pino({ level: 'silent' }),
    clock: systemClock,
    tokenReviewer: async (token) =>
      token === 'good'
        ? { username: 'alice', groups: [] }
        : token === 'reader'
          ? { username: 'bob', groups: [] }
          : undefined,
    accessReviewer: async (caller, a) => ({
      allowed: caller.username === 'alice' || a.verb === 'get' || a.verb === 'list',
    }),
    resources: store,
  });
});

afterEach(async () => {
  await api.close();
});

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** Runs `flinkvisor <args>` against the server; the exit code as main.ts would set it. */
async function run(
  args: string[],
  token = 'good',
  clock: Clock = systemClock,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const program = buildProgram({ env: {}, stdout, stderr, clock });
  const connection = ['--plain-http', '--port', String(api.port), '--host', '127.0.0.1', '--token', token];
  try {
    await program.parseAsync(['node', 'flinkvisor', ...args, ...connection]);
    return { code: EXIT.ok, stdout: stdout.text(), stderr: stderr.text() };
  } catch (err) {
    return {
      code: exitCodeFor(err),
      stdout: stdout.text(),
      stderr: `${stderr.text()}${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/** Plays the supervisor: takes a requested action, and after two polls reports it done. */
function fakeSupervisor(
  kind: typeof FLINK_JOB,
  name: string,
  outcome: 'accepted' | 'rejected',
  finalStatus: Record<string, unknown>,
) {
  let polls = 0;
  const timer = setInterval(() => {
    const key = `${kind.plural}/${NS}/${name}`;
    const obj = store.objects.get(key);
    const annotations = obj?.metadata.annotations ?? {};
    const action = annotations[ANNOTATIONS.requestedAction];
    if (!obj) return;
    if (action) {
      const requestedAt = Number(annotations[ANNOTATIONS.actionTimestamp]);
      store.put(kind, NS, {
        ...obj,
        metadata: { ...obj.metadata, annotations: {} },
        status: {
          ...obj.status,
          supervisorStatus: 'Stopping',
          machine: {
            context: {
              lastAction: {
                action,
                withoutSavepoint: false,
                requestedAt,
                outcome,
                reason: outcome === 'rejected' ? 'not now' : 'ok',
                at: 1,
              },
            },
          },
        },
      });
      return;
    }
    if (++polls === 2) store.put(kind, NS, { ...obj, status: { ...obj.status, ...finalStatus } });
  }, 150);
  return () => clearInterval(timer);
}

describe('client commands against the control API', () => {
  it('lists clusters as a table, as JSON and as YAML', async () => {
    const table = await run(['clusters', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+SUPERVISOR-STATUS\s+RESOURCE-STATUS/);
    expect(table.stdout).toMatch(/\ndemo\s+Started\s+Updated/);
    const json = await run(['clusters', 'list', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ name: 'demo', taskManagers: 1 })]);
    const yaml = await run(['jobs', 'list', '--cluster-name', 'demo', '-o', 'yaml']);
    expect(yaml.stdout).toContain('- name: speed\n  resource: demo-speed\n');
  });

  it("takes the AGE column's time from the context's clock", async () => {
    // The memory store creates every object at 2026-11-20T10:00:00Z.
    const clock = new ManualClock(Date.parse('2026-11-20T13:00:00Z'));
    const table = await run(['clusters', 'list'], 'good', clock);
    expect(table.stdout).toMatch(/\ndemo\s.*\s3h\s+false\n/);
  });

  it('stops a job with --wait: a progress line per change on stderr, then exit 0', async () => {
    const stop = fakeSupervisor(FLINK_JOB, 'demo-speed', 'accepted', {
      supervisorStatus: 'Stopped',
      jobStatus: 'FINISHED',
      jobParallelism: 0,
    });
    try {
      const result = await run([
        'job',
        'stop',
        '--cluster-name',
        'demo',
        '--job-name',
        'speed',
        '--wait',
        '--timeout',
        '20',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('flinkjob/demo-speed: STOP requested\n');
      const progress = result.stderr.trim().split('\n');
      expect(progress.at(-1)).toMatch(
        /^job demo\/speed: Stopped, Updated, Flink FINISHED, parallelism 0 \(\d+s\)$/,
      );
      expect(progress.length).toBeGreaterThanOrEqual(2);
    } finally {
      stop();
    }
    expect(store.writes.find((w) => w.op === 'patch')?.body).toMatchObject({
      metadata: {
        annotations: { [ANNOTATIONS.requestedAction]: 'STOP', [ANNOTATIONS.withoutSavepoint]: 'false' },
      },
    });
  });

  it('exits 5 when the supervisor rejects the action it waits for, and 6 when it never comes', async () => {
    const stop = fakeSupervisor(FLINK_JOB, 'demo-speed', 'rejected', {});
    try {
      const rejected = await run([
        'savepoint',
        'trigger',
        '--cluster-name',
        'demo',
        '--job-name',
        'speed',
        '--wait',
      ]);
      expect(rejected.code).toBe(EXIT.conflict);
      expect(rejected.stderr).toContain('TRIGGER_SAVEPOINT was rejected: not now');
    } finally {
      stop();
    }
    const timeout = await run(['cluster', 'stop', '--cluster-name', 'demo', '--wait', '--timeout', '1']);
    expect(timeout.code).toBe(EXIT.timeout);
    expect(timeout.stderr).toContain('waiting for the supervisor to take the request');
  });

  it('exits 4 for a missing resource, 5 for a pending action, 8 without the rights, 7 without a valid token, 2 for bad input', async () => {
    expect((await run(['cluster', 'status', '--cluster-name', 'ghost'])).code).toBe(EXIT.notFound);
    expect((await run(['cluster', 'stop', '--cluster-name', 'demo'])).code).toBe(0);
    const pending = await run(['cluster', 'start', '--cluster-name', 'demo']);
    expect(pending.code).toBe(EXIT.conflict);
    expect(pending.stderr).toContain('ActionPending');
    expect(
      (
        await run(
          ['job', 'scale', '--cluster-name', 'demo', '--job-name', 'speed', '--parallelism', '2'],
          'reader',
        )
      ).code,
    ).toBe(EXIT.forbidden);
    expect((await run(['clusters', 'list'], 'stolen')).code).toBe(EXIT.unauthorized);
    expect((await run(['cluster', 'scale', '--cluster-name', 'demo', '--task-managers', 'many'])).code).toBe(
      EXIT.usage,
    );
  });

  it('scales a cluster and says so', async () => {
    const result = await run(['cluster', 'scale', '--cluster-name', 'demo', '--task-managers', '3']);
    expect(result.stdout).toBe('flinkcluster/demo scaled to 3 TaskManagers\n');
    expect((await store.get(FLINK_CLUSTER, NS, 'demo'))?.spec?.['taskManagers']).toBe(3);
  });
});

describe('pause and resume (ADR 0019)', () => {
  const job = ['--cluster-name', 'demo', '--job-name', 'speed'];
  const pausedAnnotation = async (kind: KindNames, name: string) =>
    (await store.get(kind, NS, name))?.metadata.annotations?.[ANNOTATIONS.paused];
  const annotationWrites = () => store.writes.filter((w) => w.op === 'patch').length;

  it('pauses and resumes a job through the annotation, writing nothing when it already says so', async () => {
    const paused = await run(['job', 'pause', ...job]);
    expect(paused).toMatchObject({ code: 0, stdout: 'flinkjob/demo-speed paused\n' });
    expect(await pausedAnnotation(FLINK_JOB, 'demo-speed')).toBe('true');
    const writes = annotationWrites();
    expect((await run(['job', 'pause', ...job])).stdout).toBe('flinkjob/demo-speed already paused\n');
    expect(annotationWrites()).toBe(writes);
    const json = await run(['job', 'resume', ...job, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({
      kind: 'FlinkJob',
      namespace: NS,
      name: 'demo-speed',
      paused: false,
      changed: true,
    });
    expect(await pausedAnnotation(FLINK_JOB, 'demo-speed')).toBeUndefined();
  });

  it('waits with --wait until the status says paused', async () => {
    // Plays the supervisor: status.paused follows the annotation at its next pass.
    const timer = setInterval(() => {
      const obj = store.objects.get(`${FLINK_CLUSTER.plural}/${NS}/demo`);
      if (!obj) return;
      const paused = obj.metadata.annotations?.[ANNOTATIONS.paused] === 'true';
      if (obj.status?.['paused'] !== paused)
        store.put(FLINK_CLUSTER, NS, { ...obj, status: { ...obj.status, paused } });
    }, 150);
    try {
      const result = await run(['cluster', 'pause', '--cluster-name', 'demo', '--wait', '--timeout', '20']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('flinkcluster/demo paused\n');
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^flinkcluster\/demo: paused \(\d+s\)$/);
      expect((await store.get(FLINK_CLUSTER, NS, 'demo'))?.status?.['paused']).toBe(true);
    } finally {
      clearInterval(timer);
    }
  });

  it('pauses a FlinkDeployment, and refuses (5) a child of one: its pause follows the deployment', async () => {
    store.put(FLINK_DEPLOYMENT, NS, { metadata: { name: 'shop' }, spec: { jobs: [] } });
    store.put(FLINK_JOB, NS, {
      metadata: {
        name: 'shop-orders',
        ownerReferences: [
          {
            apiVersion: 'flinkvisor.io/v1',
            kind: 'FlinkDeployment',
            name: 'shop',
            uid: 'u1',
            controller: true,
          },
        ],
      },
      spec: { clusterName: 'shop' },
    });
    const deployment = await run(['deployment', 'pause', '--deployment-name', 'shop']);
    expect(deployment.stdout).toBe('flinkdeployment/shop paused\n');
    expect(await pausedAnnotation(FLINK_DEPLOYMENT, 'shop')).toBe('true');
    const child = await run(['job', 'resume', '--cluster-name', 'shop', '--job-name', 'orders']);
    expect(child.code).toBe(EXIT.conflict);
    expect(child.stderr).toContain('belongs to FlinkDeployment shop');
    expect(child.stderr).toContain('resume the deployment instead');
  });

  it('needs the patch permission (8), and a resource that exists (4)', async () => {
    expect((await run(['job', 'pause', ...job], 'reader')).code).toBe(EXIT.forbidden);
    expect(await pausedAnnotation(FLINK_JOB, 'demo-speed')).toBeUndefined();
    expect((await run(['cluster', 'resume', '--cluster-name', 'ghost'])).code).toBe(EXIT.notFound);
  });
});
