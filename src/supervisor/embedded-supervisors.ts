import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../flink/dispatcher.ts';
import type { Clock } from '../kube/clock.ts';
import { KubernetesCustomResourceClient } from '../kube/custom-resource-client.ts';
import type { LeaderElectorOptions } from '../kube/lease-elector.ts';
import { boundedKubeConfig } from '../kube/request-bounds.ts';
import { NamespaceCaches } from './namespace-caches.ts';
import {
  createSupervisorInstance,
  type SupervisorInstance,
  type SupervisorInstanceOptions,
} from './supervisor-instance.ts';
import { fleetSupervisorMetrics } from './supervisor-metrics.ts';
import { networkPolicySettingsFromArgs, type NetworkPolicySettings } from './network-policy.ts';

/**
 * The Lease timings of hosted supervisors: a renewal every 10 s instead of client-go's 2 s. Each
 * hosted supervisor renews its own Lease, so at a hundred clusters the defaults are 50 Lease
 * writes a second from one process, which a loaded API server answered late enough for Leases to
 * be lost (docs/performance.md). The price: after an operator crash, its clusters are taken over
 * within 60 s instead of 15 s. A clean stop releases the Leases, so a successor waits for none.
 */
export const EMBEDDED_LEASE = { leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 10_000 };

/** How long a supervisor whose lease was lost waits before it campaigns again (a restarted pod's pace). */
export const RECAMPAIGN_DELAY_MS = 1000;

export interface EmbeddedSupervisorsOptions {
  readonly kubeConfig: KubeConfig;
  /** The operator's identity: each supervisor campaigns with it for its own cluster's Lease. */
  readonly identity: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** The operator's registry: the supervisors' series carry namespace and cluster labels. */
  readonly registry: Registry;
  readonly allowPrivateNetworks?: boolean;
  readonly networkPolicy?: NetworkPolicySettings;
  readonly pollIntervalMs?: number;
  /** Default: EMBEDDED_LEASE. */
  readonly lease?: Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
  /** Builds one supervisor; default: `createSupervisorInstance` (tests hand in fakes). */
  readonly create?: (options: SupervisorInstanceOptions) => SupervisorInstance;
}

interface Hosted {
  instance: SupervisorInstance;
  /** Aborted when the cluster's supervisor is stopped on purpose (no campaign again). */
  readonly stopping: AbortController;
  /** Settles when the current instance is up (campaigning) or failed to start. */
  started: Promise<void>;
}

/**
 * Fleet mode: one supervisor per FlinkCluster inside the operator process (the operator's
 * cluster reconciler drives it through its `SupervisorHost` port; the CLI wires the two), each exactly what a
 * supervisor process runs (the same Supervisor, its own Lease `flinkvisor-supervisor-<cluster>`,
 * its own machines), sharing what is safe to share: the API server connection settings, one Flink
 * connection pool per endpoint (an undici Agent), one set of watches per namespace
 * (namespace-caches.ts) and the operator's metrics registry. A supervisor that loses its Lease
 * stops as a supervisor process would exit, then campaigns again in a new instance (the operator
 * keeps running); stopping one drains it, then releases its Lease.
 */
export class EmbeddedSupervisors {
  readonly #o: EmbeddedSupervisorsOptions;
  readonly #hosted = new Map<string, Hosted>();
  readonly #caches: NamespaceCaches;
  readonly #metrics;
  readonly #flink: Dispatcher;

