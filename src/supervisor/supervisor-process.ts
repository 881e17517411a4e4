import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { FLINK_CLUSTER } from '../api/names.ts';
import { systemClock, type Clock } from '../kube/clock.ts';
import type { LeaderElector, LeaderElectorOptions } from '../kube/lease-elector.ts';
import { startHealthServer, type HealthServer } from '../observability/health-server.ts';
import { createRegistry } from '../observability/metrics.ts';
import { MachineJournal } from '../visualizer/machine-journal.ts';
import { startDebugServer } from '../visualizer/debug-server.ts';
import type { Supervisor } from './supervisor.ts';
import { createSupervisorInstance, supervisorLeaseName } from './supervisor-instance.ts';
import { supervisorMetrics } from './supervisor-metrics.ts';
import type { NetworkPolicySettings } from './network-policy.ts';

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
  readonly networkPolicy?: NetworkPolicySettings;
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

export { supervisorLeaseName };

/**
 * The supervisor process: watches from the start on every replica, acts only while holding the
 * Lease, exits when it loses the Lease (client-go's advice: never keep acting without it).
 */
export async function startSupervisorProcess(o: SupervisorProcessOptions): Promise<RunningSupervisor> {
  const clock = o.clock ?? systemClock;
  const registry = createRegistry('flinkvisor_supervisor');
  const journal = new MachineJournal({ now: () => clock.now() });
  const instance = createSupervisorInstance({
    kubeConfig: o.kubeConfig,
    namespace: o.namespace,
    clusterName: o.clusterName,
    identity: o.identity,
    log: o.log,
    clock,
    metrics: supervisorMetrics(registry),
    journal,
    ...(o.flinkUrl ? { flinkUrl: o.flinkUrl } : {}),
    ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
    ...(o.allowPrivateNetworks ? { allowPrivateNetworks: true } : {}),
    ...(o.networkPolicy ? { networkPolicy: o.networkPolicy } : {}),
    ...(o.lease ? { lease: o.lease } : {}),
  });
  const { supervisor } = instance;
  const health = await startHealthServer({
    host: o.monitoring.host,
    port: o.monitoring.port,
    registry,
    live: () => instance.loop()?.elector.healthy() ?? true,
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
  const loop = await instance.campaign();
  return {
    supervisor,
    elector: loop.elector,
    health,
    done: loop.done,
    shutdown: async () => {
      await instance.shutdown();
      await health.close();
      await debug?.close();
    },
  };
}
