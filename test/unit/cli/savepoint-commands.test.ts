// `flinkvisor savepoint list|show|dispose` (ADR 0015): the real program against the real control
// API server, whose Kubernetes side is the in-memory store.
import { KubeConfig } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLINK_JOB, FLINK_SAVEPOINT, LABELS } from '../../../src/api/names.ts';
import { savepointsTable } from '../../../src/cli/commands/savepoints.ts';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { startControlApi, type ControlApi } from '../../../src/control-api/control-api-server.ts';
import { systemClock } from '../../../src/kube/clock.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

const NS = 'apps';
let api: ControlApi;
let store: InMemoryCustomResources;

beforeEach(async () => {
  store = new InMemoryCustomResources();
  store.put(FLINK_JOB, NS, { metadata: { name: 'demo-speed' }, spec: { clusterName: 'demo' } });
  for (const [n, hour] of [
    [1, 10],
    [2, 11],
  ] as const)
    store.put(FLINK_SAVEPOINT, NS, {
      metadata: {
        name: `demo-speed-sp-${n}`,
        labels: { [LABELS.cluster]: 'demo', [LABELS.job]: 'demo-speed' },
      },
      spec: { jobName: 'demo-speed', kind: 'periodic', formatType: 'canonical', dispose: false },
      status: {
        state: 'Completed',
        path: `s3://b/sp/savepoint-${n}`,
        completionTimestamp: `2026-12-06T${hour}:00:00Z`,
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
    tokenReviewer: async (token) => (token === 'good' ? { username: 'alice', groups: [] } : undefined),
    accessReviewer: async () => ({ allowed: true }),
    resources: store,
  });
});

afterEach(async () => {
  await api.close();
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const chunks: Record<'out' | 'err', string[]> = { out: [], err: [] };
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks[key].push(chunk.toString());
        done();
      },
    });
  const program = buildProgram({ env: {}, stdout: sink('out'), stderr: sink('err'), clock: systemClock });
  const connection = ['--plain-http', '--port', String(api.port), '--host', '127.0.0.1', '--token', 'good'];
  const job = ['--cluster-name', 'demo', '--job-name', 'speed'];
  try {
    await program.parseAsync(['node', 'flinkvisor', 'savepoint', ...args, ...job, ...connection]);
    return { code: EXIT.ok, stdout: chunks.out.join(''), stderr: chunks.err.join('') };
  } catch (err) {
    return { code: exitCodeFor(err), stdout: chunks.out.join(''), stderr: String(err) };
  }
}

describe('savepoint list, show, dispose', () => {
  it('lists the savepoints newest first, as a table and as JSON', async () => {
    const table = await run(['list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+STATE\s+DISPOSAL\s+PATH\s+COMPLETED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['demo-speed-sp-2', 'demo-speed-sp-1']);
    const json = await run(['list', '--output', 'json']);
    expect((JSON.parse(json.stdout) as { path: string }[]).map((s) => s.path)).toEqual([
      's3://b/sp/savepoint-2',
      's3://b/sp/savepoint-1',
    ]);
  });

  it('shows one, and exits 4 for an unknown one', async () => {
    const shown = await run(['show', '--savepoint', 'demo-speed-sp-1']);
    expect(shown.stdout).toMatch(/path\s+s3:\/\/b\/sp\/savepoint-1/);
    expect((await run(['show', '--savepoint', 'nope'])).code).toBe(EXIT.notFound);
  });

  it('dispose asks the supervisor (spec.dispose) and says so', async () => {
    const disposed = await run(['dispose', '--savepoint', 'demo-speed-sp-1']);
    expect(disposed).toMatchObject({
      code: 0,
      stdout: 'flinksavepoint/demo-speed-sp-1: disposal requested\n',
    });
    expect((await store.get(FLINK_SAVEPOINT, NS, 'demo-speed-sp-1'))?.spec?.['dispose']).toBe(true);
  });

  it('renders disposal state and age in the table', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    const text = savepointsTable(
      [
        {
          name: 'a',
          kind: 'stop',
          state: 'Completed',
          path: 'p',
          completionTimestamp: '2026-12-06T11:00:00Z',
          disposal: { state: 'Failed' },
        },
      ],
      now,
    );
    expect(text.split('\n')[1]).toMatch(/^a\s+stop\s+Completed\s+Failed\s+p\s+60m$/);
  });
});
