import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../kube/clock.ts';
import { KubeEventRecorder } from '../kube/event-recorder.ts';
import type { LeaderElector } from '../kube/lease-elector.ts';
import { startLeaderElectedLoop, type LeaderElectedLoop } from '../kube/leader-elected-loop.ts';
import { KubeLeaseStore } from '../kube/lease-store.ts';
import { boundedKubeConfig } from '../kube/request-bounds.ts';
import { startHealthServer, type HealthServer } from '../observability/health-server.ts';
import { createRegistry } from '../observability/metrics.ts';
import { startControlApi, type ControlApi, type ControlApiTls } from '../control-api/control-api-server.ts';
import { createFlinkDispatcher } from '../flink/dispatcher.ts';
import { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { ClosableSupervisorHost } from './supervisor-deployments.ts';
import { Operator } from './operator.ts';
import { operatorMetrics, OPERATOR_METRICS_PREFIX } from './operator-metrics.ts';

export interface OperatorProcessOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespaces: readonly string[] | 'all';
  /** Where the operator's own Lease lives (its own namespace). */
  readonly leaseNamespace: string;
  readonly identity: string;
  readonly log: Logger;
  readonly monitoring: { host: string; port: number };
  readonly supervisorArgs?: readonly string[];
  readonly forceDeletionAfterMs?: number;
  readonly clock?: Clock;
  /**
   * Fleet mode: the host of one supervisor per FlinkCluster in this process (given the operator's
   * registry, for their metrics), instead of a supervisor Deployment each.
   */
  readonly embeddedSupervisors?: (registry: Registry) => ClosableSupervisorHost;
  /** The control REST API (every replica serves it); off when absent. */
  readonly api?: {
    host: string;
    port: number;
    tls?: ControlApiTls;
    insecureHttp?: boolean;
    /** Audiences of the tokens it accepts, and whether API server tokens count too (ADR 0022). */
    audiences?: readonly string[];
    acceptApiServerTokens?: boolean;
  };
}

export interface RunningOperator {
  readonly api: ControlApi | undefined;
  readonly operator: Operator;
  /** The supervisors hosted here (fleet mode), else undefined. */
  readonly embedded: ClosableSupervisorHost | undefined;
  readonly elector: LeaderElector;
  readonly health: HealthServer;
  readonly done: Promise<'lost' | 'stopped'>;
  shutdown(): Promise<void>;
}

export const OPERATOR_LEASE_NAME = 'flinkvisor-operator';

/** The operator process: every replica watches (and serves the API); the Lease holder reconciles. */
export async function startOperatorProcess(o: OperatorProcessOptions): Promise<RunningOperator> {
  const clock = o.clock ?? systemClock;
  const registry = createRegistry(OPERATOR_METRICS_PREFIX);
  const metrics = operatorMetrics(registry);
  const election: { loop?: LeaderElectedLoop } = {};
  // Every API request is bounded in time; the leader's own are also cancelled when leadership ends.
  const bounded = boundedKubeConfig(o.kubeConfig);
  const asLeader = boundedKubeConfig(o.kubeConfig, { cancelWhen: () => election.loop?.leadership() });
  const events = new KubeEventRecorder(asLeader, 'flinkvisor-operator', o.identity, clock, (err) =>
    o.log.debug({ err: String(err) }, 'event not recorded'),
  );
  const embedded = o.embeddedSupervisors?.(registry);
  const operator = new Operator({
    kubeConfig: asLeader,
    namespaces: o.namespaces,
    clock,
    log: o.log,
    events,
    metrics,
    ...(o.supervisorArgs ? { supervisorArgs: o.supervisorArgs } : {}),
    ...(o.forceDeletionAfterMs ? { forceDeletionAfterMs: o.forceDeletionAfterMs } : {}),
    ...(embedded ? { embeddedSupervisors: embedded } : {}),
  });
  // Created before campaigning; the loop starts once caches are warm (below).
  const startLoop = () =>
    startLeaderElectedLoop({
      store: new KubeLeaseStore(bounded, o.leaseNamespace, OPERATOR_LEASE_NAME, {
        'app.kubernetes.io/managed-by': 'flinkvisor',
      }),
      identity: o.identity,
      clock,
      log: o.log,
      leaderGauge: metrics.leader,
      lead: (signal) => operator.lead(signal),
      drain: () => operator.drain(),
    });
  const health = await startHealthServer({
    host: o.monitoring.host,
    port: o.monitoring.port,
    registry,
    live: () => election.loop?.elector.healthy() ?? true,
    ready: () => operator.synced,
  });
  await operator.start();
  const api = o.api
    ? await startControlApi({
        kubeConfig: bounded,
        namespaces: o.namespaces,
        defaultNamespace: o.leaseNamespace,
        host: o.api.host,
        port: o.api.port,
        ...(o.api.tls ? { tls: o.api.tls } : {}),
        ...(o.api.insecureHttp ? { insecureHttp: true } : {}),
        ...(o.api.audiences ? { audiences: o.api.audiences } : {}),
        ...(o.api.acceptApiServerTokens === undefined
          ? {}
          : { acceptApiServerTokens: o.api.acceptApiServerTokens }),
        flinkClient: (baseUrl) =>
          new FlinkRestClient({ baseUrl, dispatcher: createFlinkDispatcher(baseUrl) }),
        log: o.log.child({ component: 'control-api' }),
        clock,
        registry,
      })
    : undefined;
  o.log.info({ namespaces: o.namespaces, api: api?.url }, 'caches synced; campaigning');
  const loop = startLoop();
  election.loop = loop;
  return {
    operator,
    embedded,
    elector: loop.elector,
    health,
    api,
    done: loop.done,
    shutdown: async () => {
      await loop.shutdown();
      // Each hosted supervisor drains, then releases its own Lease.
      await embedded?.shutdown();
      operator.stop();
      await api?.close();
      await health.close();
    },
  };
}
