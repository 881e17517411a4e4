// deploy/argocd/health.lua run the way Argo CD runs a resource customization: by gopher-lua (the
// interpreter Argo CD embeds, Lua 5.1) with only the package, base and table libraries open
// (src/devenv/argocd-lua-runner.ts, built into the cache). On the status fixtures of
// test/fixtures/argocd, each first parsed with its kind's CRD schema, and on statuses the real
// supervisor code writes (the in-memory supervisor harness): running, stopped by request, and an
// invalid spec.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ANNOTATIONS, FLINK_CLUSTER, FLINK_JOB } from '../../../src/api/names.ts';
import {
  safeParseFlinkCluster,
  safeParseFlinkDeployment,
  safeParseFlinkJob,
} from '../../../src/api/parse.ts';
import { ensureArgoLuaRunner, type ArgoLuaRunner } from '../../../src/devenv/argocd-lua-runner.ts';
import { defaultCacheDir } from '../../../src/devenv/prepare.ts';
import { consoleProgress } from '../../../src/devenv/progress.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';
import { NS, POLL_MS, setup } from '../../support/supervisor-harness.ts';

const SCRIPT = fileURLToPath(new URL('../../../deploy/argocd/health.lua', import.meta.url));
const CM_PATCH = fileURLToPath(new URL('../../../deploy/argocd/argocd-cm-patch.yaml', import.meta.url));
const CASES = fileURLToPath(new URL('../../fixtures/argocd/health-cases.yaml', import.meta.url));
const KINDS = ['FlinkDeployment', 'FlinkCluster', 'FlinkJob'] as const;

let runner: ArgoLuaRunner;
beforeAll(async () => {
  runner = await ensureArgoLuaRunner(
    defaultCacheDir(process.env),
    consoleProgress((line) => process.stderr.write(`${line}\n`)),
    process.env,
  );
}, 300_000);

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface HealthCase {
  readonly name: string;
  readonly kind: (typeof KINDS)[number];
  readonly expected: string;
  readonly status?: Obj;
  readonly annotations?: Record<string, string>;
  readonly generation?: number;
  readonly jobParallelism?: number;
}

const VALID_RESOURCE: Record<HealthCase['kind'], string> = {
  FlinkDeployment: 'deployment-storage.yaml',
  FlinkCluster: 'cluster-minimal.yaml',
  FlinkJob: 'job-minimal.yaml',
};
const PARSE = {
  FlinkDeployment: safeParseFlinkDeployment,
  FlinkCluster: safeParseFlinkCluster,
  FlinkJob: safeParseFlinkJob,
};

/** The case's status on a valid resource of its kind, as the API server would hand it to Argo CD. */
function resourceOf(c: HealthCase): Obj {
  const base = structuredClone(
    validFixtures().find((f) => f.file === VALID_RESOURCE[c.kind])!.resource,
  ) as Obj;
  base['metadata'] = {
    ...base['metadata'],
    generation: c.generation ?? 1,
    ...(c.annotations ? { annotations: c.annotations } : {}),
  };
  if (c.jobParallelism !== undefined) base['spec'] = { ...base['spec'], jobParallelism: c.jobParallelism };
  if (c.status) base['status'] = c.status;
  return base;
}

describe('health.lua on the status fixtures', () => {
  const cases = parse(readFileSync(CASES, 'utf8')) as HealthCase[];

  it('covers every kind and each of Healthy, Progressing, Degraded and Suspended', () => {
    for (const kind of KINDS) {
      const seen = new Set(cases.filter((c) => c.kind === kind).map((c) => c.expected));
      expect([...seen].sort(), kind).toEqual(['Degraded', 'Healthy', 'Progressing', 'Suspended']);
    }
  });

  it('every fixture is a resource its CRD schema accepts', () => {
    for (const c of cases) {
      const result = PARSE[c.kind](resourceOf(c));
      expect(result.ok ? '' : result.error.message, c.name).toBe('');
    }
  });

  it('gives each fixture its expected health, with a message', async () => {
    const results = await runner.health(SCRIPT, cases.map(resourceOf));
    const got = cases.map((c, i) => [c.name, results[i]?.status ?? results[i]?.error]);
    expect(got).toEqual(cases.map((c) => [c.name, c.expected]));
    for (const r of results) expect(r.message).toMatch(/\S/);
  });

  it('runs where Argo CD runs it: without the string library, so a script that needs it fails', async () => {
    const [result] = await runner.health(
      fileURLToPath(new URL('../../fixtures/argocd/uses-string-library.lua', import.meta.url)),
      [{ kind: 'FlinkJob' }],
    );
    expect(result?.error).toMatch(/string/);
  });
});

describe('argocd-cm-patch.yaml', () => {
  it('holds health.lua, unchanged, for each of the three kinds', () => {
    const patch = parse(readFileSync(CM_PATCH, 'utf8')) as { data: Record<string, string> };
    const script = readFileSync(SCRIPT, 'utf8');
    expect(Object.keys(patch.data).sort()).toEqual(
      KINDS.map((k) => `resource.customizations.health.flinkvisor.io_${k}`).sort(),
    );
    for (const value of Object.values(patch.data)) expect(value).toBe(script);
  });
});

describe('health.lua on statuses the supervisor writes (in-memory harness)', () => {
  let running: ReturnType<typeof setup> | undefined;
  afterEach(() => {
    running?.leadership.abort();
    running?.supervisor.stop();
    running = undefined;
  });

  const passes = async (t: ReturnType<typeof setup>, n: number) => {
    for (let i = 0; i < n; i++) {
      await t.clock.advance(POLL_MS);
      await t.settle();
    }
  };
  const healthOf = async (t: ReturnType<typeof setup>) => {
    const objects = [t.stored(FLINK_CLUSTER, 'minimal'), t.stored(FLINK_JOB, 'minimal-wordcount')];
    return (await runner.health(SCRIPT, objects)).map((r) => r.status);
  };

  it('Healthy once the adopted cluster and job run; the job Suspended after a STOP', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await passes(t, 3);
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Started', jobStatus: 'RUNNING' });
    expect(await healthOf(t)).toEqual(['Healthy', 'Healthy']);
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: 'STOP' } },
    });
    await t.settle();
    await passes(t, 3);
    expect(t.jobStatus()).toMatchObject({ supervisorStatus: 'Stopped' });
    // The cluster stays Started; it may be removing the TaskManager the stopped job no longer needs.
    const cluster = t.stored(FLINK_CLUSTER, 'minimal')?.status ?? {};
    const clusterReady = (cluster['conditions'] as { type: string; status: string }[]).find(
      (c) => c.type === 'Ready',
    );
    expect(cluster['supervisorStatus']).toBe('Started');
    expect(await healthOf(t)).toEqual([
      clusterReady?.status === 'True' ? 'Healthy' : 'Progressing',
      'Suspended',
    ]);
  });

  it('Degraded while the job spec does not parse', async () => {
    const t = (running = setup());
    await t.supervisor.start();
    void t.supervisor.lead(t.leadership.signal);
    await t.settle();
    await passes(t, 3);
    await t.resources.patch(FLINK_JOB, NS, 'minimal-wordcount', { spec: { jobParallelism: -3 } });
    await t.settle();
    await passes(t, 1);
    expect(t.condition('SpecValid')).toMatchObject({ status: 'False' });
    const [, job] = await runner.health(SCRIPT, [
      t.stored(FLINK_CLUSTER, 'minimal'),
      t.stored(FLINK_JOB, 'minimal-wordcount'),
    ]);
    expect(job).toMatchObject({ status: 'Degraded', message: expect.stringContaining('jobParallelism') });
  });
});
