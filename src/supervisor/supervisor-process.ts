import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { FLINK_CLUSTER } from '../api/names.ts';
import { createFlinkDispatcher } from '../flink/dispatcher.ts';
import { FlinkRestClient } from '../flink/flink-rest-client.ts';
import { systemClock, type Clock } from '../kube/clock.ts';
import { KubeEventRecorder } from '../kube/event-recorder.ts';
import type { LeaderElector, LeaderElectorOptions } from '../kube/lease-elector.ts';
import { startLeaderElectedLoop, type LeaderElectedLoop } from '../kube/leader-elected-loop.ts';
import { KubeLeaseStore } from '../kube/lease-store.ts';
import { boundedKubeConfig } from '../kube/request-bounds.ts';
import { startHealthServer, type HealthServer } from '../observability/health-server.ts';
import { createRegistry } from '../observability/metrics.ts';
import { MachineJournal } from '../visualizer/machine-journal.ts';
import { startDebugServer } from '../visualizer/debug-server.ts';
import { Supervisor } from './supervisor.ts';
import { informerCaches } from './supervisor-caches.ts';
import { supervisorMetrics } from './supervisor-metrics.ts';

export interface SupervisorProcessOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly clusterName: string;
  readonly identity: string;
  readonly log: Logger;
  readonly monitoring: { host: string; port: number };
  readonly flinkUrl?: string;
  readonly pollIntervalMs?: number;
  readonly allowPrivateNetworks?: boolean;
  readonly lease?: Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
  readonly clock?: Clock;
  /** The state visualizer (/debug/): off when absent. */
  readonly debug?: { host: string; port: number };
}

export interface RunningSupervisor {
  readonly supervisor: Supervisor;
  readonly elector: LeaderElector;
  readonly health: HealthServer;
  /** Resolves when the process should exit: `lost` (the lease was lost: exit non-zero) or `stopped`. */
  readonly done: Promise<'lost' | 'stopped'>;
  /** Clean shutdown: finish the pass in flight, stop acting, then release the lease so a successor need not wait. */
  shutdown(): Promise<void>;
}

export function supervisorLeaseName(clusterName: string): string {
  return `flinkvisor-supervisor-${clusterName}`;
}

/**
 * The supervisor process: watches from the start on every replica, acts only while holding the
 * Lease, exits when it loses the Lease (client-go's advice: never keep acting without it).
 */
export async function startSupervisorProcess(o: SupervisorProcessOptions): Promise<RunningSupervisor> {
  const clock = o.clock ?? systemClock;
  const registry = createRegistry('flinkvisor_supervisor');
  const metrics = supervisorMetrics(registry);
  const election: { loop?: LeaderElectedLoop } = {};
  // Every API request is bounded in time; the leader's own (writes, reads it decides on, Events)
  // are also cancelled the moment its leadership ends, so none lands after a successor took over.
  const bounded = boundedKubeConfig(o.kubeConfig);
  const asLeader = boundedKubeConfig(o.kubeConfig, { cancelWhen: () => election.loop?.leadership() });
  const events = new KubeEventRecorder(asLeader, 'flinkvisor-supervisor', o.identity, clock, (err) =>
    o.log.debug({ err: String(err) }, 'event not recorded'),
  );
  const journal = new MachineJournal({ now: () => clock.now() });
  const supervisor = new Supervisor({
    journal,
    kubeConfig: asLeader,
    // The watches serve every replica, leading or not: bounded, never cancelled with leadership.
    caches: (scope) => informerCaches(bounded, scope),
    namespace: o.namespace,
    clusterName: o.clusterName,
    clock,
    log: o.log,
    events,
    metrics,
    flinkClient: (baseUrl) =>
      new FlinkRestClient({
        baseUrl,
        dispatcher: createFlinkDispatcher(baseUrl),
        onRequest: (e) => metrics.observeFlinkRequest(e),
      }),
    ...(o.flinkUrl ? { flinkUrl: o.flinkUrl } : {}),
    ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
    ...(o.allowPrivateNetworks ? { allowPrivateNetworks: true } : {}),
  });
  // Created before campaigning; the loop starts once caches are warm (below).
  const startLoop = () =>
    startLeaderElectedLoop({
      store: new KubeLeaseStore(bounded, o.namespace, supervisorLeaseName(o.clusterName), {
        'app.kubernetes.io/managed-by': 'flinkvisor',
        'flinkvisor.io/cluster': o.clusterName,
      }),
      identity: o.identity,
      clock,
      log: o.log,
      leaderGauge: metrics.leader,
      lead: (signal) => supervisor.lead(signal),
      drain: () => supervisor.drain(),
      ...(o.lease ? { lease: o.lease } : {}),
    });
  const health = await startHealthServer({
    host: o.monitoring.host,
    port: o.monitoring.port,
    registry,
    live: () => election.loop?.elector.healthy() ?? true,
    ready: () => supervisor.synced,
  });
  await supervisor.start();
  const debug = o.debug
    ? await startDebugServer({
        ...o.debug,
        journal,
        machines: { list: () => supervisor.machines() },
        supervisor: { namespace: o.namespace, cluster: o.clusterName },
      })
    : undefined;
  o.log.info(
    { kind: FLINK_CLUSTER.kind, cluster: o.clusterName, namespace: o.namespace },
    'caches synced; campaigning',
  );
  const loop = startLoop();
  election.loop = loop;
  return {
    supervisor,
    elector: loop.elector,
    health,
    done: loop.done,
    shutdown: async () => {
      await loop.shutdown();
      supervisor.stop();
      await health.close();
      await debug?.close();
    },
  };
}
