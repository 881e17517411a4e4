import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * In-cluster identity for a pod's processes: a token for the pod's ServiceAccount from the
 * TokenRequest API (bound to the pod, so it dies with it), in a token file the agent refreshes,
 * and a kubeconfig that reads it (client-node's tokenFile provider re-reads it every minute).
 * RBAC then applies to the pod exactly as in a cluster.
 */
export interface ServiceAccountIdentityOptions {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly caFile: string;
  readonly expirationSeconds?: number;
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

  /** Writes `<podDir>/serviceaccount/token` and `<podDir>/kubeconfig`; undefined when the pod opts out. */
  async kubeconfigFor(pod: V1Pod, podDir: string): Promise<string | undefined> {
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
    await writeFile(join(dir, 'namespace'), pod.metadata?.namespace ?? 'default');
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
        `    certificate-authority: ${this.#options.caFile}`,
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
    return kubeconfig;
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
