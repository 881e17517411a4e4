import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { httpsGet } from './https-probe.ts';
import { createKubeletPki, type KubeletPki } from './kubelet-pki.ts';
import { ManagedProcess, type ManagedProcessOptions } from './managed-process.ts';
import type { DevenvAssets } from './prepare.ts';
import type { Progress } from './progress.ts';
import { silentProgress } from './progress.ts';
import { waitFor } from './wait-for.ts';

export interface ControlPlaneOptions {
  readonly assets: Pick<DevenvAssets, 'etcd' | 'kubernetes'>;
  /** Parent for the control plane's temporary directory (default: the OS temp dir). */
  readonly baseDir?: string;
  /** Start kube-controller-manager and kube-scheduler too (default true). */
  readonly controllers?: boolean;
  readonly progress?: Progress;
  readonly startTimeoutMs?: number;
  /** Keep the data directory after stop (for debugging). */
  readonly keepDir?: boolean;
}

/**
 * A real Kubernetes control plane as local processes: etcd, kube-apiserver (RBAC, token auth,
 * ServiceAccount tokens), kube-controller-manager and kube-scheduler, on random loopback ports.
 */
export interface ControlPlane {
  readonly dir: string;
  readonly server: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly caFile: string;
  readonly adminToken: string;
  /** kubeconfig for the admin user (system:masters). */
  readonly kubeconfigPath: string;
  /** Certificates for the API server → node agent link (`kubectl logs`); the node agent serves with them. */
  readonly kubeletPki: KubeletPki;
  /** The running processes; a restarted one takes its predecessor's place. */
  readonly processes: readonly ManagedProcess[];
  /**
   * Kills one process (SIGKILL, as a crash would) and starts it again, after `downMs` (default 0),
   * with the same flags, ports, certificates and data; resolves once it answers its readiness check
   * again (chaos tests: an API server restart). Its log goes on in the same file.
   */
  restartProcess(name: string, options?: { readonly downMs?: number }): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

export function renderKubeconfig(server: string, caFile: string, user: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: flinkvisor-devenv',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: flinkvisor-devenv',
    '  context:',
    '    cluster: flinkvisor-devenv',
    `    user: ${user}`,
    '    namespace: default',
    'current-context: flinkvisor-devenv',
    '',
  ].join('\n');
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const progress = options.progress ?? silentProgress;
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'flinkvisor-cp-'));
  const processes: ManagedProcess[] = [];
  /** How each process was started and how its readiness is checked: what a restart repeats. */
  const launches = new Map<
    string,
    { options: ManagedProcessOptions; ready: (p: ManagedProcess) => Promise<unknown> }
  >();
  const launch = (options: ManagedProcessOptions, ready: (p: ManagedProcess) => Promise<unknown>) => {
    const p = ManagedProcess.start(options);
    processes.push(p);
    launches.set(options.name, { options, ready });
    return p;
  };
  const restartProcess = async (name: string, o: { downMs?: number } = {}): Promise<ManagedProcess> => {
    const index = processes.findIndex((p) => p.name === name);
    const launched = launches.get(name);
    const old = processes[index];
    if (!old || !launched) throw new Error(`no control-plane process ${name}`);
    old.kill();
    await old.stop(0);
    if (o.downMs) await new Promise((r) => setTimeout(r, o.downMs));
    const p = ManagedProcess.start(launched.options);
    processes[index] = p;
    await launched.ready(p);
    return p;
  };
  const stop = async () => {
    for (const p of [...processes].reverse()) await p.stop(10_000);
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
  };
  const deadWith = (p: ManagedProcess) => () =>
    p.running ? undefined : `${p.name} exited (${JSON.stringify(p.exitStatus)}); see ${p.logFile}`;
  try {
    const logs = join(dir, 'logs');
    await mkdir(logs, { recursive: true });

    // etcd
    const etcdClient = await freePort();
    const etcdPeer = await freePort();
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcdHealthy = (p: ManagedProcess) =>
      waitFor(
        'etcd /health',
        async () => {
          const r = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
          return r.ok ? true : undefined;
        },
        { timeoutMs, abortIf: deadWith(p) },
      );
    const etcd = launch(
      {
        name: 'etcd',
        command: options.assets.etcd.path,
        args: [
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
          '--unsafe-no-fsync=true',
          '--log-level=warn',
        ],
        logFile: join(logs, 'etcd.log'),
      },
      etcdHealthy,
    );
    await progress.step('start etcd', () => etcdHealthy(etcd));

    // kube-apiserver
    const pki = join(dir, 'pki');
    await mkdir(pki, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const saKey = join(pki, 'sa.key');
    const saPub = join(pki, 'sa.pub');
    await writeFile(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await writeFile(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
    const kubeletPki = await createKubeletPki(pki);
    const adminToken = randomBytes(24).toString('hex');
    await writeFile(join(pki, 'tokens.csv'), `${adminToken},admin,admin-uid,"system:masters"\n`, {
      mode: 0o600,
    });
    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const caFile = join(pki, 'apiserver.crt');
    const apiserverReady = (p: ManagedProcess) =>
      waitFor(
        'kube-apiserver /readyz',
        async () => {
          const ca = await readFile(caFile);
          const r = await httpsGet(`${server}/readyz`, { ca, token: adminToken, timeoutMs: 3000 });
          return r.status === 200 ? true : undefined;
        },
        { timeoutMs, intervalMs: 300, abortIf: deadWith(p) },
      );
    const apiserver = launch(
      {
        name: 'kube-apiserver',
        command: options.assets.kubernetes.paths['kube-apiserver'],
        args: [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${port}`,
          `--cert-dir=${pki}`,
          `--token-auth-file=${join(pki, 'tokens.csv')}`,
          '--authorization-mode=Node,RBAC',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--allow-privileged=true',
          `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
          `--service-account-key-file=${saPub}`,
          `--service-account-signing-key-file=${saKey}`,
          // `kubectl logs` and friends: the API server calls the node agent (our kubelet) at the Node's
          // InternalIP (127.0.0.1; the Hostname is no DNS name here) with mutual TLS (see kubelet-pki.ts).
          '--kubelet-preferred-address-types=InternalIP',
          `--kubelet-certificate-authority=${kubeletPki.caFile}`,
          `--kubelet-client-certificate=${kubeletPki.apiserverClientCertFile}`,
          `--kubelet-client-key=${kubeletPki.apiserverClientKeyFile}`,
          '--profiling=false',
          '--v=1',
        ],
        logFile: join(logs, 'kube-apiserver.log'),
      },
      apiserverReady,
    );
    await progress.step('start kube-apiserver', () => apiserverReady(apiserver));
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, renderKubeconfig(server, caFile, 'admin', adminToken), { mode: 0o600 });
    await chmod(kubeconfigPath, 0o600);

    if (options.controllers !== false) {
      const kcmPort = await freePort();
      const healthy = (name: string, port: number) => (p: ManagedProcess) =>
        waitFor(
          `${name} /healthz`,
          async () =>
            (await httpsGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200
              ? true
              : undefined,
          { timeoutMs, intervalMs: 300, abortIf: deadWith(p) },
        );
      const kcmHealthy = healthy('kube-controller-manager', kcmPort);
      const kcm = launch(
        {
          name: 'kube-controller-manager',
          command: options.assets.kubernetes.paths['kube-controller-manager'],
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${kcmPort}`,
            `--cert-dir=${join(dir, 'kcm-certs')}`,
            '--leader-elect=false',
            `--service-account-private-key-file=${saKey}`,
            `--root-ca-file=${caFile}`,
            '--use-service-account-credentials=false',
            '--concurrent-gc-syncs=5',
            '--profiling=false',
          ],
          logFile: join(logs, 'kube-controller-manager.log'),
        },
        kcmHealthy,
      );
      const schedPort = await freePort();
      const schedulerHealthy = healthy('kube-scheduler', schedPort);
      const scheduler = launch(
        {
          name: 'kube-scheduler',
          command: options.assets.kubernetes.paths['kube-scheduler'],
          args: [
            `--kubeconfig=${kubeconfigPath}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${schedPort}`,
            `--cert-dir=${join(dir, 'scheduler-certs')}`,
            '--leader-elect=false',
            '--profiling=false',
          ],
          logFile: join(logs, 'kube-scheduler.log'),
        },
        schedulerHealthy,
      );
      await progress.step('start kube-controller-manager and kube-scheduler', () =>
        Promise.all([
          kcmHealthy(kcm),
          schedulerHealthy(scheduler),
          // The ServiceAccount controller is up once the default namespace has its default account.
          waitFor(
            'ServiceAccount default/default (kube-controller-manager running)',
            async () => {
              const ca = await readFile(caFile);
              const r = await httpsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, {
                ca,
                token: adminToken,
              });
              return r.status === 200 ? true : undefined;
            },
            { timeoutMs, intervalMs: 300, abortIf: deadWith(kcm) },
          ),
        ]),
      );
    }
    return { dir, server, caFile, adminToken, kubeconfigPath, kubeletPki, processes, restartProcess, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
