// The generated parts of the charts (CRDs, RBAC rules) match src/api and src/install, and the
// charts' versions match the code's.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CRD_DIRECTORY } from '../../../src/api/crd-files.ts';
import { crdFileName, crdManifests } from '../../../src/api/crd-manifests.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import {
  checkChartFiles,
  HELM_DIRECTORY,
  JOBS_CHART_DIRECTORY,
  OPERATOR_CHART_DIRECTORY,
  renderChartFiles,
  writeChartFiles,
} from '../../../src/install/chart-files.ts';
import {
  FLINK_KUBERNETES_HA_RULES,
  jobsChartRules,
  OPERATOR_NAMESPACED_RULES,
  operatorChartRules,
} from '../../../src/install/chart-rbac.ts';
import { OPERATOR_LEASE_RULES, OPERATOR_RULES } from '../../../src/install/operator-manifests.ts';
import {
  BOOTSTRAP_RULES,
  CONTROL_API_CLUSTER_RULES,
  CONTROL_API_RULES,
  SUPERVISOR_RULES,
} from '../../../src/install/rbac.ts';
import { FLINKVISOR_VERSION } from '../../../src/version.ts';

async function cli(args: string[]): Promise<{ out: string; error: unknown }> {
  let out = '';
  const sink = { write: (chunk: string) => ((out += chunk), true) } as unknown as NodeJS.WritableStream;
  const program = buildProgram({ env: {}, stdout: sink, stderr: sink });
  const error = await program.parseAsync(['node', 'flinkvisor', ...args]).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { out, error };
}

describe('generated chart files', () => {
  it('are up to date with src/api and src/install (run `flinkvisor install generate` when this fails)', async () => {
    const reports = await checkChartFiles();
    expect(reports.filter((r) => r.state !== 'up-to-date')).toEqual([]);
    expect(reports.map((r) => r.file).sort()).toEqual([
      'flinkvisor-jobs/files/rbac-rules.yaml',
      'flinkvisor/crds/flinkvisor.io_flinkclusters.yaml',
      'flinkvisor/crds/flinkvisor.io_flinkdeployments.yaml',
      'flinkvisor/crds/flinkvisor.io_flinkjobs.yaml',
      'flinkvisor/crds/flinkvisor.io_flinksavepoints.yaml',
      'flinkvisor/files/rbac-rules.yaml',
    ]);
  });

  it('carry the same CRDs as deploy/crds (only the header differs)', async () => {
    for (const crd of crdManifests()) {
      const file = crdFileName(crd);
      const inChart = await readFile(join(OPERATOR_CHART_DIRECTORY, 'crds', file), 'utf8');
      const inDeploy = await readFile(join(DEFAULT_CRD_DIRECTORY, file), 'utf8');
      expect(parse(inChart)).toEqual(parse(inDeploy));
      expect(parse(inChart)).toEqual(crd);
    }
  });

  it('hold the TypeScript rule constants, unchanged', async () => {
    const operator = parse(
      await readFile(join(OPERATOR_CHART_DIRECTORY, 'files', 'rbac-rules.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    expect(operator).toEqual(JSON.parse(JSON.stringify(operatorChartRules())));
    expect(operator['operatorAllNamespaces']).toEqual(OPERATOR_RULES);
    expect(operator['operatorLeaderElection']).toEqual(OPERATOR_LEASE_RULES);
    expect(operator['supervisor']).toEqual(SUPERVISOR_RULES);
    expect(operator['bootstrap']).toEqual(BOOTSTRAP_RULES);
    expect(operator['bootstrap']).toEqual([]);
    const jobs = parse(
      await readFile(join(JOBS_CHART_DIRECTORY, 'files', 'rbac-rules.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    expect(jobs).toEqual(JSON.parse(JSON.stringify(jobsChartRules())));
    expect(jobs['flinkKubernetesHa']).toEqual(FLINK_KUBERNETES_HA_RULES);
  });

  it('split the operator rules into the namespaced part and the cluster-scoped reviews, losing none', () => {
    expect(OPERATOR_NAMESPACED_RULES).toHaveLength(OPERATOR_RULES.length - CONTROL_API_CLUSTER_RULES.length);
    expect([...OPERATOR_NAMESPACED_RULES, ...CONTROL_API_CLUSTER_RULES]).toEqual(
      expect.arrayContaining(OPERATOR_RULES),
    );
    expect(OPERATOR_NAMESPACED_RULES).toEqual(expect.arrayContaining(CONTROL_API_RULES));
    const groups = OPERATOR_NAMESPACED_RULES.flatMap((r) => r.apiGroups ?? []);
    expect(groups).not.toContain('authentication.k8s.io');
    expect(groups).not.toContain('authorization.k8s.io');
  });
});

describe('`flinkvisor install generate`', () => {
  it('writes the files, and --check names what drifted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flinkvisor-helm-'));
    try {
      const missing = await cli(['install', 'generate', '--check', '--dir', dir]);
      expect(String(missing.error)).toMatch(
        /generated chart files drifted: .*flinkvisor\/files\/rbac-rules.yaml \(missing\)/,
      );
      const written = await cli(['install', 'generate', '--dir', dir]);
      expect(written.error).toBeUndefined();
      expect(written.out.trim().split('\n')).toHaveLength(renderChartFiles().size);
      expect((await cli(['install', 'generate', '--check', '--dir', dir])).out).toContain('up to date');
      await writeFile(join(dir, 'flinkvisor', 'files', 'rbac-rules.yaml'), 'supervisor: []\n');
      await writeFile(join(dir, 'flinkvisor', 'crds', 'flinkvisor.io_oldkinds.yaml'), 'kind: x\n');
      const drifted = await cli(['install', 'generate', '--check', '--dir', dir]);
      expect(String(drifted.error)).toContain('rbac-rules.yaml (outdated)');
      expect(String(drifted.error)).toContain('flinkvisor.io_oldkinds.yaml (unexpected)');
      await writeChartFiles(dir);
      expect((await checkChartFiles(dir)).filter((r) => r.state === 'outdated')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('chart metadata', () => {
  it('gives both charts the version of the code as appVersion', async () => {
    for (const dir of [OPERATOR_CHART_DIRECTORY, JOBS_CHART_DIRECTORY]) {
      const chart = parse(await readFile(join(dir, 'Chart.yaml'), 'utf8')) as {
        appVersion: string;
        apiVersion: string;
      };
      expect(chart.apiVersion).toBe('v2');
      expect(chart.appVersion).toBe(FLINKVISOR_VERSION);
    }
    expect(HELM_DIRECTORY).toMatch(/deploy\/helm\/$/);
  });

  it('documents every value in each chart README', async () => {
    const leaves = (value: unknown, prefix: string): string[] =>
      value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
        : [prefix];
    for (const dir of [OPERATOR_CHART_DIRECTORY, JOBS_CHART_DIRECTORY]) {
      const values = parse(await readFile(join(dir, 'values.yaml'), 'utf8')) as object;
      const readme = await readFile(join(dir, 'README.md'), 'utf8');
      // A value is documented by its own row, or by the row of an enclosing map below the top level
      // (`operator.resources` documents `operator.resources.limits.cpu`).
      const documented = (key: string) => {
        const parts = key.split('.');
        for (let n = parts.length; n >= Math.min(2, parts.length); n -= 1) {
          if (readme.includes(`\`${parts.slice(0, n).join('.')}\``)) return true;
        }
        return false;
      };
      const undocumented = leaves(values, '').filter((key) => !documented(key));
      expect(undocumented, `${dir}/README.md`).toEqual([]);
    }
  });
});
