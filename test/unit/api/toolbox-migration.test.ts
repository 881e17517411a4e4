// `flinkvisor migrate` on the toolbox manual's own example (test/fixtures/toolbox: its
// flinkproperties.yaml, jobparameters.yaml, deployment.yaml and the status objects it prints), and
// on variations of it for what the example does not show.
import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ANNOTATIONS, TOOLBOX_ANNOTATIONS } from '../../../src/api/names.ts';
import { parseFlinkCluster, parseFlinkDeployment, parseFlinkJob } from '../../../src/api/parse.ts';
import {
  formatMigrationNote,
  migrateToolboxManifests,
  type MigrationNote,
} from '../../../src/api/toolbox-migration.ts';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.ts';
import { buildProgram } from '../../../src/cli/program.ts';

const FIXTURES = new URL('../../fixtures/toolbox/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, FIXTURES), 'utf8');
const yamlDocs = (file: string) =>
  parseAllDocuments(read(file)).map((d) => d.toJS() as Record<string, unknown>);
const MANUAL_STATUS = JSON.parse(read('status.json')) as Record<string, Record<string, unknown>>;
const IMAGE = 'registry.example.com/flinkvisor:0.1.0';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const clone = <T>(v: T): T => structuredClone(v);
const manualDeployment = (): Obj => yamlDocs('deployment.yaml')[0] as Obj;
const configMaps = () => [...yamlDocs('flinkproperties.yaml'), ...yamlDocs('jobparameters.yaml')];
const migrate = (docs: unknown[], clusterName?: string) =>
  migrateToolboxManifests(docs, { supervisorImage: IMAGE, ...(clusterName ? { clusterName } : {}) });
const notesAt = (notes: readonly MigrationNote[], kind: MigrationNote['kind']) =>
  notes.filter((n) => n.kind === kind).map((n) => `${n.resource}: ${n.path}`);

/** The FlinkCluster and FlinkJob the toolbox operator made of the demo, as `kubectl get -o yaml` shows them. */
function manualChildren(): Obj[] {
  const fd = manualDeployment();
  const labels = { owner: 'flink-operator', clusterName: 'demo', component: 'flink' };
  const finalizers = ['operator.nextbreakpoint.com', 'supervisor.nextbreakpoint.com'];
  return [
    {
      apiVersion: 'nextbreakpoint.com/v1',
      kind: 'FlinkCluster',
      metadata: { name: 'demo', namespace: 'flink-jobs', labels, finalizers, resourceVersion: '562190' },
      spec: clone(fd['spec']['cluster']),
      status: MANUAL_STATUS['FlinkCluster/demo'],
    },
    {
      apiVersion: 'nextbreakpoint.com/v1',
      kind: 'FlinkJob',
      metadata: {
        name: 'demo-computeaverage',
        namespace: 'flink-jobs',
        labels: { ...labels, jobName: 'computeaverage' },
        finalizers,
        annotations: {
          'operator.nextbreakpoint.com/requested-action': 'NONE',
          'operator.nextbreakpoint.com/action-timestamp': '1608112682343',
          'operator.nextbreakpoint.com/without-savepoint': 'false',
          'operator.nextbreakpoint.com/delete-resources': 'false',
          'operator.nextbreakpoint.com/should-restart': 'false',
        },
      },
      spec: clone(fd['spec']['jobs'][0]['spec']),
      status: MANUAL_STATUS['FlinkJob/demo-computeaverage'],
    },
  ];
}

describe("the manual's demo (flinkproperties.yaml, jobparameters.yaml, deployment.yaml)", () => {
  const input = [...configMaps(), manualDeployment()];
  const result = migrate(clone(input));

  it('converts the FlinkDeployment to one the Flinkvisor schema accepts, and passes the ConfigMaps through', () => {
    expect(result.failed).toBe(false);
    expect(result.documents).toHaveLength(4);
    expect(result.documents.slice(0, 3)).toEqual(input.slice(0, 3));
    const fd = result.documents[3] as Obj;
    expect(fd['apiVersion']).toBe('flinkvisor.io/v1');
    expect(fd['kind']).toBe('FlinkDeployment');
    expect(() => parseFlinkDeployment(fd)).not.toThrow();
  });

  it('keeps every field as the manual wrote it, but the supervisor image and the ServiceAccounts', () => {
    const expected = manualDeployment();
    expected['apiVersion'] = 'flinkvisor.io/v1';
    expected['spec']['cluster']['supervisor']['image'] = IMAGE;
    expected['spec']['cluster']['supervisor']['serviceAccount'] = 'flinkvisor-supervisor';
    for (const job of expected['spec']['jobs'])
      job['spec']['bootstrap']['serviceAccount'] = 'flinkvisor-bootstrap';
    expect(result.documents[3]).toEqual(expected);
  });

  it('notes each change, and each setting to review, with its path', () => {
    const fd = 'FlinkDeployment demo';
    expect(notesAt(result.notes, 'changed')).toEqual([
      `${fd}: spec.cluster.supervisor.serviceAccount`,
      `${fd}: spec.cluster.supervisor.image`,
      `${fd}: spec.jobs[0].spec.bootstrap.serviceAccount`,
      `${fd}: spec.jobs[1].spec.bootstrap.serviceAccount`,
    ]);
    expect(notesAt(result.notes, 'review')).toEqual([
      ...['demo-jobmanager-properties-v1', 'demo-taskmanager-properties-v1'].flatMap((cm) =>
        [
          'metrics.reporter.prometheus.class',
          'state.backend',
          'state.savepoints.dir',
          'state.checkpoints.dir',
          's3.access-key',
          's3.secret-key',
        ].map((key) => `ConfigMap ${cm}: data.FLINK_PROPERTIES[${key}]`),
      ),
      `${fd}: spec.cluster.runtime.image`,
      `${fd}: spec.jobs[0].spec.restart.restartPolicy`,
      `${fd}: spec.jobs[0].spec.bootstrap.image`,
      `${fd}: spec.jobs[1].spec.restart.restartPolicy`,
      `${fd}: spec.jobs[1].spec.bootstrap.image`,
    ]);
    expect(notesAt(result.notes, 'default')).toEqual([]);
    expect(notesAt(result.notes, 'dropped')).toEqual([]);
    const image = result.notes.find((n) => n.path === 'spec.cluster.supervisor.image');
    expect(formatMigrationNote(image!)).toBe(
      `FlinkDeployment demo: spec.cluster.supervisor.image: changed: ${IMAGE} (was nextbreakpoint/flinkctl:1.4.4-beta): the supervisor is the Flinkvisor image`,
    );
  });
});

describe('kubectl get fd,fc,fj -o yaml of the running demo (a List, with the status the manual prints)', () => {
  const list = (savepointPath: string) => {
    const [fc, fj] = manualChildren();
    fj!['status'] = { ...fj!['status'], savepointPath };
    const fd = manualDeployment();
    fd['metadata'] = {
      ...fd['metadata'],
      namespace: 'flink-jobs',
      finalizers: ['operator.nextbreakpoint.com'],
      uid: '2c8e4d4e-1111-2222-3333-444455556666',
      generation: 1,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"nextbreakpoint.com/v1"}',
      },
    };
    fd['status'] = MANUAL_STATUS['FlinkDeployment/demo'];
    return { apiVersion: 'v1', kind: 'List', items: [fd, fc, fj] };
  };

  it("leaves out the children the operator will create again, and the toolbox's state", () => {
    const result = migrate([list('')]);
    expect(result.failed).toBe(false);
    expect(result.documents).toHaveLength(1);
    const fd = result.documents[0] as Obj;
    expect(fd['metadata']).toEqual({ name: 'demo', namespace: 'flink-jobs' });
    expect(fd['status']).toBeUndefined();
    expect(fd['spec']['jobs'][0]['spec']['savepoint']['initialSavepointPath']).toBeUndefined();
    expect(notesAt(result.notes, 'dropped')).toEqual([
      'FlinkDeployment flink-jobs/demo: status',
      'FlinkDeployment flink-jobs/demo: metadata.finalizers',
      'FlinkDeployment flink-jobs/demo: metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]',
      'FlinkCluster flink-jobs/demo: status',
      'FlinkCluster flink-jobs/demo: metadata.finalizers',
      'FlinkCluster flink-jobs/demo: ',
      'FlinkJob flink-jobs/demo-computeaverage: status',
      'FlinkJob flink-jobs/demo-computeaverage: metadata.finalizers',
      'FlinkJob flink-jobs/demo-computeaverage: metadata.annotations[operator.nextbreakpoint.com/requested-action]',
      'FlinkJob flink-jobs/demo-computeaverage: metadata.annotations[operator.nextbreakpoint.com/action-timestamp]',
      'FlinkJob flink-jobs/demo-computeaverage: metadata.annotations[operator.nextbreakpoint.com/without-savepoint]',
      'FlinkJob flink-jobs/demo-computeaverage: metadata.annotations[operator.nextbreakpoint.com/delete-resources]',
      'FlinkJob flink-jobs/demo-computeaverage: metadata.annotations[operator.nextbreakpoint.com/should-restart]',
      'FlinkJob flink-jobs/demo-computeaverage: ',
    ]);
  });

  it('resumes a job from the latest savepoint the toolbox recorded in its status', () => {
    const path = 's3p://nextbreakpoint-demo/savepoints/savepoint-82cf4d-5d1b8a0e3f4c';
    const result = migrate([list(path)]);
    const jobs = (result.documents[0] as Obj)['spec']['jobs'];
    expect(jobs[0]['spec']['savepoint']['initialSavepointPath']).toBe(path);
    expect(jobs[1]['spec']['savepoint']['initialSavepointPath']).toBeUndefined();
    expect(notesAt(result.notes, 'changed')).toContain(
      'FlinkDeployment flink-jobs/demo: spec.jobs[0].spec.savepoint.initialSavepointPath',
    );
  });
});

