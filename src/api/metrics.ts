import { z } from 'zod';

// Flink's Prometheus reporter as one setting: spec.metrics.prometheus becomes the reporter's
// configuration (metrics.reporter.prom.*), a container port named `metrics` and, unless turned
// off, the prometheus.io scrape annotations on the JobManager and TaskManager pods. The reporter's
// plugin (flink-metrics-prometheus) is in plugins/ of every Flink distribution and official image,
// so it needs no ENABLE_BUILT_IN_PLUGINS: the factory class alone turns it on.

/** Flink's own default port of the Prometheus reporter. */
export const DEFAULT_PROMETHEUS_PORT = 9249;
export const PROMETHEUS_REPORTER_FACTORY = 'org.apache.flink.metrics.prometheus.PrometheusReporterFactory';
/** The container port name a PodMonitor (or a ServiceMonitor) refers to. */
export const METRICS_PORT_NAME = 'metrics';

export const prometheusMetricsSpec = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Flink's Prometheus reporter on the JobManager and every TaskManager."),
    port: z
      .int()
      .min(1024)
      .max(65535)
      .default(DEFAULT_PROMETHEUS_PORT)
      .describe(
        'Port the reporter serves /metrics on (metrics.reporter.prom.port), declared as the container port metrics.',
      ),
    scrapeAnnotations: z
      .boolean()
      .default(true)
      .describe(
        'prometheus.io/scrape, prometheus.io/port and prometheus.io/path annotations on the JobManager and TaskManager pods (annotations of the pod spec win).',
      ),
  })
  .describe(
    "Flink's Prometheus reporter (the flink-metrics-prometheus plugin every Flink distribution carries in plugins/).",
  );

export const metricsSpec = z
  .object({ prometheus: prometheusMetricsSpec.exactOptional() })
  .describe('Metrics reporters of the JobManager and TaskManagers. Changing them restarts the cluster.');

export type MetricsSpec = z.infer<typeof metricsSpec>;
export type PrometheusMetricsSpec = z.infer<typeof prometheusMetricsSpec>;

/** The Prometheus reporter's settings when it is on, else undefined. */
export function prometheusReporter(metrics: MetricsSpec | undefined): PrometheusMetricsSpec | undefined {
  const prometheus = metrics?.prometheus;
  return prometheus?.enabled ? prometheus : undefined;
}

/** The reporter's Flink configuration: its factory and its port. */
export function metricsConfiguration(metrics: MetricsSpec | undefined): Record<string, string> {
  const prometheus = prometheusReporter(metrics);
  if (!prometheus) return {};
  return {
    'metrics.reporter.prom.factory.class': PROMETHEUS_REPORTER_FACTORY,
    'metrics.reporter.prom.port': String(prometheus.port),
  };
}

/** What a JobManager or TaskManager pod carries for the reporter: a named port and scrape annotations. */
export interface MetricsPodAdditions {
  readonly ports: { name: string; containerPort: number; protocol: 'TCP' }[];
  readonly annotations: Record<string, string>;
}

export function metricsPodAdditions(metrics: MetricsSpec | undefined): MetricsPodAdditions {
  const prometheus = prometheusReporter(metrics);
  if (!prometheus) return { ports: [], annotations: {} };
  return {
    ports: [{ name: METRICS_PORT_NAME, containerPort: prometheus.port, protocol: 'TCP' }],
    annotations: prometheus.scrapeAnnotations
      ? {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(prometheus.port),
          'prometheus.io/path': '/metrics',
        }
      : {},
  };
}
