import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { isNotFound } from '../kube/errors.ts';

/** Creates or replaces objects (server-side apply with a field manager), in order. */
export async function applyObjects(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
  fieldManager = 'flinkvisor',
): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const obj of objects) {
    await api.patch(obj, undefined, undefined, fieldManager, true, 'application/apply-patch+yaml');
  }
}

export async function deleteObjects(
  kubeConfig: KubeConfig,
  objects: readonly KubernetesObject[],
): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const obj of objects) {
    try {
      await api.delete(obj);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