describe('a standalone FlinkCluster and FlinkJob (the demo without its FlinkDeployment)', () => {
  const standalone = () => {
    const [fc, fj] = manualChildren();
    delete fj!['metadata']['labels'];
    return [fc!, fj!];
  };

  it('binds the job to the cluster whose name prefixes it, as the toolbox did, now by spec.clusterName', () => {
    const result = migrate(standalone());
    expect(result.failed).toBe(false);
    const [fc, fj] = result.documents as Obj[];
    expect(parseFlinkCluster(fc).spec.supervisor.image).toBe(IMAGE);
    expect(parseFlinkJob(fj).spec.clusterName).toBe('demo');
    expect(fj!['spec']['clusterName']).toBe('demo');
    expect(fj!['metadata']['annotations']).toBeUndefined();
  });

  it('takes the clusterName label the toolbox operator set, or --cluster; without either the job is an error', () => {
    const job = standalone()[1]!;
    const labelled = clone(job);
    labelled['metadata']['labels'] = { clusterName: 'other' };
    expect((migrate([labelled]).documents[0] as Obj)['spec']['clusterName']).toBe('other');
    expect((migrate([clone(job)], 'given').documents[0] as Obj)['spec']['clusterName']).toBe('given');
    const alone = migrate([clone(job)]);
    expect(alone.failed).toBe(true);
    expect(alone.documents).toEqual([]);
    expect(notesAt(alone.notes, 'error')).toEqual([
      'FlinkJob flink-jobs/demo-computeaverage: spec.clusterName',
    ]);
  });
});

