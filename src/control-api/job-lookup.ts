import { FLINK_JOB, jobResourceName } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';

export function clusterNameOf(job: CustomObject): string | undefined {
  const value = job.spec?.['clusterName'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The FlinkJob that `/clusters/{cluster}/jobs/{job}` names: `<cluster>-<job>` (how FlinkDeployments
 * and POST name jobs), else the FlinkJob named `<job>` itself — in both cases only if it runs on
 * that cluster (spec.clusterName), since binding is by clusterName and never by name prefix.
 */
export async function findJob(
  store: CustomResourceClient,
  namespace: string,
  cluster: string,
  job: string,
): Promise<CustomObject | undefined> {
  const prefixed = jobResourceName(cluster, job);
  const direct = await store.get(FLINK_JOB, namespace, prefixed);
  if (direct && clusterNameOf(direct) === cluster) return direct;
  if (job === prefixed) return undefined;
  const named = await store.get(FLINK_JOB, namespace, job);
  return named && clusterNameOf(named) === cluster ? named : undefined;
}
