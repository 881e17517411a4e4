import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often Node's event-loop delay is sampled for the default metrics, in ms. prom-client's 10 ms
 * wakes an idle process 100 times a second: about 0.4 % of a core for every supervisor and the
 * operator at rest, against 0.06 % at 100 ms (`npm run bench:idle-cpu`). A controller's lag worth
 * seeing is far longer than 100 ms. Node's histogram records the whole interval between samples, so
 * the `nodejs_eventloop_lag_{min,mean,p50,p90,p99,max}_seconds` series read about 0.1 s at rest:
 * the lag is what is over it (`nodejs_eventloop_lag_seconds`, measured at each scrape, is not affected).
 */
export const EVENT_LOOP_SAMPLING_MS = 100;

/**
 * A private registry per process role, every name prefixed (`flinkvisor_supervisor_...`), never the
 * global default registry. Label values are bounded: states, results, endpoints — never free text.
 */
export function createRegistry(prefix: string, withDefaults = true): Registry {
  const registry = new Registry();
  if (withDefaults)
    collectDefaultMetrics({
      register: registry,
      prefix: `${prefix}_`,
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLING_MS,
    });
  return registry;
}

export interface ControllerMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly leader: Gauge;
}

/** `extra`: labels every series also carries (the supervisors hosted in one process: their cluster). */
export function controllerMetrics(
  registry: Registry,
  prefix: string,
  extra: readonly string[] = [],
): ControllerMetrics {
  return {
    registry,
    reconcileTotal: new Counter({
      name: `${prefix}_reconcile_total`,
      help: 'Reconciles by controller and result (success, requeue_after, error, terminal).',
      labelNames: ['controller', 'result', ...extra],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: `${prefix}_reconcile_duration_seconds`,
      help: 'Time spent in one reconcile.',
      labelNames: ['controller', ...extra],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: `${prefix}_workqueue_depth`,
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller', ...extra],
      registers: [registry],
    }),
    leader: new Gauge({
      name: `${prefix}_leader`,
      help: '1 while this replica holds the lease.',
      labelNames: [...extra],
      registers: [registry],
    }),
  };
}
