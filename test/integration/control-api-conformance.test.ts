// The control API against its own OpenAPI document: schemathesis (PyPI, cached in a venv under
// ~/.cache/flinkvisor) generates requests from /api/v1/openapi.json, valid and invalid, and checks
// every answer: no 5xx but the documented ones, only documented statuses, valid requests accepted,
// invalid ones refused, answers shaped as documented. A short run with a fixed seed: the document
// must be true for zero findings. What it creates lives in its own namespace, deleted at the end.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { startControlApi, type ControlApi } from '../../src/control-api/control-api-server.ts';
import { CommandFailedError, runCommand } from '../../src/devenv/run-command.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { NO_RETRY } from '../../src/flink/retry-policy.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';
import { ensureSchemathesis } from '../support/schemathesis.ts';

const admin = adminKubeConfig();
let ns: string;
let dir: string;
let api: ControlApi;
let python: string;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  python = await ensureSchemathesis();
  await installCrds(admin, crdManifests());
  ns = await createTestNamespace(admin, 'conform');
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-conformance-'));
  const unreachableFlink = `http://127.0.0.1:${await closedPort()}`;
  api = await startControlApi({
    kubeConfig: admin,
    namespaces: [ns],
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    flinkClient: (baseUrl: string) =>
      new FlinkRestClient({
        baseUrl,
        dispatcher: createFlinkDispatcher(baseUrl, { connectTimeoutMs: 1000 }),
        retry: NO_RETRY,
      }),
    flinkUrl: () => unreachableFlink,
    log: pino({ level: 'silent' }),
    clock: systemClock,
  });
});

afterAll(async () => {
  await api?.close();
  if (ns) await deleteTestNamespace(admin, ns);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the control API and its OpenAPI document (schemathesis)', () => {
  it('a seeded run finds nothing: every answer is one the document promises', async () => {
    const token = inject('controlPlane').adminToken;
    const response = await fetch(`${api.url}/api/v1/openapi.json`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    // The API server answers 429 for a while after new CRDs (their storage is initializing): wait
    // for a list of each kind to work, so the run measures the control API, not that start.
    await waitFor(
      'lists of FlinkDeployments and FlinkClusters through the control API',
      async () => {
        for (const path of ['deployments', 'clusters']) {
          const list = await fetch(`${api.url}/api/v1/${path}?namespace=${ns}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          if (list.status !== 200) return undefined;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const schemaFile = join(dir, 'openapi.json');
    const document = await response.text();
    await writeFile(schemaFile, document);
    const operations = Object.values(
      (JSON.parse(document) as { paths: Record<string, object> }).paths,
    ).reduce((n, item) => n + Object.keys(item).length, 0);
    // The token goes through the environment into schemathesis' own `${NAME}` placeholder: never
    // in argv, where a failing command's message (and `ps`) would show it.
    const config = join(dir, 'schemathesis.toml');
    // 502, 503 and 504 are the JobManager's answers (this one is unreachable on purpose) or a busy
    // API server, and documented as such; a 500 is a failure of the control API itself, a finding.
    await writeFile(
      config,
      [
        'headers = { Authorization = "Bearer ${FLINKVISOR_CONFORMANCE_TOKEN}" }',
        '[checks.not_a_server_error]',
        'expected-statuses = ["2xx", "3xx", "4xx", "502", "503", "504"]',
        // A spec, new or merged from a patch, must also pass its cross-field rules (CEL, in the
        // document as x-kubernetes-validations, which JSON Schema generators do not follow) and
        // parse*()'s rules on map keys (label and annotation names) and integer bounds, not in the
        // document yet: a schema-valid spec may be a 400 there. All other checks run on these six.
        '[[operations]]',
        'include-operation-id-regex = "^(create|update)(Deployment|Cluster|Job)$"',
        'checks.positive_data_acceptance.enabled = false',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const log = join(dir, 'schemathesis.log');
    const exitCode = await runCommand(
      python,
      [
        '-m',
        'schemathesis.cli',
        '--no-color',
        '--config-file',
        config,
        'run',
        schemaFile,
        '--url',
        api.url,
        '--max-examples',
        process.env['FLINKVISOR_SCHEMATHESIS_EXAMPLES'] ?? '5',
        '--seed',
        '20261207',
        '--workers',
        '2',
        '--phases',
        process.env['FLINKVISOR_SCHEMATHESIS_PHASES'] ?? 'examples,fuzzing',
      ],
      {
        // Its example database and crash cache (.schemathesis/) go to the temporary directory.
        cwd: dir,
        logFile: log,
        timeoutMs: 150_000,
        env: { ...process.env, SCHEMATHESIS_HOOKS: '', FLINKVISOR_CONFORMANCE_TOKEN: token },
      },
    ).then(
      () => 0,
      (err: unknown) => (err instanceof CommandFailedError ? err.exitCode : -1),
    );
    const output = await readFile(log, 'utf8');
    if (exitCode !== 0) process.stderr.write(output);
    expect(exitCode).toBe(0);
    // Every generated case passed every check, and there were some for each operation.
    const [, generated, passed] = /(\d+) generated, (\d+) passed/.exec(output) ?? [];
    expect(Number(generated)).toBeGreaterThanOrEqual(operations);
    expect(passed).toBe(generated);
    expect(output).not.toMatch(/\d+ failed|❌/);
  }, 180_000);
});
