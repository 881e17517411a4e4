// The in-cluster identity the node agent hands a pod's processes: a kubeconfig for client-node and
// kubectl, and the kubelet's variables plus fabric8's file locations for Flink's Kubernetes HA.
import { describe, expect, it } from 'vitest';
import { planLaunch } from '../../../src/node-agent/container-launch.ts';
import { inClusterEnvironment } from '../../../src/node-agent/service-account-identity.ts';

const FILES = {
  tokenFile: '/agent/pods/ns_p/serviceaccount/token',
  caFile: '/agent/pods/ns_p/serviceaccount/ca.crt',
  namespaceFile: '/agent/pods/ns_p/serviceaccount/namespace',
};

describe('inClusterEnvironment', () => {
  it('names the API server as the kubelet does and points fabric8 at the ServiceAccount files', () => {
    expect(inClusterEnvironment('https://127.0.0.1:6443', FILES)).toEqual({
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '6443',
      KUBERNETES_SERVICE_PORT_HTTPS: '6443',
      // fabric8 reads each system property also as an environment variable: dots become
      // underscores, letters upper case (kubernetes.auth.serviceAccount.token, ...).
      KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN: FILES.tokenFile,
      KUBERNETES_CERTS_CA_FILE: FILES.caFile,
      KUBERNETES_NAMESPACE_PATH: FILES.namespaceFile,
      // The kubeconfig's tokenFile auth provider means nothing to fabric8: it must not be tried first.
      KUBERNETES_AUTH_TRYKUBECONFIG: 'false',
    });
  });

  it('takes the default port of https, and an IPv6 host without brackets', () => {
    const env = inClusterEnvironment('https://[::1]', FILES);
    expect(env['KUBERNETES_SERVICE_HOST']).toBe('::1');
    expect(env['KUBERNETES_SERVICE_PORT']).toBe('443');
  });
});

describe('a container launched with an identity', () => {
  const base = {
    pod: { metadata: { name: 'p', namespace: 'ns' } },
    runtime: { kind: 'node' as const },
    containerDir: '/agent/pods/ns_p/containers/c',
    podIp: '127.0.0.9',
    mounts: [],
    baseEnv: { PATH: '/usr/bin' },
    hostsFile: '/agent/pods/ns_p/hosts',
    flinkHomes: {},
    nodeBinary: '/usr/bin/node',
    projectRoot: '/repo',
  };
  const identity = {
    kubeconfig: '/agent/pods/ns_p/kubeconfig',
    env: inClusterEnvironment('https://127.0.0.1:6443', FILES),
  };

  it('gets KUBECONFIG for client-node and the in-cluster variables for fabric8; its own env still wins', async () => {
    const plan = await planLaunch({
      ...base,
      container: { name: 'c', command: ['node', 'x.js'] },
      env: { KUBERNETES_SERVICE_PORT: '7443' },
      identity,
    });
    expect(plan.env).toMatchObject({
      KUBECONFIG: identity.kubeconfig,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '7443',
      KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN: FILES.tokenFile,
    });
  });

  it('gets none of it without a token (automountServiceAccountToken: false)', async () => {
    const plan = await planLaunch({
      ...base,
      container: { name: 'c', command: ['node', 'x.js'] },
      env: {},
      identity: undefined,
    });
    expect(Object.keys(plan.env).filter((k) => k.startsWith('KUBE'))).toEqual([]);
  });
});
