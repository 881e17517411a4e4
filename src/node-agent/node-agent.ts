import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1EndpointSlice,
  type V1Pod,
  type V1PodStatus,
  type V1Service,
} from '@kubernetes/client-node';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { allocateLoopbackAddress } from '../devenv/loopback-addresses.ts';
import { isNotFound } from '../kube/errors.ts';
import { Informer } from '../kube/informer.ts';
import { mergePatch } from '../kube/patch-options.ts';
import { renderHostsFile, serviceAddresses } from './hosts-table.ts';
import type { ImageMap } from './image-resolver.ts';
import { startKubeletApi, type KubeletApi } from './kubelet-api.ts';
import { NodeRegistration } from './node-registration.ts';
import { PodWorker } from './pod-worker.ts';
import { ServiceAccountIdentity } from './service-account-identity.ts';
import type { VolumeSources } from './volumes.ts';

/** Whether a pod update can change what a Service name resolves to. */
function podEndpointChanged(pod: V1Pod, old: V1Pod | undefined): boolean {
  const view = (p: V1Pod | undefined) =>
    JSON.stringify([
      p?.status?.podIP,
      p?.status?.phase,
      p?.metadata?.deletionTimestamp ? 1 : 0,
      p?.metadata?.labels,
      p?.status?.conditions?.find((c) => c.type === 'Ready')?.status,
    ]);
  return view(pod) !== view(old);
}

export interface NodeAgentOptions {
  readonly kubeConfig: KubeConfig;
  readonly nodeName: string;
  /** Where pods, logs, hosts files and shared volumes live. */
  readonly dir: string;
  /** API server URL and CA as pods should see them (their kubeconfigs point here). */
  readonly apiServer: string;
  readonly caFile: string;
  readonly imageMap: ImageMap;
  readonly flinkHomes: Readonly<Record<string, string>>;
  readonly nodeBinary: string;
  readonly projectRoot: string;
  /** Passed to every process (PATH, JAVA_HOME, LANG). */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly kubeletVersion: string;
  readonly restartBackoff?: { initialMs: number; maxMs: number };
  /** Serve the kubelet API (container logs) for the API server, with these PEMs; none: no API. */
  readonly kubeletApi?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa: Buffer };
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * A kubelet for our machines: registers a Node, runs the pods the scheduler binds to it as local
 * processes, and keeps the service-name hosts files current. One per control plane.
 */
export class NodeAgent {
  readonly #o: NodeAgentOptions;
  readonly #core: CoreV1Api;
  readonly #registration: NodeRegistration;
  readonly #identity: ServiceAccountIdentity;
  readonly #workers = new Map<string, PodWorker>();
  readonly #pods: Informer<V1Pod>;
  readonly #services: Informer<V1Service>;
  readonly #slices: Informer<V1EndpointSlice>;
  readonly #hostsDir: string;
  readonly #pidsDir: string;
  #hostsWrite: Promise<void> = Promise.resolve();
  /** Every running pod's own hosts file. */
  readonly #hostsFiles = new Map<string, { namespace: string; ip: string; file: string; podName: string }>();
  #stopping = false;
  #kubeletApi: KubeletApi | undefined;