describe('what the manual example does not show', () => {
  const job = (spec: Obj, metadata: Obj = {}) => ({
    apiVersion: 'nextbreakpoint.com/v1',
    kind: 'FlinkJob',
    metadata: { name: 'demo-wc', ...metadata },
    spec,
  });
  const bootstrap = { image: 'demo/jobs:latest', jarPath: '/flink-jobs.jar', className: 'demo.WordCount' };

  it("writes out the toolbox's defaults where Flinkvisor's differ, and renames savepointPath", () => {
    const result = migrate(
      [
        job({
          bootstrap,
          savepoint: { savepointTargetPath: 's3://b/sp', savepointPath: '"s3://b/sp/savepoint-1"' },
        }),
      ],
      'demo',
    );
    expect(result.failed).toBe(false);
    const spec = (result.documents[0] as Obj)['spec'];
    expect(spec['jobParallelism']).toBe(0);
    expect(spec['savepoint']).toEqual({
      savepointTargetPath: 's3://b/sp',
      initialSavepointPath: 's3://b/sp/savepoint-1',
      savepointMode: 'Automatic',
      savepointInterval: 3600,
    });
    expect(spec['restart']).toEqual({ restartPolicy: 'Never' });
    expect(
      notesAt(result.notes, 'default')
        .map((n) => n.split(': ')[1])
        .sort(),
    ).toEqual(
      [
        'spec.savepoint.savepointMode',
        'spec.savepoint.savepointInterval',
        'spec.restart.restartPolicy',
        'spec.jobParallelism',
      ].sort(),
    );
    expect(notesAt(result.notes, 'renamed')).toEqual(['FlinkJob demo-wc: spec.savepoint.savepointPath']);
    expect(parseFlinkJob(result.documents[0]).spec.jobParallelism).toBe(0);
  });

  it('moves a pending request to the Flinkvisor annotations', () => {
    const result = migrate(
      [
        job(
          { bootstrap, savepoint: { savepointMode: 'Manual', savepointInterval: 0 } },
          {
            annotations: {
              [TOOLBOX_ANNOTATIONS.requestedAction]: 'STOP',
              [TOOLBOX_ANNOTATIONS.withoutSavepoint]: 'true',
              team: 'analytics',
            },
          },
        ),
      ],
      'demo',
    );
    expect((result.documents[0] as Obj)['metadata']['annotations']).toEqual({
      [ANNOTATIONS.requestedAction]: 'STOP',
      [ANNOTATIONS.withoutSavepoint]: 'true',
      team: 'analytics',
    });
  });

  it('drops a field nextbreakpoint.com/v1 does not have, brings bounded settings into range, and flags what behaves differently', () => {
    const cluster = clone(manualDeployment()['spec']['cluster']);
    cluster['supervisor'] = { ...cluster['supervisor'], pollingInterval: 2, replicas: 9, flavour: 'x' };
    cluster['jobManager']['securityContext'] = { runAsNonRoot: true };
    const fc = {
      apiVersion: 'nextbreakpoint.com/v1',
      kind: 'FlinkCluster',
      metadata: { name: 'demo' },
      spec: cluster,
    };
    const wc = job({
      bootstrap: { ...bootstrap, arguments: ['--input', 'file:///data/a b.txt'] },
      savepoint: { savepointMode: 'Manual', savepointInterval: 0 },
      restart: { restartPolicy: 'OnlyIfFailed' },
      jobParallelism: 2,
    });
    const result = migrate([fc, wc]);
    expect(result.failed).toBe(false);
    const supervisor = (result.documents[0] as Obj)['spec']['supervisor'];
    expect(supervisor['pollingInterval']).toBe(5);
    expect(supervisor['replicas']).toBe(5);
    expect(supervisor['flavour']).toBeUndefined();
    expect(notesAt(result.notes, 'dropped')).toEqual(['FlinkCluster demo: spec.supervisor.flavour']);
    expect(notesAt(result.notes, 'review')).toEqual(
      expect.arrayContaining([
        'FlinkCluster demo: spec.jobManager.securityContext',
        'FlinkJob demo-wc: spec.bootstrap.arguments',
      ]),
    );
    expect((result.documents[1] as Obj)['spec']['bootstrap']['arguments']).toEqual([
      '--input',
      'file:///data/a b.txt',
    ]);
  });

  it('leaves out what Flinkvisor would refuse, and says why: a name too long, a kind the toolbox never had', () => {
    const fd = manualDeployment();
    fd['metadata']['name'] = 'd'.repeat(50);
    const result = migrate([
      fd,
      { apiVersion: 'nextbreakpoint.com/v1', kind: 'FlinkSession', metadata: { name: 's' } },
    ]);
    expect(result.failed).toBe(true);
    expect(result.documents).toEqual([]);
    const errors = result.notes.filter((n) => n.kind === 'error');
    expect([...new Set(errors.map((n) => n.resource))]).toEqual([
      `FlinkDeployment ${'d'.repeat(50)}`,
      'FlinkSession s',
    ]);
    expect(errors[0]!.message).toMatch(/at most 45|45 characters/);
  });
});

