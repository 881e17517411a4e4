// Where a secret could show to users, read as they would read it: the control API's read routes
// for a cluster and its job, and the state visualizer's pages of its supervisor (s3-state e2e).
import { expect } from 'vitest';
import { API_GROUP } from '../../src/api/names.ts';
import { hostUrl } from '../../src/kube/pod-address.ts';
import { serviceAccountToken, startE2eControlApi } from './control-api.ts';
import { clusterPods, type SupervisedEnvironment } from './flinkvisor-e2e.ts';

/**
 * What a user reads through the control API (as in the operator pod: the admin kubeconfig, callers
 * with a ServiceAccount token and RBAC) for the cluster and its job, Flink's details included.
 */
export async function controlApiSurfaces(
  s: SupervisedEnvironment,
  ns: string,
  cluster: string,
  job: string,
): Promise<Record<string, string>> {
  const token = await serviceAccountToken(s.kc, ns, 'state-reader', [
    {
      apiGroups: [API_GROUP],
      resources: ['flinkdeployments', 'flinkclusters', 'flinkjobs'],
      verbs: ['get', 'list', 'watch'],
    },
  ]);
  const api = await startE2eControlApi(s, [ns]);
  try {
    const out: Record<string, string> = {};
    const shortName = job.slice(cluster.length + 1);
    // Every read route for the cluster and its job (the control API's route table).
    for (const path of [
      `/clusters`,
      `/clusters/${cluster}/status`,
      `/clusters/${cluster}/jobs`,
      `/clusters/${cluster}/jobs/${shortName}/status`,
      `/clusters/${cluster}/jobs/${shortName}/details`,
      `/clusters/${cluster}/jobs/${shortName}/metrics`,
      `/clusters/${cluster}/jobmanager/metrics`,
      `/clusters/${cluster}/taskmanagers`,
    ]) {
      const response = await fetch(`${api.url}/api/v1${path}?namespace=${ns}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const text = await response.text();
      expect(response.status, `${path}: ${text}`).toBe(200);
      out[`control API GET ${path}`] = text;
    }
    return out;
  } finally {
    await api.close();
  }
}

/** What the state visualizer of the cluster's supervisor serves (its debug port, as port-forward reaches it). */
export async function visualizerSurfaces(
  s: SupervisedEnvironment,
  ns: string,
  cluster: string,
  job: string,
): Promise<Record<string, string>> {
  const [supervisor] = await clusterPods(s.kc, ns, cluster, 'supervisor');
  const base = hostUrl('http', supervisor?.status?.podIP ?? '', 8090);
  const out: Record<string, string> = {};
  for (const path of ['/debug/', '/debug/machines', `/debug/machines/job/${job}`]) {
    const response = await fetch(`${base}${path}`);
    expect(response.status, path).toBe(200);
    out[`visualizer GET ${path}`] = await response.text();
  }
  return out;
}