  constructor(options: NodeAgentOptions) {
    this.#o = options;
    const kc = options.kubeConfig;
    this.#core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    this.#hostsDir = join(options.dir, 'hosts');
    this.#pidsDir = join(options.dir, 'pids');
    this.#registration = new NodeRegistration({
      kubeConfig: kc,
      nodeName: options.nodeName,
      hostIp: '127.0.0.1',
      agentDir: options.dir,
      capacity: { cpu: '64', memory: '256Gi', pods: '250' },
      kubeletVersion: options.kubeletVersion,
      kubeletPort: () => this.#kubeletApi?.port,
    });
    this.#identity = new ServiceAccountIdentity({
      kubeConfig: kc,
      server: options.apiServer,
      caFile: options.caFile,
    });
    const onError = (err: unknown) => options.log('watch failed; retrying', { err: String(err) });
    this.#pods = new Informer<V1Pod>({
      kubeConfig: kc,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${options.nodeName}`,
      list: (s) => this.#core.listPodForAllNamespaces(s),
      onError,
    });
    this.#services = new Informer<V1Service>({
      kubeConfig: kc,
      path: '/api/v1/services',
      list: (s) => this.#core.listServiceForAllNamespaces(s),
      onError,
    });
    this.#slices = new Informer<V1EndpointSlice>({
      kubeConfig: kc,
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      list: (s) => discovery.listEndpointSliceForAllNamespaces(s),
      onError,
    });
  }

  get podsDir(): string {
    return join(this.#o.dir, 'pods');
  }

  async start(): Promise<void> {
    for (const d of [this.podsDir, this.#hostsDir, this.#pidsDir, join(this.#o.dir, 'shared')])
      await mkdir(d, { recursive: true });
    if (this.#o.kubeletApi)
      this.#kubeletApi = await startKubeletApi({
        ...this.#o.kubeletApi,
        locate: (namespace, name) => this.#locatePod(namespace, name),
        log: this.#o.log,
      });
    await this.#registration.register();
    this.#registration.startHeartbeat((err) =>
      this.#o.log('node lease renewal failed', { err: String(err) }),
    );
    const refreshHosts = () => this.#scheduleHostsRefresh();
    for (const inf of [this.#services, this.#slices] as const) {
      (inf as Informer<V1Service | V1EndpointSlice>)
        .on('add', refreshHosts)
        .on('update', refreshHosts)
        .on('delete', refreshHosts);
    }
    await Promise.all([this.#services.start(), this.#slices.start()]);
    this.#scheduleHostsRefresh();
    await this.#hostsWrite;
    this.#pods
      .on('add', (p) => this.#onPod(p))
      .on('update', (p, old) => {
        this.#onPod(p);
        if (podEndpointChanged(p, old)) refreshHosts();
      })
      .on('delete', (p) => {
        this.#onPodGone(p);
        refreshHosts();
      });
    await this.#pods.start();
    this.#o.log('node agent ready', { node: this.#o.nodeName, dir: this.#o.dir });
  }

  /** The pod of this name bound to this node now (the informer's view), for the kubelet API. */
  #locatePod(namespace: string, name: string) {
    const pod = this.#pods
      .list()
      .find((p) => p.metadata?.namespace === namespace && p.metadata.name === name);
    if (!pod) return undefined;
    const worker = this.#workers.get(`${namespace}/${name}`);
    const current = worker && worker.uid === pod.metadata?.uid ? worker : undefined;
    return {
      dir: join(this.podsDir, `${namespace}_${name}_${pod.metadata?.uid}`),
      containers: [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name),
      running: (container: string) => current?.containerRunning(container) ?? false,
    };
  }

  #sources(): VolumeSources {
    return {
      configMap: async (namespace, name) => {
        try {
          return (await this.#core.readNamespacedConfigMap({ name, namespace })).data ?? {};
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      secret: async (namespace, name) => {
        try {
          const s = await this.#core.readNamespacedSecret({ name, namespace });
          const out: Record<string, string> = { ...(s.stringData ?? {}) };
          for (const [k, v] of Object.entries(s.data ?? {}))
            out[k] = Buffer.from(v, 'base64').toString('utf8');
          return out;
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      serviceAccountToken: (pod, audience, expiration) => this.#identity.token(pod, audience, expiration),
    };
  }

  #onPod(pod: V1Pod): void {
    if (this.#stopping) return;
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const existing = this.#workers.get(key);
    if (existing && existing.uid === pod.metadata?.uid) {
      existing.update(pod);
      return;
    }
    if (existing) {
      // Same name, new pod (a StatefulSet-style replacement): end the old one first.
      void existing.kill();
      this.#workers.delete(key);
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return; // finished before this agent started
    if (pod.metadata?.deletionTimestamp) {
      void this.#finalizeDeletion(pod);
      return;
    }
    const worker = new PodWorker(pod, {
      nodeName: this.#o.nodeName,
      hostIp: '127.0.0.1',
      podsDir: this.podsDir,
      sharedDir: join(this.#o.dir, 'shared'),
      imageMap: this.#o.imageMap,
      flinkHomes: this.#o.flinkHomes,
      nodeBinary: this.#o.nodeBinary,
      projectRoot: this.#o.projectRoot,
      baseEnv: this.#o.baseEnv,
      sources: this.#sources(),
      allocateIp: () => allocateLoopbackAddress({ ports: [], first: 10 }),
      hostsFileFor: async (p, ip, podDir) => {
        const file = join(podDir, 'hosts');
        this.#hostsFiles.set(key, {
          namespace: p.metadata?.namespace ?? 'default',
          ip,
          file,
          podName: p.metadata?.name ?? '',
        });
        this.#scheduleHostsRefresh();
        await this.#hostsWrite;
        return file;
      },
      serviceAccountIdentity: (p, dir) => this.#identity.identityFor(p, dir),
      writeStatus: (p, status) => this.#writeStatus(p, status),
      finalizeDeletion: (p) => this.#finalizeDeletion(p),
      registerProcess: (pgid) =>
        void writeFile(join(this.#pidsDir, String(pgid)), key).catch(() => undefined),
      unregisterProcess: (pgid) => void rm(join(this.#pidsDir, String(pgid)), { force: true }),
      log: this.#o.log,
      backoff: this.#o.restartBackoff ?? { initialMs: 1000, maxMs: 30_000 },
      now: Date.now,
    });
    this.#workers.set(key, worker);
    void worker
      .start()
      .catch((err: unknown) => this.#o.log('pod start failed', { pod: key, err: String(err) }));
  }

  #onPodGone(pod: V1Pod): void {
    const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const worker = this.#workers.get(key);
    if (!worker || worker.uid !== pod.metadata?.uid) return;
    this.#workers.delete(key);
    this.#identity.forget(pod);
    void worker.kill().then(() => worker.cleanup());
  }

  async #writeStatus(pod: V1Pod, status: V1PodStatus): Promise<void> {
    try {
      await this.#core.patchNamespacedPodStatus(
        // A merge patch replaces lists whole: the computed conditions and container statuses are
        // complete, and a cleared reason must be sent as null to go away.
        {
          name: pod.metadata?.name ?? '',
          namespace: pod.metadata?.namespace ?? '',
          body: { status: { ...status, reason: status.reason ?? null, message: status.message ?? null } },
        },
        mergePatch(),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async #finalizeDeletion(pod: V1Pod): Promise<void> {
    try {
      await this.#core.deleteNamespacedPod({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? '' } },
      });
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof Error && /Precondition/i.test(err.message))) throw err;
    }
  }

  /** Rewrites every pod's hosts file from the current Services and their endpoints. */
  #scheduleHostsRefresh(): void {
    this.#hostsWrite = this.#hostsWrite
      .then(async () => {
        const addresses = serviceAddresses(this.#services.list(), this.#slices.list(), this.#pods.list());
        for (const [key, pod] of this.#hostsFiles) {
          if (!this.#workers.has(key)) {
            this.#hostsFiles.delete(key);
            continue;
          }
          const text = renderHostsFile(pod.namespace, addresses, {
            selfAddress: pod.ip,
            localNames: [hostname(), pod.podName],
          });
          const before = await readFile(pod.file, 'utf8').catch(() => undefined);
          if (before === text) continue;
          // Atomic replace: a reader (a JVM resolving a name) never sees half a file.
          await writeFile(`${pod.file}.tmp`, text);
          await rename(`${pod.file}.tmp`, pod.file);
        }
        // For people debugging: the namespace view, as a pod without a name would see it.
        const namespaces = new Set(addresses.map((a) => a.namespace));
        for (const ns of namespaces) {
          await writeFile(
            join(this.#hostsDir, `${ns}.hosts`),
            renderHostsFile(ns, addresses, { selfAddress: '127.0.0.1', localNames: [] }),
          );
        }
      })
      .catch((err: unknown) => this.#o.log('hosts file update failed', { err: String(err) }));
  }

  /** Ends every process of every pod (SIGTERM, then SIGKILL), stops watching; pods stay in the API. */
  async stop(graceSeconds = 10): Promise<void> {
    this.#stopping = true;
    this.#pods.stop();
    this.#services.stop();
    this.#slices.stop();
    this.#registration.stop();
    this.#identity.stop();
    await this.#kubeletApi?.close();
    await Promise.all([...this.#workers.values()].map((w) => w.terminate(graceSeconds, false)));
    this.#workers.clear();
  }
}
