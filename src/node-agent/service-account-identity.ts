import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * In-cluster identity for a pod's processes: a token for the pod's ServiceAccount from the
 * TokenRequest API (bound to the pod, so it dies with it), in a token file the agent refreshes,
 * and a kubeconfig that reads it (client-node's tokenFile provider re-reads it every minute).
 * RBAC then applies to the pod exactly as in a cluster.
 *
 * Not every client reads that kubeconfig: the fabric8 client inside Flink (Kubernetes HA) knows no
 * `tokenFile` auth provider and reads no `tokenFile` user field either, so from a kubeconfig it
 * would call the API server anonymously. It finds its identity as a kubelet hands it out instead:
 * KUBERNETES_SERVICE_HOST/PORT, and the ServiceAccount directory (token, ca.crt, namespace) that a
 * pod sees at /var/run/secrets/kubernetes.io/serviceaccount, here in the pod's own directory, which
 * fabric8 is pointed to by the environment variable forms of its system properties
 * (`kubernetes.auth.serviceAccount.token`, `kubernetes.certs.ca.file`, `kubernetes.namespace.path`).
 * `kubernetes.auth.tryKubeConfig` is off for it, so it does not pick up KUBECONFIG first.
 */
export interface ServiceAccountIdentityOptions {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly caFile: string;
  readonly expirationSeconds?: number;
}

/** What a pod's processes get: the kubeconfig (client-node and kubectl) and the in-cluster environment. */
export interface PodIdentity {
  readonly kubeconfig: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The ServiceAccount directory of a pod, as the kubelet mounts it (token, ca.crt, namespace). */
export interface ServiceAccountFiles {
  readonly tokenFile: string;
  readonly caFile: string;
  readonly namespaceFile: string;
}

/**
 * The environment of an in-cluster client: the kubelet's KUBERNETES_SERVICE_* variables for the API
 * server, and fabric8's variables for where the ServiceAccount files are (the kubelet's paths do
 * not exist outside a container).
 */
export function inClusterEnvironment(server: string, files: ServiceAccountFiles): Record<string, string> {
  const url = new URL(server);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  // URL keeps the brackets of an IPv6 host; KUBERNETES_SERVICE_HOST is the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN: files.tokenFile,
    KUBERNETES_CERTS_CA_FILE: files.caFile,
    KUBERNETES_NAMESPACE_PATH: files.namespaceFile,
    KUBERNETES_AUTH_TRYKUBECONFIG: 'false',
  };
}

export class ServiceAccountIdentity {
  readonly #core: CoreV1Api;
  readonly #options: ServiceAccountIdentityOptions;
  readonly #refreshers = new Map<string, NodeJS.Timeout>();

  constructor(options: ServiceAccountIdentityOptions) {
    this.#options = options;
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
  }

  async token(pod: V1Pod, audience?: string, expirationSeconds?: number): Promise<string | undefined> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const sa = pod.spec?.serviceAccountName ?? 'default';
    const result = await this.#core.createNamespacedServiceAccountToken({
      name: sa,
      namespace,
      body: {
        spec: {
          ...(audience ? { audiences: [audience] } : {}),
          expirationSeconds: expirationSeconds ?? this.#options.expirationSeconds ?? 3600,
          boundObjectRef: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: pod.metadata?.name ?? '',
            uid: pod.metadata?.uid ?? '',
          },
        },
      },
    });
    return result.status?.token;
  }

  /**
   * Writes `<podDir>/serviceaccount/{token,ca.crt,namespace}` and `<podDir>/kubeconfig`; undefined
   * when the pod opts out of a token.
   */
  async identityFor(pod: V1Pod, podDir: string): Promise<PodIdentity | undefined> {
    if (pod.spec?.automountServiceAccountToken === false) return undefined;
    if (pod.spec?.automountServiceAccountToken === undefined) {
      // The pod does not say: the ServiceAccount decides, as in the kubelet.
      const sa = await this.#core
        .readNamespacedServiceAccount({
          name: pod.spec?.serviceAccountName ?? 'default',
          namespace: pod.metadata?.namespace ?? 'default',
        })
        .catch(() => undefined);
      if (sa?.automountServiceAccountToken === false) return undefined;
    }
    const dir = join(podDir, 'serviceaccount');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tokenFile = join(dir, 'token');
    const write = async () => {
      const token = await this.token(pod);
      if (!token) return;
      await writeFile(`${tokenFile}.tmp`, token, { mode: 0o600 });
      await rename(`${tokenFile}.tmp`, tokenFile);
    };
    await write();
    const namespaceFile = join(dir, 'namespace');
    await writeFile(namespaceFile, pod.metadata?.namespace ?? 'default');
    const caFile = join(dir, 'ca.crt');
    await copyFile(this.#options.caFile, caFile);
    const kubeconfig = join(podDir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: in-cluster',
        '  cluster:',
        `    server: ${this.#options.server}`,
        `    certificate-authority: ${caFile}`,
        'users:',
        '- name: service-account',
        '  user:',
        '    auth-provider:',
        '      name: tokenFile',
        '      config:',
        `        tokenFile: ${tokenFile}`,
        'contexts:',
        '- name: in-cluster',
        '  context:',
        '    cluster: in-cluster',
        '    user: service-account',
        `    namespace: ${pod.metadata?.namespace ?? 'default'}`,
        'current-context: in-cluster',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // Refresh at 80% of the token's life, as the kubelet does for projected tokens.
    const every = (this.#options.expirationSeconds ?? 3600) * 800;
    const key = pod.metadata?.uid ?? podDir;
    this.#refreshers.set(
      key,
      setInterval(() => void write().catch(() => undefined), every),
    );
    return {
      kubeconfig,
      env: inClusterEnvironment(this.#options.server, { tokenFile, caFile, namespaceFile }),
    };
  }

  forget(pod: V1Pod): void {
    const key = pod.metadata?.uid ?? '';
    const t = this.#refreshers.get(key);
    if (t) clearInterval(t);
    this.#refreshers.delete(key);
  }

  stop(): void {
    for (const t of this.#refreshers.values()) clearInterval(t);
    this.#refreshers.clear();
  }
}
