import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { crdFileName, crdManifests, GENERATED_HEADER, renderCrdYaml } from '../api/crd-manifests.ts';
import { jobsChartRules, operatorChartRules } from './chart-rbac.ts';

// The generated parts of the Helm charts: the CRDs (the same documents as deploy/crds) and the
// RBAC rules each chart grants. `flinkvisor install generate` writes them; `--check` and a unit
// test report drift, so the charts never disagree with src/api and src/install.

/** deploy/helm of this checkout (resolved from this file, not the working directory). */
export const HELM_DIRECTORY = fileURLToPath(new URL('../../deploy/helm/', import.meta.url));
export const OPERATOR_CHART_DIRECTORY = join(HELM_DIRECTORY, 'flinkvisor');
export const JOBS_CHART_DIRECTORY = join(HELM_DIRECTORY, 'flinkvisor-jobs');

const CRD_HEADER =
  '# Generated from src/api by `flinkvisor install generate` (the same CRDs as deploy/crds). Do not edit.\n' +
  '# Helm installs crds/ on first install only: upgrade them as the chart README says.\n';

const RULES_HEADER =
  '# Generated from src/install (rbac.ts, operator-manifests.ts, chart-rbac.ts) by `flinkvisor install generate`.\n' +
  '# Do not edit: change the TypeScript rules and regenerate. The templates read this file.\n';

/** The CRD document of deploy/crds under the chart's own header. */
function chartCrdYaml(manifest: Parameters<typeof renderCrdYaml>[0]): string {
  const rendered = renderCrdYaml(manifest);
  if (!rendered.startsWith(GENERATED_HEADER)) throw new Error('unexpected CRD header');
  return CRD_HEADER + rendered.slice(GENERATED_HEADER.length);
}

function rulesYaml(rules: Record<string, unknown>): string {
  return RULES_HEADER + stringify(rules, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Path (relative to deploy/helm) → content of every generated chart file. */
export function renderChartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of crdManifests())
    files.set(join('flinkvisor', 'crds', crdFileName(crd)), chartCrdYaml(crd));
  files.set(join('flinkvisor', 'files', 'rbac-rules.yaml'), rulesYaml(operatorChartRules()));
  files.set(join('flinkvisor-jobs', 'files', 'rbac-rules.yaml'), rulesYaml(jobsChartRules()));
  return files;
}

export type ChartFileState = 'up-to-date' | 'missing' | 'outdated' | 'unexpected';

export interface ChartFileReport {
  /** Relative to the helm directory, e.g. `flinkvisor/crds/flinkvisor.io_flinkjobs.yaml`. */
  readonly file: string;
  readonly state: ChartFileState;
}

export async function writeChartFiles(helmDirectory: string = HELM_DIRECTORY): Promise<string[]> {
  const written: string[] = [];
  for (const [file, content] of renderChartFiles()) {
    const path = join(helmDirectory, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}

async function listYaml(directory: string): Promise<string[]> {
  const entries = await readdir(directory).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return entries.filter((f) => /\.ya?ml$/.test(f));
}

/**
 * Compares the generated files with what src/api and src/install produce now. A YAML file in a
 * chart's crds/ that the generator does not produce is `unexpected` (a renamed kind's old CRD).
 */
export async function checkChartFiles(helmDirectory: string = HELM_DIRECTORY): Promise<ChartFileReport[]> {
  const expected = renderChartFiles();
  const reports: ChartFileReport[] = [];
  for (const [file, content] of expected) {
    const actual = await readFile(join(helmDirectory, file), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    reports.push({
      file,
      state: actual === undefined ? 'missing' : actual === content ? 'up-to-date' : 'outdated',
    });
  }
  const crdDirectory = join(helmDirectory, 'flinkvisor', 'crds');
  for (const name of await listYaml(crdDirectory)) {
    const file = relative(helmDirectory, join(crdDirectory, name));
    if (!expected.has(file)) reports.push({ file, state: 'unexpected' });
  }
  return reports;
}
