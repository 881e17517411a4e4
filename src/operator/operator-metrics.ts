import { Gauge, type Registry } from 'prom-client';
import { controllerMetrics, type ControllerMetrics } from '../observability/metrics.ts';

export const OPERATOR_METRICS_PREFIX = 'flinkvisor_operator';

export interface OperatorMetrics extends ControllerMetrics {
  /** FlinkClusters and FlinkJobs per namespace and supervisorStatus (the toolbox's gauges). */
  readonly resources: Gauge<'kind' | 'namespace' | 'status'>;
}

export function operatorMetrics(registry: Registry): OperatorMetrics {
  return {
    ...controllerMetrics(registry, OPERATOR_METRICS_PREFIX),
    resources: new Gauge({
      name: `${OPERATOR_METRICS_PREFIX}_resources`,
      help: 'FlinkClusters and FlinkJobs by namespace and supervisorStatus.',
      labelNames: ['kind', 'namespace', 'status'],
      registers: [registry],
    }),
  };
}
