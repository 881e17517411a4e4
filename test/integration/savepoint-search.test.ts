// The savepoint search (ADR 0023) on the real parts: the Job the supervisor builds, run by the
// local node agent on the real control plane, lists a real S3 server (versitygw) with the Flink
// pods' credentials from a Secret, and reports in its termination message, which the supervisor's
// reader takes from the pod's status.
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlinkCluster, parseFlinkJob } from '../../src/api/parse.ts';
import { startObjectStore, type ObjectStore } from '../../src/devenv/object-store.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { SavepointSearchReader, savepointSearchJob } from '../../src/supervisor/savepoint-search.ts';
import { devenvAssets } from '../support/devenv.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const JOB_ID = 'c0ffee0123456789abcdef0123456789';

let namespace: string;
let dir: string;
let store: ObjectStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-spsearch-'));
  store = await startObjectStore({ binary: (await devenvAssets()).versitygw, dir: join(dir, 'objects') });
  namespace = await createTestNamespace(kc, 'spsearch');
}, 120_000);
afterAll(async () => {
  await deleteTestNamespace(kc, namespace).catch(() => undefined);
  await store?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the savepoint search Job', () => {
  it("finds the job's complete savepoints written since the trigger in real S3, reported through the pod's termination message", async () => {
    const put = (key: string) => store.client.putObject(store.bucket, key, Buffer.from('x'));
    const base = 'flink/savepoints/ns/c/orders';
    // Written before the trigger: left out by time (the object store's clock, so written first).
    await put(`${base}/savepoint-c0ffee-00000000000a/_metadata`);
    // Listings may give whole seconds (versitygw does): the trigger's time is a whole second, and
    // the older savepoint at least two before it.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const since = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    await put(`${base}/savepoint-c0ffee-00000000000b/op-1`);
    await put(`${base}/savepoint-c0ffee-00000000000b/_metadata`);
    // Incomplete (no _metadata yet), another job's (beef00…), and one beside the directory.
    await put(`${base}/savepoint-c0ffee-00000000000c/op-1`);
    await put(`${base}/savepoint-beef00-00000000000d/_metadata`);
    await put(`flink/savepoints/ns/c/orders-2/savepoint-c0ffee-00000000000e/_metadata`);

    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'state-credentials' },
        stringData: { id: store.accessKeyId, secret: store.secretAccessKey },
      },
    });
    const cluster = parseFlinkCluster({
      metadata: { name: 'c', namespace, uid: 'uid-c' },
      spec: {
        runtime: { image: 'flink:1.20' },
        supervisor: { image: 'flinkvisor:0.1.0', taskTimeout: 60 },
        storage: {
          scheme: 's3',
          baseDir: `${store.bucket}/flink`,
          s3: {
            endpoint: store.endpoint,
            pathStyleAccess: true,
            credentialsSecret: {
              name: 'state-credentials',
              accessKeyIdKey: 'id',
              secretAccessKeyKey: 'secret',
            },
          },
        },
        flinkConfiguration: { 's3.endpoint.region': store.region },
      },
    });
    const account = cluster.spec.jobManager.serviceAccount;
    if (account && account !== 'default')
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: account } } });
    // The owner is a FlinkJob the garbage collector does not know here: the Job is created without it.
    const job = parseFlinkJob({
      metadata: { name: 'c-orders', namespace, uid: 'uid-j' },
      spec: {
        clusterName: 'c',
        bootstrap: { image: 'flinkvisor:0.1.0', jarPath: '/job.jar' },
        savepoint: { savepointTargetPath: `s3://${store.bucket}/${base}` },
      },
    });
    const body = savepointSearchJob(cluster, job, {
      savepointName: 'c-orders-sp-0123456789ab',
      directory: `s3://${store.bucket}/${base}`,
      jobId: JOB_ID,
      since,
    });
    delete body.metadata?.ownerReferences;
    const name = body.metadata?.name ?? '';
    await batch.createNamespacedJob({ namespace, body });

    const reader = new SavepointSearchReader();
    const outcome = await waitFor(
      `search Job ${name} to report`,
      async () => {
        const [current, pods] = await Promise.all([
          batch.readNamespacedJob({ name, namespace }),
          core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` }),
        ]);
        const seen = reader.read(name, current, pods.items, Date.now());
        return seen.state === 'running' ? undefined : seen;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(outcome).toEqual({
      state: 'found',
      savepoints: [
        {
          path: `s3://${store.bucket}/${base}/savepoint-c0ffee-00000000000b`,
          completedAt: expect.any(String),
        },
      ],
    });
    if (outcome.state !== 'found') return;
    expect(Date.parse(outcome.savepoints[0]!.completedAt)).toBeGreaterThanOrEqual(Date.parse(since));
    // It only read: everything is where it was.
    expect(await store.client.listObjects(store.bucket, 'flink/')).toHaveLength(6);
  });
});
