// JobManager HA (docs/jobmanager-ha.md, ADR 0011): a FlinkCluster with jobManager.replicas 2 runs a
// leader and a standby with Flink's Kubernetes HA services, reaching the API server as their pods'
// ServiceAccount through the node agent's in-cluster identity. The leader's JVM is killed with
// SIGKILL while a checkpointing streaming job runs: the standby must take over and recover the job
// from its latest checkpoint under the same job id, and the supervisor must follow it (no cancel,
// no second submission, no cluster restart) and record the failover. The takeover time is printed.
// State lives on the local S3 server (versitygw). At the end, the cluster (autoClean: true) is
// deleted: Flink's HA ConfigMaps and the cluster's ha/ and checkpoints/ directories must be gone,
// its savepoints kept, within a bound (ADR 0012); the bucket is listed through the S3 API.
import { BatchV1Api, CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3PluginJarName } from '../../src/devenv/flink-distribution.ts';
import { flinkRelease } from '../../src/devenv/versions.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { FLINK_HA_SERVICE_ACCOUNT, flinkHighAvailabilityRoleSet } from '../../src/install/rbac.ts';
import { HA_LEADER_ANNOTATION, haClusterConfigMapName } from '../../src/supervisor/observer.ts';
import {
  highAvailabilityConfigMapPrefix,
  highAvailabilityConfigMapSelector,
} from '../../src/supervisor/storage-cleanup.ts';
import {
  CLUSTERS,
  JOBS,
  clusterPods,
  createResource,
  customObjects,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  flinkJson,
  podProcessGroups,
  readResource,
  requestAction,
  signalGroups,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForClusterRemoved,
  waitForStatus,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';

let s: SupervisedEnvironment;

/** Where in the bucket the clusters of this file keep their state. */
const BASE = 'ha-e2e';

beforeAll(async () => {
  s = await startSupervisedEnvironment();
});

afterAll(async () => {
  await s?.stop();
});

interface Checkpoints {
  counts: { completed: number };
  latest: { restored?: { id: number; is_savepoint: boolean } | null };
}

interface Leader {
  readonly holder: string;
  readonly pod: string;
  readonly ip: string;
}

describe.each([
  { line: '1.20', image: 'flink:1.20' },
  { line: '2.3', image: 'flink:2.3' },
])('JobManager HA on Flink $line', ({ line, image }) => {
  const ns = `e2e-ha-${line.replace('.', '')}`;
  const cluster = 'ha';
  const job = 'cars';
  const jobName = `${cluster}-${job}`;
  let jobId = '';

  const core = () => s.kc.makeApiClient(CoreV1Api);
  /** The key prefix of one of the cluster's state directories in the bucket. */
  const prefixOf = (kind: 'checkpoints' | 'savepoints' | 'ha') => `${BASE}/${kind}/${ns}/${cluster}/`;
  const bucketKeys = async (prefix: string) => {
    const store = s.env.objectStore;
    return (await store.client.listObjects(store.bucket, prefix)).map((o) => o.key);
  };
  const haConfigMaps = async () =>
    (
      await core().listNamespacedConfigMap({
        namespace: ns,
        labelSelector: highAvailabilityConfigMapSelector(cluster),
      })
    ).items
      .map((cm) => cm.metadata?.name ?? '')
      .filter((name) => name.startsWith(highAvailabilityConfigMapPrefix(cluster)));

  /** Who leads, from Flink's own HA record; undefined while no JobManager pod matches it. */
  async function leader(): Promise<Leader | undefined> {
    const cm: V1ConfigMap | undefined = await core()
      .readNamespacedConfigMap({ name: haClusterConfigMapName(cluster), namespace: ns })
      .catch(() => undefined);
    const record = cm?.metadata?.annotations?.[HA_LEADER_ANNOTATION];
    if (!record) return undefined;
    const holder = String((JSON.parse(record) as { holderIdentity?: string }).holderIdentity ?? '');
    const rest = Object.entries(cm?.data ?? {}).find(([k]) => k.endsWith('.restserver'))?.[1] ?? '';
    const pods = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    const pod = pods.find((p) => p.status?.podIP && rest.includes(`//${p.status.podIP}:`));
    if (!holder || !pod?.metadata?.name || !pod.status?.podIP) return undefined;
    return { holder, pod: pod.metadata.name, ip: pod.status.podIP };
  }

  const checkpoints = (ip: string) => flinkJson<Checkpoints>(`http://${ip}:8081/jobs/${jobId}/checkpoints`);

  beforeAll(async () => {
    await supervisedNamespace(s.kc, ns);
    const ha = flinkHighAvailabilityRoleSet(ns);
    await applyObjects(s.kc, [ha.serviceAccount, ha.role, ha.roleBinding]);
    const store = s.env.objectStore;
    await core().createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'state-credentials' },
        stringData: { AWS_ACCESS_KEY_ID: store.accessKeyId, AWS_SECRET_ACCESS_KEY: store.secretAccessKey },
      },
    });
    const manifest = flinkClusterManifest(ns, cluster, {
      flinkImage: image,
      rescalePolicy: 'None',
      taskManagers: 1,
      flinkConfiguration: {
        'execution.checkpointing.interval': '2 s',
        's3.endpoint.region': store.region,
        // The node agent restarts a killed container after 1 s (a kubelet waits 10 s and more), so
        // with Flink's 15 s lease the killed JobManager, back in its pod, often wins the lock again.
        // A 5 s lease, renewed every second, lets the standby take over before that.
        'high-availability.kubernetes.leader-election.lease-duration': '5 s',
        'high-availability.kubernetes.leader-election.renew-deadline': '5 s',
        'high-availability.kubernetes.leader-election.retry-period': '1 s',
      },
    });
    const environment = [{ name: 'ENABLE_BUILT_IN_PLUGINS', value: s3PluginJarName(flinkRelease(line)) }];
    const haManifest = {
      ...manifest,
      spec: {
        ...manifest.spec,
        jobManager: { replicas: 2, serviceAccount: FLINK_HA_SERVICE_ACCOUNT, environment },
        taskManager: { ...manifest.spec.taskManager, serviceAccount: FLINK_HA_SERVICE_ACCOUNT, environment },
        // Checkpoints, savepoints and the HA metadata in the bucket, as in production.
        storage: {
          scheme: 's3',
          baseDir: `${store.bucket}/${BASE}`,
          s3: {
            endpoint: store.endpoint,
            pathStyleAccess: true,
            credentialsSecret: { name: 'state-credentials' },
          },
        },
        autoClean: true,
      },
    };
    await createResource(s.kc, haManifest);
    await deploySupervisor(s.kc, ns, cluster);
    // Automatic: deleting the cluster stops the job with a savepoint, which autoClean must keep.
    const fj = flinkJobManifest(ns, cluster, job, s.stateDir, {
      line,
      savepointMode: 'Automatic',
      parallelism: 1,
    });
    fj.spec.savepoint.savepointTargetPath = `s3://${store.bucket}/${prefixOf('savepoints')}${jobName}`;
    await createResource(s.kc, fj);
  });

  afterAll(async () => {
    // Leave the two cores to whatever runs next: stop the cluster and wait for its JVMs to go.
    await requestAction(s.kc, CLUSTERS, ns, cluster, 'STOP').catch(() => undefined);
    await waitForClusterRemoved(s.kc, ns, cluster).catch(() => undefined);
  });

  it('runs two JobManagers of one epoch, one leading, and the job checkpointing', async () => {
    const started = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      jobName,
      'Started and RUNNING',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
      360_000,
    );
    jobId = String(started.status?.['jobId']);
    const jobManagers = await clusterPods(s.kc, ns, cluster, 'jobmanager');
    expect(jobManagers.map((p) => p.metadata?.name).sort()).toEqual([
      `jobmanager-${cluster}-1-0`,
      `jobmanager-${cluster}-1-1`,
    ]);
    const first = await waitFor('a leader in the HA ConfigMap', leader, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await waitFor(
      'a completed checkpoint',
      async () =>
        ((await checkpoints(first.ip).catch(() => undefined))?.counts.completed ?? 0) > 0 || undefined,
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'the leader in status',
      (st) => st['jobManagerLeader'] === first.pod,
      60_000,
    );
    // What the standby answers on REST decides which JobManager the Service may route to.
    const standby = jobManagers.find((p) => p.metadata?.name !== first.pod);
    const answer = await fetch(`http://${standby?.status?.podIP}:8081/overview`).catch(() => undefined);
    process.stderr.write(
      `[ha ${line}] leader ${first.pod}; standby /overview answers ${answer?.status ?? 'nothing'}\n`,
    );
  });

  it('SIGKILL of the leading JobManager: the standby recovers the job under the same id; the supervisor follows it', async () => {
    const batch = s.kc.makeApiClient(BatchV1Api);
    const bootstrap = await batch
      .readNamespacedJob({ name: `bootstrap-${jobName}`, namespace: ns })
      .catch(() => undefined);
    const before = await readResource(s.kc, JOBS, ns, jobName);
    const submission = (r: typeof before) =>
      (r?.status?.['machine'] as { context?: { submission?: number } } | undefined)?.context?.submission;
    const submissionBefore = submission(before);
    const clusterBefore = await readResource(s.kc, CLUSTERS, ns, cluster);
    const epoch = (r: typeof clusterBefore) =>
      (r?.status?.['machine'] as { context?: { epoch?: number } } | undefined)?.context?.epoch;
    const [supervisor] = await clusterPods(s.kc, ns, cluster, 'supervisor');
    const old = await waitFor('the leader', leader, { timeoutMs: 60_000, intervalMs: 500 });
    const completedBefore = (await checkpoints(old.ip)).counts.completed;

    const groups = await podProcessGroups(s, ns, old.pod);
    expect(groups.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    signalGroups(groups, 'SIGKILL');

    // Taken over: another JobManager process holds the lock and runs the job, under its id, again.
    const next = await waitFor(
      'a new leader running the job',
      async () => {
        const now = await leader();
        if (!now || now.holder === old.holder) return undefined;
        const state = await flinkJson<{ state: string }>(`http://${now.ip}:8081/jobs/${jobId}`).catch(
          () => undefined,
        );
        return state?.state === 'RUNNING' ? now : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 250 },
    );
    const takeoverMs = Date.now() - killedAt;
    process.stderr.write(
      `[ha ${line}] takeover: ${(takeoverMs / 1000).toFixed(1)} s from SIGKILL of ${old.pod} to job ${jobId} RUNNING on ${next.pod}\n`,
    );
    expect(next.pod).not.toBe(old.pod);

    // Recovered from a checkpoint, and checkpointing goes on.
    const restored = await waitFor(
      'restore information and a new checkpoint',
      async () => {
        const c = await checkpoints(next.ip).catch(() => undefined);
        return c?.latest.restored && c.counts.completed > 0 ? c : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    expect(restored.latest.restored?.is_savepoint).toBe(false);
    expect(completedBefore).toBeGreaterThan(0);

    // The supervisor followed the failover: recorded, nothing restarted, cancelled or resubmitted.
    const clusterAfter = await waitForStatus(
      s.kc,
      CLUSTERS,
      ns,
      cluster,
      'the failover recorded',
      (st) => st['jobManagerLeader'] === next.pod && Number(st['jobManagerFailovers'] ?? 0) >= 1,
      120_000,
    );
    expect(clusterAfter.status?.['supervisorStatus']).toBe('Started');
    expect(epoch(clusterAfter)).toBe(epoch(clusterBefore));
    const jobAfter = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      jobName,
      'RUNNING again',
      (st) => st['supervisorStatus'] === 'Started' && st['jobStatus'] === 'RUNNING',
      120_000,
    );
    expect(jobAfter.status?.['jobId']).toBe(jobId);
    expect(submission(jobAfter)).toBe(submissionBefore);
    const bootstrapAfter = await batch
      .readNamespacedJob({ name: `bootstrap-${jobName}`, namespace: ns })
      .catch(() => undefined);
    expect(bootstrapAfter?.metadata?.uid).toBe(bootstrap?.metadata?.uid);
    const jobs = await flinkJson<{ jobs: { id: string; status: string }[] }>(`http://${next.ip}:8081/jobs`);
    expect(jobs.jobs).toEqual([{ id: jobId, status: 'RUNNING' }]);
    const events = await core().listNamespacedEvent({ namespace: ns });
    const reasons = events.items.map((e) => e.reason);
    expect(reasons).toContain('JobManagerFailover');
    expect(reasons).not.toContain('JobLost');
    const [supervisorAfter] = await clusterPods(s.kc, ns, cluster, 'supervisor');
    expect(supervisorAfter?.metadata?.uid).toBe(supervisor?.metadata?.uid);
    expect(supervisorAfter?.status?.containerStatuses?.[0]?.restartCount ?? 0).toBe(0);
    // The killed JobManager's container was restarted in its pod: the cluster keeps two.
    expect(await clusterPods(s.kc, ns, cluster, 'jobmanager')).toHaveLength(2);
  });

  it('autoClean: deleting the cluster removes its HA ConfigMaps, ha/ and checkpoints/ directories, keeps savepoints', async () => {
    // Before: Flink's HA ConfigMaps, HA blobs and checkpoints exist.
    const configMapsBefore = await haConfigMaps();
    const haBefore = await bucketKeys(prefixOf('ha'));
    const checkpointsBefore = await bucketKeys(prefixOf('checkpoints'));
    process.stderr.write(
      `[ha ${line}] before deletion: ${configMapsBefore.length} HA ConfigMaps, ${haBefore.length} ha/ objects, ${checkpointsBefore.length} checkpoints/ objects\n`,
    );
    expect(configMapsBefore).toContain(haClusterConfigMapName(cluster));
    expect(haBefore.length).toBeGreaterThan(0);
    expect(checkpointsBefore.some((k) => k.endsWith('/_metadata'))).toBe(true);

    const deletedAt = Date.now();
    await customObjects(s.kc).deleteNamespacedCustomObject({
      group: 'flinkvisor.io',
      version: 'v1',
      namespace: ns,
      plural: CLUSTERS,
      name: cluster,
    });
    // The deletion ends within its bound: jobs stopped (a savepoint), pods gone, cleanup done.
    await waitFor(
      'the FlinkCluster gone',
      async () => ((await readResource(s.kc, CLUSTERS, ns, cluster)) === undefined ? true : undefined),
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const deletionMs = Date.now() - deletedAt;
    process.stderr.write(`[ha ${line}] deletion with autoClean took ${(deletionMs / 1000).toFixed(1)} s\n`);
    const events = (await core().listNamespacedEvent({ namespace: ns })).items;
    const reasons = events.filter((e) => e.involvedObject?.kind === 'FlinkCluster').map((e) => e.reason);
    expect(reasons).toContain('StorageCleaned');
    expect(reasons).not.toContain('StorageCleanupFailed');
    expect(reasons).not.toContain('CleanupTimedOut');

    // After: nothing of the cluster's HA data or checkpoints is left; its savepoints are.
    expect(await haConfigMaps()).toEqual([]);
    expect(await bucketKeys(prefixOf('ha'))).toEqual([]);
    expect(await bucketKeys(prefixOf('checkpoints'))).toEqual([]);
    const savepoints = await bucketKeys(prefixOf('savepoints'));
    expect(savepoints.some((k) => k.endsWith('/_metadata'))).toBe(true);

    // The FlinkJob, left without its cluster, is released on deletion.
    await customObjects(s.kc).deleteNamespacedCustomObject({
      group: 'flinkvisor.io',
      version: 'v1',
      namespace: ns,
      plural: JOBS,
      name: jobName,
    });
    await waitFor(
      'the FlinkJob gone',
      async () => ((await readResource(s.kc, JOBS, ns, jobName)) === undefined ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
});
