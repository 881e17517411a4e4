import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { flinkDispatcherFor } from '../flink/dispatcher.ts';
import type { FlinkDispatcher } from '../flink/http-transport.ts';
import { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { Clock } from '../kube/clock.ts';
import { KubeEventRecorder } from '../kube/event-recorder.ts';
import { startLeaderElectedLoop, type LeaderElectedLoop } from '../kube/leader-elected-loop.ts';
import type { LeaderElectorOptions } from '../kube/lease-elector.ts';
import { KubeLeaseStore } from '../kube/lease-store.ts';
import { boundedKubeConfig } from '../kube/request-bounds.ts';
import type { MachineJournal } from '../visualizer/machine-journal.ts';
import { Supervisor } from './supervisor.ts';
import { informerCaches, type CacheScope, type SupervisorCaches } from './supervisor-caches.ts';
import type { SupervisorMetrics } from './supervisor-metrics.ts';
import type { NetworkPolicySettings } from './network-policy.ts';

export function supervisorLeaseName(clusterName: string): string {
  return `flinkvisor-supervisor-${clusterName}`;
}

/** One supervisor and its election, whoever hosts it: its own process, or the operator (fleet mode). */
export interface SupervisorInstanceOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly clusterName: string;
  readonly identity: string;
  readonly log: Logger;
  readonly clock: Clock;
  readonly metrics: SupervisorMetrics;
  readonly flinkUrl?: string;
  readonly pollIntervalMs?: number;
  readonly allowPrivateNetworks?: boolean;
  readonly networkPolicy?: NetworkPolicySettings;
  readonly lease?: Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
  readonly journal?: MachineJournal;
  /** The connections to a Flink REST endpoint; default: a pool of its own per endpoint. */
  readonly flinkDispatcher?: (baseUrl: string) => FlinkDispatcher;
  /** The watched caches; default: informers of its own on the API server. */
  readonly caches?: (scope: CacheScope) => SupervisorCaches;
}

export interface SupervisorInstance {
  readonly supervisor: Supervisor;
  /** The election, once `campaign` started it. */
  readonly loop: () => LeaderElectedLoop | undefined;
  /** Fills the caches, then campaigns for the cluster's Lease. */
  campaign(): Promise<LeaderElectedLoop>;
  /** Clean shutdown: finish the pass in flight, stop acting, release the lease, stop watching. */
  shutdown(): Promise<void>;
}

/**
 * A supervisor that watches from the start and acts only while holding the Lease
 * `flinkvisor-supervisor-<cluster>`: a standalone supervisor and one the operator hosts campaign
 * for the same Lease, so two never act on a cluster at once.
 */
export function createSupervisorInstance(o: SupervisorInstanceOptions): SupervisorInstance {
  const election: { loop?: LeaderElectedLoop } = {};
  // Every API request is bounded in time; the leader's own (writes, reads it decides on, Events)
  // are also cancelled the moment its leadership ends, so none lands after a successor took over.
  const bounded = boundedKubeConfig(o.kubeConfig);
  const asLeader = boundedKubeConfig(o.kubeConfig, { cancelWhen: () => election.loop?.leadership() });
  const events = new KubeEventRecorder(asLeader, 'flinkvisor-supervisor', o.identity, o.clock, (err) =>
    o.log.debug({ err: String(err) }, 'event not recorded'),
  );
  const dispatcher = o.flinkDispatcher ?? ((baseUrl: string) => flinkDispatcherFor(baseUrl));
  const supervisor = new Supervisor({
    ...(o.journal ? { journal: o.journal } : {}),
    kubeConfig: asLeader,
    // The watches serve every replica, leading or not: bounded, never cancelled with leadership.
    caches: o.caches ?? ((scope) => informerCaches(bounded, scope)),
    namespace: o.namespace,
    clusterName: o.clusterName,
    clock: o.clock,
    log: o.log,
    events,
    metrics: o.metrics,
    flinkClient: (baseUrl) =>
      new FlinkRestClient({
        baseUrl,
        dispatcher: dispatcher(baseUrl),
        onRequest: (e) => o.metrics.observeFlinkRequest(e),
      }),
    ...(o.flinkUrl ? { flinkUrl: o.flinkUrl } : {}),
    ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
    ...(o.allowPrivateNetworks ? { allowPrivateNetworks: true } : {}),
    ...(o.networkPolicy ? { networkPolicy: o.networkPolicy } : {}),
  });
  return {
    supervisor,
    loop: () => election.loop,
    async campaign() {
      await supervisor.start();
      election.loop = startLeaderElectedLoop({
        store: new KubeLeaseStore(bounded, o.namespace, supervisorLeaseName(o.clusterName), {
          'app.kubernetes.io/managed-by': 'flinkvisor',
          'flinkvisor.io/cluster': o.clusterName,
        }),
        identity: o.identity,
        clock: o.clock,
        log: o.log,
        leaderGauge: o.metrics.leader,
        lead: (signal, term) => supervisor.lead(signal, term),
        drain: () => supervisor.drain(),
        ...(o.lease ? { lease: o.lease } : {}),
      });
      return election.loop;
    },
    async shutdown() {
      await election.loop?.shutdown();
      supervisor.stop();
    },
  };
}