  constructor(options: EmbeddedSupervisorsOptions) {
    this.#o = options;
    const bounded = boundedKubeConfig(options.kubeConfig);
    this.#caches = new NamespaceCaches({
      kubeConfig: bounded,
      resources: new KubernetesCustomResourceClient(bounded),
      onError: (err) => options.log.warn({ err: String(err) }, 'watch failed; retrying'),
    });
    this.#metrics = fleetSupervisorMetrics(options.registry);
    // The options of createFlinkDispatcher, per endpoint: an Agent keeps one pool per origin.
    this.#flink = new Agent({
      connections: 4,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 30_000,
      connect: { timeout: DEFAULT_CONNECT_TIMEOUT_MS },
    });
  }

  has(namespace: string, name: string): boolean {
    return this.#hosted.has(`${namespace}/${name}`);
  }

  /** The clusters whose supervisor runs here, `<namespace>/<name>` (tests, metrics). */
  clusters(): string[] {
    return [...this.#hosted.keys()].sort();
  }

  ensure(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.#hosted.has(key)) return;
    const hosted: Hosted = {
      instance: undefined as unknown as SupervisorInstance,
      stopping: new AbortController(),
      started: Promise.resolve(),
    };
    this.#hosted.set(key, hosted);
    this.#run(namespace, name, hosted);
  }

  async stop(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const hosted = this.#hosted.get(key);
    if (!hosted) return;
    hosted.stopping.abort();
    await hosted.started;
    await hosted.instance.shutdown();
    if (this.#hosted.get(key) === hosted) this.#hosted.delete(key);
    await this.#metrics
      .forget(namespace, name)
      .catch((err: unknown) =>
        this.#o.log.warn({ err: String(err) }, 'metrics of a stopped supervisor kept'),
      );
    this.#o.log.info({ namespace, cluster: name }, 'embedded supervisor stopped');
  }

  /** Every hosted supervisor stops (drain, release), in parallel: the operator is shutting down. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.#hosted.keys()].map((key) => {
        const [namespace = '', name = ''] = key.split('/');
        return this.stop(namespace, name);
      }),
    );
    await this.#flink.close();
  }

  #run(namespace: string, name: string, hosted: Hosted): void {
    const log = this.#o.log.child({ namespace, cluster: name });
    const o = this.#o;
    hosted.instance = (o.create ?? createSupervisorInstance)({
      kubeConfig: o.kubeConfig,
      namespace,
      clusterName: name,
      identity: o.identity,
      log,
      clock: o.clock,
      metrics: this.#metrics.forCluster(namespace, name),
      flinkDispatcher: () => this.#flink,
      caches: (scope) => this.#caches.forCluster(scope),
      ...(o.allowPrivateNetworks ? { allowPrivateNetworks: true } : {}),
      ...(o.networkPolicy ? { networkPolicy: o.networkPolicy } : {}),
      ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
      lease: o.lease ?? EMBEDDED_LEASE,
    });
    const instance = hosted.instance;
    hosted.started = instance.campaign().then(
      (loop) => {
        log.info('embedded supervisor campaigning');
        void loop.done.then(async (outcome) => {
          if (outcome !== 'lost' || hosted.stopping.signal.aborted) return;
          // As a supervisor process exits when it loses its Lease: this one stops, then a new one campaigns.
          log.error('lost the lease; this supervisor stops and campaigns again');
          await instance.shutdown();
          await o.clock.sleep(RECAMPAIGN_DELAY_MS, hosted.stopping.signal).catch(() => undefined);
          if (!hosted.stopping.signal.aborted && this.#hosted.get(`${namespace}/${name}`) === hosted)
            this.#run(namespace, name, hosted);
        });
      },
      (err: unknown) => {
        log.error({ err: String(err) }, 'embedded supervisor failed to start; retrying');
        instance.supervisor.stop();
        void o.clock
          .sleep(RECAMPAIGN_DELAY_MS, hosted.stopping.signal)
          .then(() => {
            if (this.#hosted.get(`${namespace}/${name}`) === hosted) this.#run(namespace, name, hosted);
          })
          .catch(() => undefined);
      },
    );
  }
}

/** Of the operator's `--supervisor-arg`s, those that mean something to a supervisor hosted in-process. */
export function embeddedSupervisorSettings(args: readonly string[]): {
  allowPrivateNetworks?: true;
  pollIntervalMs?: number;
  networkPolicy?: NetworkPolicySettings;
} {
  const out: { allowPrivateNetworks?: true; pollIntervalMs?: number; networkPolicy?: NetworkPolicySettings } =
    {};
  const networkPolicy = networkPolicySettingsFromArgs(args);
  if (networkPolicy) out.networkPolicy = networkPolicy;
  args.forEach((arg, i) => {
    if (arg === '--allow-private-networks') out.allowPrivateNetworks = true;
    const poll = arg.startsWith('--polling-interval=')
      ? arg.slice('--polling-interval='.length)
      : arg === '--polling-interval'
        ? args[i + 1]
        : undefined;
    if (poll !== undefined && Number(poll) > 0) out.pollIntervalMs = Number(poll) * 1000;
  });
  return out;
}
