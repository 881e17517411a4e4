// Every pod Flinkvisor creates, from the charts (the operator Deployment; each FlinkDeployment the
// jobs chart renders, expanded as the operator does) and from the supervisor and operator builders
// (supervisor Deployment, JobManagers, TaskManagers, bootstrap, cleanup and savepoint search Jobs), checked for the
// least-privilege settings of ADR 0018: non-root, no privilege escalation, no capabilities, the
// RuntimeDefault seccomp profile, a read-only root file system where the program allows it, and
// an API token only where the pod talks to the API server.
import type { KubernetesObject, V1Deployment, V1Job, V1PodSpec } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FlinkDeployment } from '../../../src/api/flink-deployment.ts';
import { parseFlinkCluster, parseFlinkDeployment, parseFlinkJob } from '../../../src/api/parse.ts';
import { JOBS_CHART_DIRECTORY, OPERATOR_CHART_DIRECTORY } from '../../../src/install/chart-files.ts';
import type { Helm } from '../../../src/install/helm-cli.ts';
import { operatorManifests } from '../../../src/install/operator-manifests.ts';
import { clusterFromDeployment, jobFromDeployment } from '../../../src/operator/deployment-children.ts';
import { supervisorDeployment } from '../../../src/operator/supervisor-deployment.ts';
import { bootstrapJob, jobManagerPods, taskManagerPod } from '../../../src/supervisor/resource-builders.ts';
import { storageCleanupJob } from '../../../src/supervisor/storage-cleanup.ts';
import { savepointSearchJob } from '../../../src/supervisor/savepoint-search.ts';
import { validFixtures } from '../../fixtures/crds/corpus.ts';
import { chartHelm, HELM_SETUP_TIMEOUT_MS, HELM_TEST_TIMEOUT_MS } from './chart-helm.ts';

/** Why a pod may differ from the strictest settings; anything not listed here gets none. */
interface Allowance {
  /** The program writes into its image (Flink's entrypoint rewrites conf/, copies plugins/). */
  readonly writableRoot?: boolean;
  /** The pod calls the API server (operator, supervisor, Flink's Kubernetes HA services). */
  readonly apiToken?: boolean;
}

/** Everything a pod spec does against the defaults; empty when it complies. */
function findings(what: string, spec: V1PodSpec | undefined, allow: Allowance): string[] {
  if (!spec) return [`${what}: no pod spec`];
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.automountServiceAccountToken !== (allow.apiToken ?? false))
    out.push(`${what}: automountServiceAccountToken is ${String(spec.automountServiceAccountToken)}`);
  if (pod.seccompProfile?.type !== 'RuntimeDefault') out.push(`${what}: no RuntimeDefault seccomp profile`);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    const sc = c.securityContext ?? {};
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    const uid = sc.runAsUser ?? pod.runAsUser;
    if (nonRoot !== true) out.push(`${what}/${c.name}: runAsNonRoot not set`);
    if (uid === 0) out.push(`${what}/${c.name}: runs as uid 0`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${what}/${c.name}: privilege escalation allowed`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${what}/${c.name}: capabilities not dropped`);
    if (sc.privileged) out.push(`${what}/${c.name}: privileged`);
    const readOnly = sc.readOnlyRootFilesystem === true;
    if (readOnly === (allow.writableRoot ?? false))
      out.push(`${what}/${c.name}: readOnlyRootFilesystem is ${String(readOnly)}`);
  }
  return out;
}

function fixture(file: string): Record<string, unknown> {
  const found = validFixtures().find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return structuredClone(found.resource) as Record<string, unknown>;
}

const podSpecOf = (o: KubernetesObject): V1PodSpec | undefined =>
  (o as V1Deployment | V1Job).spec?.template.spec;

let helm: Helm;
beforeAll(async () => {
  helm = await chartHelm();
}, HELM_SETUP_TIMEOUT_MS);

describe('the pods of the flinkvisor chart', () => {
  it(
    'the operator: non-root, read-only root, its API token (it is an API client)',
    async () => {
      for (const values of [{ api: { insecureHttp: true } }, { watchNamespaces: ['a'], api: { port: 0 } }]) {
        const objects = await helm.render({
          release: 'fv',
          chart: OPERATOR_CHART_DIRECTORY,
          namespace: 'sys',
          values: [values],
        });
        const workloads = objects.filter((o) =>
          ['Deployment', 'Job', 'Pod', 'StatefulSet'].includes(o.kind ?? ''),
        );
        expect(workloads.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
          'Deployment/fv-flinkvisor-operator',
        ]);
        for (const w of workloads) expect(findings('operator', podSpecOf(w), { apiToken: true })).toEqual([]);
      }
    },
    HELM_TEST_TIMEOUT_MS,
  );

  it('the plain install manifests (demo, e2e): the same operator pod', () => {
    const deployment = operatorManifests().find((o) => o.kind === 'Deployment');
    expect(findings('operator', podSpecOf(deployment as KubernetesObject), { apiToken: true })).toEqual([]);
  });
});

