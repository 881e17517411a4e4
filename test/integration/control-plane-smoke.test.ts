import { AppsV1Api, CoordinationV1Api, CoreV1Api, V1MicroTime, VersionApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { isConflict, isNotFound, statusCodeOf } from '../../src/kube/errors.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const coordination = kc.makeApiClient(CoordinationV1Api);
let namespace: string;

beforeAll(async () => {
  namespace = await createTestNamespace(kc, 'smoke');
});
afterAll(async () => {
  await deleteTestNamespace(kc, namespace);
});

describe('the local control plane', () => {
  it('reports the Kubernetes version it was built as', async () => {
    const info = await kc.makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).toMatch(/^v1\.(3[4-9]|[4-9]\d)\.\d+$/);
  });

  it('runs kube-controller-manager: a Deployment of 2 replicas gets a ReplicaSet and 2 Pods', async () => {
    const labels = { app: 'smoke' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'smoke' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'main', image: 'example.invalid/smoke:1' }] },
          },
        },
      },
    });
    const replicaSets = await waitFor(
      'a ReplicaSet owned by the Deployment',
      async () => {
        const list = await apps.listNamespacedReplicaSet({ namespace });
        return list.items.length === 1 ? list.items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(replicaSets[0]?.metadata?.ownerReferences?.[0]?.kind).toBe('Deployment');
    expect(replicaSets[0]?.spec?.replicas).toBe(2);
    const pods = await waitFor(
      '2 Pods from the ReplicaSet',
      async () => {
        const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke' });
        return list.items.length === 2 ? list.items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const pod of pods) {
      expect(pod.metadata?.ownerReferences?.[0]?.name).toBe(replicaSets[0]?.metadata?.name);
    }
  });

  it('refuses a Lease update with a stale resourceVersion (409)', async () => {
    const created = await coordination.createNamespacedLease({
      namespace,
      body: {
        metadata: { name: 'smoke-lease' },
        spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: new V1MicroTime(Date.now()) },
      },
    });
    const stale = created.metadata?.resourceVersion;
    const renewed = await coordination.replaceNamespacedLease({
      name: 'smoke-lease',
      namespace,
      body: {
        ...created,
        spec: { ...created.spec, holderIdentity: 'b', renewTime: new V1MicroTime(Date.now()) },
      },
    });
    expect(renewed.metadata?.resourceVersion).not.toBe(stale);
    const attempt = coordination.replaceNamespacedLease({
      name: 'smoke-lease',
      namespace,
      body: {
        metadata: { ...created.metadata, resourceVersion: String(stale) },
        spec: { ...created.spec, holderIdentity: 'c', renewTime: new V1MicroTime(Date.now()) },
      },
    });
    const err = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusCodeOf(err)).toBe(409);
    expect(isConflict(err)).toBe(true);
    const current = await coordination.readNamespacedLease({ name: 'smoke-lease', namespace });
    expect(current.spec?.holderIdentity).toBe('b');
  });

  it('garbage-collects an object whose owner was deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner' } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'owner', namespace });
    await waitFor(
      'the dependent ConfigMap to be garbage-collected',
      async () => {
        try {
          await core.readNamespacedConfigMap({ name: 'dependent', namespace });
          return undefined;
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      },
      { timeoutMs: 60_000 },
    );
    await expect(core.readNamespacedConfigMap({ name: 'dependent', namespace })).rejects.toSatisfy(
      isNotFound,
    );
  });
});
