import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A private registry per process role, every name prefixed (`flinkvisor_supervisor_...`), never the
 * global default registry. Label values are bounded: states, results, endpoints — never free text.
 */
export function createRegistry(prefix: string, withDefaults = true): Registry {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  return registry;
}

export interface ControllerMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly leader: Gauge;
}

export function controllerMetrics(registry: Registry, prefix: string): ControllerMetrics {
  return {
    registry,
    reconcileTotal: new Counter({
      name: `${prefix}_reconcile_total`,
      help: 'Reconciles by controller and result (success, requeue_after, error, terminal).',
      labelNames: ['controller', 'result'],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: `${prefix}_reconcile_duration_seconds`,
      help: 'Time spent in one reconcile.',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: `${prefix}_workqueue_depth`,
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: `${prefix}_leader`,
      help: '1 while this replica holds the lease.',
      registers: [registry],
    }),
  };
}
