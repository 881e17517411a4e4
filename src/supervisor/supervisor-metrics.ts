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
  /** The autoscaler's decisions per FlinkJob (autoscaler-metrics.ts keeps them). */
  readonly autoscaler: AutoscalerMetrics;
  observeFlinkRequest(event: FlinkRequestEvent): void;
}

/** The labels of one FlinkJob's autoscaler series. */
export type AutoscalerLabel = 'namespace' | 'job';

export interface AutoscalerMetrics {
  readonly currentParallelism: LabeledGauge<AutoscalerLabel>;
  readonly recommendedParallelism: LabeledGauge<AutoscalerLabel>;
  readonly utilization: LabeledGauge<AutoscalerLabel>;
  readonly decisions: LabeledCounter<AutoscalerLabel | 'reason'>;
  readonly rescales: LabeledCounter<AutoscalerLabel | 'direction'>;
  /** Drops one job's series (the job is gone, or its autoscaler is off); with `gaugesOnly`, its gauges only. */
  forgetJob(namespace: string, job: string, gaugesOnly?: boolean): Promise<void>;
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
    .filter((m) => m.name.startsWith(`${SUPERVISOR_METRICS_PREFIX}_`)) as unknown as RemovableMetric[];
  return {
    forCluster(namespace, cluster) {
      const own = { namespace, cluster };
      const counter = (c: LabeledCounter<string>): LabeledCounter<string> => ({
        inc: (labels, value) => c.inc({ ...labels, ...own }, value),
      });
      const gauge = (g: LabeledGauge<string>): LabeledGauge<string> => ({
        set: (labels, value) => g.set({ ...labels, ...own }, value),
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
        autoscaler: {
          currentParallelism: gauge(shared.autoscaler.currentParallelism),
          recommendedParallelism: gauge(shared.autoscaler.recommendedParallelism),
          utilization: gauge(shared.autoscaler.utilization),
          decisions: counter(shared.autoscaler.decisions),
          rescales: counter(shared.autoscaler.rescales),
          forgetJob: (jobNamespace, job, gaugesOnly) =>
            shared.autoscaler.forgetJob(jobNamespace, job, gaugesOnly, { cluster }),
        },
        observeFlinkRequest(event) {
          shared.observeFlinkRequest(event, own);
        },
      };
    },
    async forget(namespace, cluster) {
      for (const metric of all) await removeSeries(metric, { namespace, cluster });
    },
  };
}

/** What removing series by some of their labels needs of a prom-client metric. */
interface RemovableMetric {
  get(): Promise<{ values: { labels: Record<string, string | number> }[] }>;
  remove(labels: Record<string, string | number>): void;
}

/**
 * Removes every series whose labels include `match`. prom-client removes a series by its full label
 * set only: the matching series are found first (a histogram lists each bucket, `le` being its own
 * label, not one to remove by).
 */
async function removeSeries(metric: RemovableMetric, match: Record<string, string>): Promise<void> {
  const seen = new Set<string>();
  for (const { labels } of (await metric.get()).values) {
    if (Object.entries(match).some(([k, v]) => labels[k] !== v)) continue;
    const own = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'le'));
    const key = JSON.stringify(own);
    if (seen.has(key)) continue;
    seen.add(key);
    metric.remove(own);
  }
}

/** The autoscaler's metrics of all the supervisors of one registry: `more` are their own labels. */
type SharedAutoscalerMetrics = Omit<AutoscalerMetrics, 'forgetJob'> & {
  forgetJob(
    namespace: string,
    job: string,
    gaugesOnly?: boolean,
    more?: Record<string, string>,
  ): Promise<void>;
};

/**
 * The autoscaler's series, labelled by the FlinkJob's namespace and name (and, in fleet mode, its
 * cluster: `extra` then holds `cluster`, the namespace being the job's own).
 */
function createAutoscalerMetrics(registry: Registry, extra: readonly string[]): SharedAutoscalerMetrics {
  const p = `${SUPERVISOR_METRICS_PREFIX}_autoscaler`;
  const labelNames = ['namespace', 'job', ...extra];
  const gauge = (name: string, help: string) =>
    new Gauge({ name: `${p}_${name}`, help, labelNames, registers: [registry] });
  const currentParallelism = gauge('current_parallelism', 'Parallelism the autoscaled job runs at.');
  const recommendedParallelism = gauge(
    'recommended_parallelism',
    'Parallelism the autoscaler decided (equal to the current one while it holds; 0 while the job does not run).',
  );
  const utilization = gauge(
    'utilization',
    "Busy-time fraction of the job's busiest scalable vertex over the metrics window, as the latest decision read it.",
  );
  const decisions = new Counter({
    name: `${p}_decisions_total`,
    help: 'Autoscaler decisions by reason, counted each time the reason or the recommended parallelism changes.',
    labelNames: [...labelNames, 'reason'],
    registers: [registry],
  });
  const rescales = new Counter({
    name: `${p}_rescales_total`,
    help: 'Rescales the autoscaler recorded in act mode, by direction (up, down).',
    labelNames: [...labelNames, 'direction'],
    registers: [registry],
  });
  const gauges = [currentParallelism, recommendedParallelism, utilization] as unknown as RemovableMetric[];
  const counters = [decisions, rescales] as unknown as RemovableMetric[];
  return {
    currentParallelism,
    recommendedParallelism,
    utilization,
    decisions,
    rescales,
    async forgetJob(namespace, job, gaugesOnly = false, more = {}) {
      for (const metric of gaugesOnly ? gauges : [...gauges, ...counters])
        await removeSeries(metric, { namespace, job, ...more });
    },
  };
}

function createSupervisorMetrics(
  registry: Registry,
  extra: readonly ClusterLabel[],
): Omit<SupervisorMetrics, 'autoscaler'> & {
  readonly autoscaler: SharedAutoscalerMetrics;
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
    autoscaler: createAutoscalerMetrics(
      registry,
      extra.filter((label) => label !== 'namespace'),
    ),
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
