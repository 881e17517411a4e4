import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { FlinkRequestEvent } from '../flink/http-transport.ts';
import { controllerMetrics, type ControllerMetrics } from '../observability/metrics.ts';

export const SUPERVISOR_METRICS_PREFIX = 'flinkvisor_supervisor';

/** The supervisor's metrics; every label value is bounded (machine kinds, states, routes, results). */
export interface SupervisorMetrics extends ControllerMetrics {
  readonly machineStates: Gauge<'machine' | 'state'>;
  readonly transitions: Counter<'machine' | 'from' | 'to'>;
  readonly flinkRequests: Counter<'route' | 'method' | 'outcome'>;
  readonly flinkRequestDuration: Histogram<'route' | 'method'>;
  readonly apiWrites: Counter<'kind'>;
  readonly machineFailures: Counter<'machine'>;
  observeFlinkRequest(event: FlinkRequestEvent): void;
}

export function supervisorMetrics(registry: Registry): SupervisorMetrics {
  const p = SUPERVISOR_METRICS_PREFIX;
  const base = controllerMetrics(registry, p);
  const flinkRequests = new Counter({
    name: `${p}_flink_requests_total`,
    help: 'Flink REST requests by route template, method and outcome.',
    labelNames: ['route', 'method', 'outcome'],
    registers: [registry],
  });
  const flinkRequestDuration = new Histogram({
    name: `${p}_flink_request_duration_seconds`,
    help: 'Latency of Flink REST requests.',
    labelNames: ['route', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    ...base,
    machineStates: new Gauge({
      name: `${p}_machine_state`,
      help: 'Resources per machine kind and lifecycle state (Unknown, Starting, Started, Stopping, Stopped, Terminated).',
      labelNames: ['machine', 'state'],
      registers: [registry],
    }),
    transitions: new Counter({
      name: `${p}_machine_transitions_total`,
      help: 'Lifecycle transitions taken by the machines.',
      labelNames: ['machine', 'from', 'to'],
      registers: [registry],
    }),
    flinkRequests,
    flinkRequestDuration,
    machineFailures: new Counter({
      name: `${p}_machine_failures_total`,
      help: 'State machines that threw (a bug) and were restored from the stored status after a backoff.',
      labelNames: ['machine'],
      registers: [registry],
    }),
    apiWrites: new Counter({
      name: `${p}_api_writes_total`,
      help: 'Writes to the Kubernetes API server by the supervisor (status, metadata).',
      labelNames: ['kind'],
      registers: [registry],
    }),
    observeFlinkRequest(event) {
      flinkRequests.inc({ route: event.route, method: event.method, outcome: event.outcome });
      flinkRequestDuration.observe({ route: event.route, method: event.method }, event.durationMs / 1000);
    },
  };
}
