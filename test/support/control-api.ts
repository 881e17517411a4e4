import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startControlApi, type ControlApi } from '../../src/control-api/control-api-server.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { exponentialBackoff } from '../../src/flink/retry-policy.ts';
import { applyObjects } from '../../src/install/apply.ts';
import { systemClock } from '../../src/kube/clock.ts';
import { flinkRest, type SupervisedEnvironment } from './flinkvisor-e2e.ts';

/**
 * The control API as the operator pod runs it (the admin kubeconfig), in this process on plain
 * HTTP: the JobManager pods' addresses are reachable from here, their Service names are not.
 */
export function startE2eControlApi(
  s: SupervisedEnvironment,
  namespaces: readonly string[],
): Promise<ControlApi> {
  return startControlApi({
    kubeConfig: s.kc,
    namespaces,
    host: '127.0.0.1',
    port: 0,
    insecureHttp: true,
    flinkClient: (baseUrl) =>
      new FlinkRestClient({
        baseUrl,
        dispatcher: createFlinkDispatcher(baseUrl),
        retry: exponentialBackoff({ maxAttempts: 2 }),
      }),
    flinkUrl: (namespace, name) => flinkRest(s, namespace, name),
    log: pino({ level: 'warn' }),
    clock: systemClock,
  });
}

/** A ServiceAccount bound to a Role of `rules` in `namespace`, and a token for it (TokenRequest). */
export async function serviceAccountToken(
  kc: KubeConfig,
  namespace: string,
  name: string,
  rules: readonly Record<string, unknown>[],
): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  await applyObjects(kc, [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace },
      rules,
    } as never,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as never,
  ]);
  const request = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { expirationSeconds: 3600 } },
  });
  return request.status?.token ?? '';
}
