import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';

/** The admin KubeConfig of the integration project's shared control plane. */
export function adminKubeConfig(): KubeConfig {
  return loadKubeConfig(inject('controlPlane').kubeconfigPath);
}

/** A fresh namespace with its default ServiceAccount ready (pods can be admitted). */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name } } });
  await waitFor(
    `default ServiceAccount in ${name}`,
    async () =>
      (await core.readNamespacedServiceAccount({ name: 'default', namespace: name })) ? true : undefined,
    { timeoutMs: 30_000 },
  );
  return name;
}

export async function deleteTestNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespace({ name })
    .catch(() => undefined);
}
