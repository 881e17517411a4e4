import { Counter, Gauge, Histogram, type LabelValues, type Registry } from 'prom-client';
import type { FlinkRequestEvent } from '../flink/http-transport.ts';
import { controllerMetrics } from '../observability/metrics.ts';

export const SUPERVISOR_METRICS_PREFIX = 'flinkvisor_supervisor';

/** What the supervisor does with its metrics: a prom-client metric, or one cluster's view of a shared one. */
export interface LabeledCounter<L extends string> {
  inc(labels: LabelValues<L>, value?: number): void;
}
export interface LabeledGauge<L extends string> {
  set(labels: LabelValues<L>, value: number): void;
}
export interface LabeledHistogram<L extends string> {
  observe(labels: LabelValues<L>, value: number): void;
}
export interface UnlabeledGauge {
  set(value: number): void;
}

/** The supervisor's metrics; every label value is bounded (machine kinds, states, routes, results). */
export interface SupervisorMetrics {
  readonly reconcileTotal: LabeledCounter<'controller' | 'result'>;
  readonly reconcileDuration: LabeledHistogram<'controller'>;
  readonly leader: UnlabeledGauge;
  readonly machineStates: LabeledGauge<'machine' | 'state'>;
  readonly transitions: LabeledCounter<'machine' | 'from' | 'to'>;
  readonly flinkRequests: LabeledCounter<'route' | 'method' | 'outcome'>;
  readonly flinkRequestDuration: LabeledHistogram<'route' | 'method'>;
  readonly apiWrites: LabeledCounter<'kind'>;
  readonly machineFailures: LabeledCounter<'machine'>;
  observeFlinkRequest(event: FlinkRequestEvent): void;
}

/** The labels that tell the supervisors hosted by one process (fleet mode) apart. */
export const CLUSTER_LABELS = ['namespace', 'cluster'] as const;
type ClusterLabel = (typeof CLUSTER_LABELS)[number];

/** One supervisor's metrics in a registry of its own (a supervisor process). */
export function supervisorMetrics(registry: Registry): SupervisorMetrics {
  return createSupervisorMetrics(registry, []);
}

/**
 * The metrics of many supervisors in one registry (fleet mode: the operator hosts them): every
 * series carries `namespace` and `cluster`, and `forCluster` is one supervisor's view, which adds
 * them. `forget` drops the series of a supervisor that stopped, so a deleted cluster leaves none.
 */
export interface FleetSupervisorMetrics {
  forCluster(namespace: string, cluster: string): SupervisorMetrics;
  forget(namespace: string, cluster: string): Promise<void>;
}

export function fleetSupervisorMetrics(registry: Registry): FleetSupervisorMetrics {
  const shared = createSupervisorMetrics(registry, CLUSTER_LABELS);
  const leader = registry.getSingleMetric(`${SUPERVISOR_METRICS_PREFIX}_leader`) as Gauge<ClusterLabel>;
  const all = registry
    .getMetricsAsArray()
    .filter((m) => m.name.startsWith(`${SUPERVISOR_METRICS_PREFIX}_`)) as unknown as {
    get(): Promise<{ values: { labels: Record<string, string | number> }[] }>;
    remove(labels: Record<string, string | number>): void;
  }[];
  return {
    forCluster(namespace, cluster) {
      const own = { namespace, cluster };
      const counter = (c: LabeledCounter<string>): LabeledCounter<string> => ({
        inc: (labels, value) => c.inc({ ...labels, ...own }, value),
      });
      const histogram = (h: LabeledHistogram<string>): LabeledHistogram<string> => ({
        observe: (labels, value) => h.observe({ ...labels, ...own }, value),
      });
      return {
        reconcileTotal: counter(shared.reconcileTotal),
        reconcileDuration: histogram(shared.reconcileDuration),
        leader: { set: (value) => leader.set(own, value) },
        machineStates: {
          set: (labels, value) =>
            (shared.machineStates as LabeledGauge<string>).set({ ...labels, ...own }, value),
        },
        transitions: counter(shared.transitions),
        flinkRequests: counter(shared.flinkRequests),
        flinkRequestDuration: histogram(shared.flinkRequestDuration),
        apiWrites: counter(shared.apiWrites),
        machineFailures: counter(shared.machineFailures),
        observeFlinkRequest(event) {
          shared.observeFlinkRequest(event, own);
        },
      };
    },
    async forget(namespace, cluster) {
      // prom-client removes a series by its full label set only: find this cluster's series first
      // (a histogram lists each bucket, `le` being its own label, not one to remove by).
      for (const metric of all) {
        const seen = new Set<string>();
        for (const { labels } of (await metric.get()).values) {
          if (labels['namespace'] !== namespace || labels['cluster'] !== cluster) continue;
          const own = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'le'));
          const key = JSON.stringify(own);
          if (seen.has(key)) continue;
          seen.add(key);
          metric.remove(own);
        }
      }
    },
  };
}

function createSupervisorMetrics(
  registry: Registry,
  extra: readonly ClusterLabel[],
): SupervisorMetrics & {
  observeFlinkRequest(event: FlinkRequestEvent, labels?: Record<string, string>): void;
} {
  const p = SUPERVISOR_METRICS_PREFIX;
  const base = controllerMetrics(registry, p, extra);
  const flinkRequests = new Counter({
    name: `${p}_flink_requests_total`,
    help: 'Flink REST requests by route template, method and outcome.',
    labelNames: ['route', 'method', 'outcome', ...extra],
    registers: [registry],
  });
  const flinkRequestDuration = new Histogram({
    name: `${p}_flink_request_duration_seconds`,
    help: 'Latency of Flink REST requests.',
    labelNames: ['route', 'method', ...extra],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    reconcileTotal: base.reconcileTotal,
    reconcileDuration: base.reconcileDuration,
    leader: base.leader,
    machineStates: new Gauge({
      name: `${p}_machine_state`,
      help: 'Resources per machine kind and lifecycle state (Unknown, Starting, Started, Stopping, Stopped, Terminated).',
      labelNames: ['machine', 'state', ...extra],
      registers: [registry],
    }),
    transitions: new Counter({
      name: `${p}_machine_transitions_total`,
      help: 'Lifecycle transitions taken by the machines.',
      labelNames: ['machine', 'from', 'to', ...extra],
      registers: [registry],
    }),
    flinkRequests,
    flinkRequestDuration,
    machineFailures: new Counter({
      name: `${p}_machine_failures_total`,
      help: 'State machines that threw (a bug) and were restored from the stored status after a backoff.',
      labelNames: ['machine', ...extra],
      registers: [registry],
    }),
    apiWrites: new Counter({
      name: `${p}_api_writes_total`,
      help: 'Writes to the Kubernetes API server by the supervisor (status, metadata, disruptionBudget).',
      labelNames: ['kind', ...extra],
      registers: [registry],
    }),
    observeFlinkRequest(event: FlinkRequestEvent, labels: Record<string, string> = {}) {
      flinkRequests.inc({ route: event.route, method: event.method, outcome: event.outcome, ...labels });
      flinkRequestDuration.observe(
        { route: event.route, method: event.method, ...labels },
        event.durationMs / 1000,
      );
    },
  };
}
