import { describe, expect, it } from 'vitest';
import {
  InvalidResourceError,
  parseFlinkCluster,
  parseFlinkDeployment,
  parseFlinkJob,
  safeParseFlinkJob,
  safeParseFlinkJobSpec,
} from '../../../src/api/parse.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';

const fixture = (file: string) => {
  const found = validFixtures().find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return structuredClone(found.resource);
};

describe('parse: every default in place', () => {
  it('fills in a minimal FlinkJob', () => {
    const job = parseFlinkJob(fixture('job-minimal.yaml'));
    expect(job.spec).toEqual({
      clusterName: 'minimal',
      jobParallelism: 1,
      minJobParallelism: 0,
      maxJobParallelism: 32,
      upgradeMode: 'savepoint',
      drainOnStop: false,
      maxCheckpointAge: 600,
      upgrade: { healthCheckWindow: 0, maxRestarts: 0, rollback: false },
      bootstrap: {
        image: 'flinkvisor:latest',
        jarURI: 'file:///opt/flink/examples/streaming/WordCount.jar',
        pullPolicy: 'IfNotPresent',
        serviceAccount: 'default',
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '256Mi' } },
      },
      savepoint: {
        savepointMode: 'Manual',
        savepointInterval: 0,
        allowNonRestoredState: false,
        savepointOnDelete: false,
      },
      restart: { restartPolicy: 'Never', restartDelay: 60, restartTimeout: 180 },
    });
  });

  it('fills in a minimal FlinkCluster', () => {
    const cluster = parseFlinkCluster(fixture('cluster-minimal.yaml'));
    expect(cluster.spec).toMatchObject({
      taskManagers: 0,
      minTaskManagers: 0,
      maxTaskManagers: 32,
      runtime: { image: 'flink:2.3.0-java21', pullPolicy: 'IfNotPresent' },
      jobManager: { serviceMode: 'ClusterIP', serviceAccount: 'default', args: ['jobmanager'] },
      taskManager: { taskSlots: 1, serviceAccount: 'default', args: ['taskmanager'] },
      supervisor: {
        image: 'flinkvisor:latest',
        pullPolicy: 'IfNotPresent',
        serviceAccount: 'flinkvisor-supervisor',
        pollingInterval: 5,
        taskTimeout: 300,
        rescaleDelay: 60,
        rescalePolicy: 'JobParallelism',
        replicas: 1,
        resources: { requests: { cpu: '100m', memory: '160Mi' }, limits: { cpu: '1', memory: '160Mi' } },
      },
    });
    expect(cluster.spec.storage).toBeUndefined();
    expect(cluster.spec.flinkConfiguration).toBeUndefined();
  });

  it("reads the toolbox manual's demo deployment and keeps what it sets", () => {
    const demo = parseFlinkDeployment(fixture('manual-demo-deployment.yaml'));
    expect(demo.spec.jobs.map((j) => j.name)).toEqual(['computeaverage', 'computemaximum']);
    expect(demo.spec.cluster.supervisor).toMatchObject({
      serviceAccount: 'flink-supervisor',
      taskTimeout: 180,
      pollingInterval: 5,
    });
    expect(demo.spec.cluster.jobManager.volumes).toEqual([
      { name: 'config-vol', configMap: { name: 'demo-job-parameters-v1' } },
    ]);
    expect(demo.spec.cluster.taskManager.extraPorts).toEqual([
      { name: 'prometheus', containerPort: 9250, protocol: 'TCP' },
    ]);
    const [average] = demo.spec.jobs;
    expect(average?.spec.savepoint).toEqual({
      savepointMode: 'Automatic',
      savepointInterval: 600,
      savepointTargetPath: 's3p://nextbreakpoint-demo/savepoints',
      allowNonRestoredState: false,
      savepointOnDelete: false,
    });
    expect(average?.spec.bootstrap.jarPath).toBe('/flink-jobs.jar');
  });

  it('does not crash on an object stored before a default existed: missing sections are filled in', () => {
    const stored = fixture('job-minimal.yaml') as { spec: Record<string, unknown> };
    delete stored.spec['savepoint'];
    stored.spec['savepoint'] = { savepointMode: 'Manual' };
    delete stored.spec['restart'];
    const job = parseFlinkJob(stored);
    expect(job.spec.restart).toEqual({ restartPolicy: 'Never', restartDelay: 60, restartTimeout: 180 });
  });

  it('keeps fields of preserved core types it does not model (volume sources, container fields)', () => {
    const cluster = parseFlinkCluster(fixture('cluster-full.yaml'));
    expect(cluster.spec.taskManager.volumes?.[0]).toEqual({
      name: 'scratch',
      emptyDir: { sizeLimit: '2Gi' },
    });
    expect(cluster.spec.jobManager.affinity?.nodeAffinity).toBeDefined();
    expect(cluster.spec.jobManager.securityContext?.capabilities?.drop).toEqual(['ALL']);
  });

  it('keeps status as written, including the machine snapshot', () => {
    const job = fixture('job-minimal.yaml');
    const status = {
      supervisorStatus: 'Started',
      jobStatus: 'RUNNING',
      machine: { version: 3, value: { running: 'polling' }, context: { retries: 0 } },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Running',
          message: 'job is running',
          lastTransitionTime: '2026-11-20T10:00:00Z',
        },
      ],
    };
    expect(parseFlinkJob({ ...job, status }).status).toEqual(status);
  });
});

describe('parse: errors name the fields', () => {
  it('throws InvalidResourceError with API-server-style paths', () => {
    const job = fixture('job-minimal.yaml') as { spec: Record<string, unknown> };
    job.spec['minJobParallelism'] = 9;
    job.spec['maxJobParallelism'] = 3;
    job.spec['bootstrap'] = { image: 'x', jarURI: 'ftp://nope/x.jar' };
    const run = () => parseFlinkJob(job);
    expect(run).toThrow(InvalidResourceError);
    expect(run).toThrow(/FlinkJob minimal-wordcount is invalid: spec\.bootstrap\.jarURI: /);
    const result = safeParseFlinkJob(job);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.issues.map((i) => i.path)).toContain('spec.bootstrap.jarURI');
  });

  it('reports cross-field rules at the field the API server names', () => {
    const result = safeParseFlinkJobSpec({
      clusterName: 'c',
      minJobParallelism: 9,
      maxJobParallelism: 3,
      bootstrap: { image: 'x', jarPath: '/a.jar' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.issues).toEqual([
        {
          path: 'spec.minJobParallelism',
          message: 'minJobParallelism must be less than or equal to maxJobParallelism',
        },
        {
          path: 'spec.savepoint.savepointTargetPath',
          message:
            'savepoint.savepointTargetPath is required when savepointMode is Automatic or savepointInterval is greater than 0',
        },
      ]);
    }
  });
});