describe('the pods of a FlinkCluster', () => {
  const minimal = parseFlinkCluster(fixture('cluster-minimal.yaml'));
  const haRaw = fixture('cluster-minimal.yaml');
  const haSpec = haRaw['spec'] as Record<string, Record<string, unknown>>;
  haRaw['spec'] = {
    ...haSpec,
    jobManager: { ...haSpec['jobManager'], replicas: 2, serviceAccount: 'flinkvisor-flink-ha' },
    storage: { scheme: 'file', baseDir: '/flink-data' },
  };
  const ha = parseFlinkCluster(haRaw);
  const job = parseFlinkJob(fixture('job-minimal.yaml'));

  it('the supervisor: non-root, read-only root, its API token', () => {
    expect(
      findings('supervisor', supervisorDeployment(minimal).spec?.template.spec, { apiToken: true }),
    ).toEqual([]);
  });

  it('JobManagers and TaskManagers: non-root (the image’s flink user), no token without HA; Flink writes its image', () => {
    const flink = { writableRoot: true };
    for (const pod of jobManagerPods(minimal, 1)) expect(findings('jobmanager', pod.spec, flink)).toEqual([]);
    expect(findings('taskmanager', taskManagerPod(minimal, 1, 1, 0).spec, flink)).toEqual([]);
    expect(jobManagerPods(minimal, 1)[0]?.spec?.securityContext?.runAsUser).toBe(9999);
  });

  it('with Kubernetes HA, the Flink pods get the API token their HA services need, and nothing else changes', () => {
    const flinkHa = { writableRoot: true, apiToken: true };
    const pods = jobManagerPods(ha, 1);
    expect(pods).toHaveLength(2);
    for (const pod of pods) expect(findings('jobmanager', pod.spec, flinkHa)).toEqual([]);
    expect(findings('taskmanager', taskManagerPod(ha, 1, 1, 0).spec, flinkHa)).toEqual([]);
  });

  it('the bootstrap, the cleanup and the savepoint search Job: non-root, read-only root with a scratch emptyDir as TMPDIR, no token', () => {
    const input = { jobId: 'a'.repeat(32), submission: 1, parallelism: 1, allowPrivateNetworks: false };
    const bootstrap = bootstrapJob(job, { ...input, savepointPath: null }).spec?.template.spec;
    const cleanup = storageCleanupJob(ha, { directories: ['file:///flink-data/ha'], keep: [] }).spec?.template
      .spec;
    const search = savepointSearchJob(ha, job, {
      savepointName: 'j-sp-0123456789ab',
      directory: 's3://state/savepoints',
      jobId: 'a'.repeat(32),
      since: '2026-12-07T10:00:00.000Z',
    }).spec?.template.spec;
    for (const [what, spec] of [
      ['bootstrap', bootstrap],
      ['cleanup', cleanup],
      ['savepoint-search', search],
    ] as const) {
      expect(findings(what, spec, {})).toEqual([]);
      const container = spec?.containers[0];
      const scratch = container?.volumeMounts?.find((m) => m.mountPath === '/flinkvisor-scratch');
      expect(spec?.volumes?.find((v) => v.name === scratch?.name)?.emptyDir).toBeDefined();
      expect(container?.env).toContainEqual({ name: 'TMPDIR', value: '/flinkvisor-scratch' });
    }
  });

  it('a user’s own security context still replaces ours whole', () => {
    const full = parseFlinkCluster(fixture('cluster-full.yaml'));
    const pod = jobManagerPods(full, 1)[0];
    expect(pod?.spec?.securityContext).toEqual(full.spec.jobManager.podSecurityContext);
    expect(pod?.spec?.containers[0]?.securityContext).toEqual(full.spec.jobManager.securityContext);
  });
});

describe('the pods of the flinkvisor-jobs chart’s FlinkDeployments, expanded as the operator does', () => {
  it(
    'comply, with and without HA',
    async () => {
      const jar = '/opt/flinkvisor/examples/1.20/TopSpeedWindowing.jar';
      const objects = await helm.render({
        release: 'jobs',
        chart: JOBS_CHART_DIRECTORY,
        namespace: 'team',
        values: [
          {
            storage: { scheme: 'file', baseDir: '/flink-data' },
            clusters: { ha: { jobManager: { replicas: 2 } } },
            jobs: [
              { name: 'cars', jarPath: jar },
              { name: 'trucks', jarPath: jar, cluster: 'ha' },
            ],
          },
        ],
      });
      const deployments = objects.filter((o) => o.kind === 'FlinkDeployment');
      expect(deployments.length).toBeGreaterThanOrEqual(2);
      const input = { jobId: 'a'.repeat(32), submission: 1, parallelism: 1, allowPrivateNetworks: false };
      const all: string[] = [];
      for (const raw of deployments) {
        const deployment: FlinkDeployment = parseFlinkDeployment(raw);
        const rawSpec = (
          raw as { spec: { cluster?: Record<string, unknown>; jobs: { spec?: Record<string, unknown> }[] } }
        ).spec;
        const cluster = parseFlinkCluster(clusterFromDeployment(deployment, rawSpec.cluster ?? {}));
        const apiToken = cluster.spec.jobManager.replicas > 1;
        const name = cluster.metadata.name ?? '';
        all.push(
          ...findings(`${name}/supervisor`, supervisorDeployment(cluster).spec?.template.spec, {
            apiToken: true,
          }),
        );
        for (const pod of jobManagerPods(cluster, 1))
          all.push(...findings(`${name}/jobmanager`, pod.spec, { writableRoot: true, apiToken }));
        all.push(
          ...findings(`${name}/taskmanager`, taskManagerPod(cluster, 1, 1, 0).spec, {
            writableRoot: true,
            apiToken,
          }),
        );
        deployment.spec.jobs.forEach((j, i) => {
          const flinkJob = parseFlinkJob(jobFromDeployment(deployment, j, rawSpec.jobs[i]?.spec ?? {}));
          const spec = bootstrapJob(flinkJob, { ...input, savepointPath: null }).spec?.template.spec;
          all.push(...findings(`${name}/bootstrap-${j.name}`, spec, {}));
        });
      }
      expect(all).toEqual([]);
    },
    HELM_TEST_TIMEOUT_MS,
  );
});
