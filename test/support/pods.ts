import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../src/devenv/wait-for.ts';

export async function waitForPod(
  kc: KubeConfig,
  namespace: string,
  what: string,
  predicate: (pods: V1Pod[]) => V1Pod[] | undefined,
  labelSelector?: string,
  timeoutMs = 60_000,
): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  return waitFor(
    what,
    async () =>
      predicate(
        (await core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) })).items,
      ),
    { timeoutMs, intervalMs: 250 },
  );
}

export const isRunningReady = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