describe('flinkvisor migrate', () => {
  async function run(args: string[], stdinText: string) {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      new Writable({
        write(chunk, _enc, done) {
          append(String(chunk));
          done();
        },
      });
    const program = buildProgram({
      env: {},
      stdout: sink((s) => (out += s)),
      stderr: sink((s) => (err += s)),
      stdin: Readable.from([Buffer.from(stdinText)]),
    });
    let code: number = EXIT.ok;
    await program.parseAsync(['node', 'flinkvisor', ...args]).catch((e: unknown) => (code = exitCodeFor(e)));
    return { out, err, code };
  }

  it('reads -f - and writes the manifests to stdout, the notes to stderr', async () => {
    const { out, err, code } = await run(
      ['migrate', '-f', '-', '--supervisor-image', IMAGE],
      read('deployment.yaml'),
    );
    expect(code).toBe(EXIT.ok);
    const docs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    expect(docs).toHaveLength(1);
    expect(parseFlinkDeployment(docs[0]).spec.cluster.supervisor.image).toBe(IMAGE);
    expect(
      err
        .split('\n')
        .filter(Boolean)
        .every((line) => line.startsWith('# FlinkDeployment demo: ')),
    ).toBe(true);
  });

  it('reads a file, and exits 1 when a resource could not be converted', async () => {
    const fixture = new URL('deployment.yaml', FIXTURES).pathname;
    expect((await run(['migrate', '-f', fixture], '')).code).toBe(EXIT.ok);
    const { code, err } = await run(
      ['migrate', '-f', '-'],
      'apiVersion: nextbreakpoint.com/v1\nkind: FlinkJob\nmetadata: {name: lonely}\nspec: {}\n',
    );
    expect(code).toBe(EXIT.failure);
    expect(err).toContain('FlinkJob lonely: spec.clusterName: error:');
    expect((await run(['migrate', '-f', '/nonexistent.yaml'], '')).code).toBe(EXIT.usage);
  });
});
