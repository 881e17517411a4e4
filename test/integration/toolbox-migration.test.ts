// `flinkvisor migrate` (the real CLI process) on the toolbox manual's demo, its output created on the
// real API server with a server-side dry run (`kubectl create --dry-run=server`): the CRDs'
// OpenAPI schema, defaults and CEL rules accept every converted resource. A toolbox FlinkJob with
// only its apiVersion changed is refused, which is why the converter exists.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { CommandFailedError, runCommand } from '../../src/devenv/run-command.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const admin = adminKubeConfig();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/toolbox');
let kubectlPath: string;
let dir: string;
let namespace: string;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function migrate(input: string): Promise<{ stdout: string; stderr: string }> {
  const file = join(dir, `input-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, input);
  return runCommand(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'migrate', '-f', file], {
    timeoutMs: 60_000,
  });
}

/** `kubectl create --dry-run=server` of a manifest stream; kubectl's report, one line per object. */
async function dryRunCreate(manifests: string): Promise<string[]> {
  const file = join(dir, `dry-run-${Math.random().toString(16).slice(2)}.yaml`);
  await writeFile(file, manifests);
  try {
    const { stdout } = await runCommand(
      kubectlPath,
      [
        '--kubeconfig',
        inject('controlPlane').kubeconfigPath,
        'create',
        '--dry-run=server',
        '-n',
        namespace,
        '-f',
        file,
      ],
      { timeoutMs: 60_000 },
    );
    return stdout.trim().split('\n');
  } catch (err) {
    if (err instanceof CommandFailedError)
      throw new Error(`server-side dry run refused:\n${err.outputTail}`, { cause: err });
    throw err;
  }
}

const fixture = (file: string) => readFile(join(FIXTURES, file), 'utf8');
const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const stream = (objects: readonly Obj[]) => objects.map((o) => stringify(o)).join('---\n');

beforeAll(async () => {
  kubectlPath = (await devenvAssets()).kubernetes.paths.kubectl;
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-migrate-'));
  await installCrds(admin, crdManifests());
  namespace = await createTestNamespace(admin, 'migrate');
}, 300_000);

afterAll(async () => {
  if (namespace) await deleteTestNamespace(admin, namespace);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('flinkvisor migrate, checked by the API server', () => {
  it("the manual's flinkproperties.yaml, jobparameters.yaml and deployment.yaml are all created", async () => {
    const input = [
      await fixture('flinkproperties.yaml'),
      await fixture('jobparameters.yaml'),
      await fixture('deployment.yaml'),
    ].join('\n---\n');
    const { stdout, stderr } = await migrate(input);
    expect(stderr).toContain('FlinkDeployment demo: spec.cluster.supervisor.image: changed:');
    const report = await dryRunCreate(stdout);
    expect(report).toEqual([
      'configmap/demo-jobmanager-properties-v1 created (server dry run)',
      'configmap/demo-taskmanager-properties-v1 created (server dry run)',
      'configmap/demo-job-parameters-v1 created (server dry run)',
      'flinkdeployment.flinkvisor.io/demo created (server dry run)',
    ]);
  });

  it('a standalone FlinkCluster and FlinkJob of the demo (the job without defaults) are created', async () => {
    const [fd] = docs(await fixture('deployment.yaml'));
    const cluster = { apiVersion: 'nextbreakpoint.com/v1', kind: 'FlinkCluster', metadata: { name: 'demo' } };
    const jobSpec = structuredClone(fd!['spec']['jobs'][0]['spec']);
    delete jobSpec['jobParallelism'];
    delete jobSpec['restart'];
    jobSpec['savepoint'] = {
      savepointTargetPath: 's3p://nextbreakpoint-demo/savepoints',
      savepointPath: '"s3p://nextbreakpoint-demo/savepoints/savepoint-1"',
    };
    const job = {
      apiVersion: 'nextbreakpoint.com/v1',
      kind: 'FlinkJob',
      metadata: { name: 'demo-computeaverage' },
    };
    const { stdout } = await migrate(
      stream([
        { ...cluster, spec: fd!['spec']['cluster'] },
        { ...job, spec: jobSpec },
      ]),
    );
    const converted = docs(stdout);
    expect(converted[1]!['spec']).toMatchObject({
      clusterName: 'demo',
      jobParallelism: 0,
      savepoint: {
        savepointInterval: 3600,
        initialSavepointPath: 's3p://nextbreakpoint-demo/savepoints/savepoint-1',
      },
    });
    expect(await dryRunCreate(stdout)).toEqual([
      'flinkcluster.flinkvisor.io/demo created (server dry run)',
      'flinkjob.flinkvisor.io/demo-computeaverage created (server dry run)',
    ]);
    // The same job with only its apiVersion changed: the toolbox bound it by name, Flinkvisor cannot.
    const renamedOnly = { ...job, apiVersion: 'flinkvisor.io/v1', spec: jobSpec };
    await expect(dryRunCreate(stream([renamedOnly]))).rejects.toThrow(/clusterName/);
  });
});
