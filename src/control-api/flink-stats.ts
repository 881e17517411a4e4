import type { FlinkMetric } from '../flink/schemas.ts';

/**
 * The toolbox's JobStats, JobManagerStats and TaskManagerStats (docs/rules.md §7) from Flink
 * metric ids. Each field lists the ids it may come from, newest Flink first: metrics were renamed
 * and removed over the versions (Flink 2 dropped `fullRestarts`, `uptime` and `downtime`), so a
 * field Flink does not report is `null` rather than a made-up 0. Garbage collectors are reported
 * by name (G1 young/old on current JVMs), not as the toolbox's fixed Copy/MarkSweepCompact pair.
 */

export type MetricValue = number | string | null;

type FieldSources = Readonly<Record<string, readonly string[]>>;

export const JOB_STATS_SOURCES: FieldSources = {
  totalNumberOfCheckpoints: ['totalNumberOfCheckpoints'],
  numberOfCompletedCheckpoints: ['numberOfCompletedCheckpoints'],
  numberOfInProgressCheckpoints: ['numberOfInProgressCheckpoints'],
  numberOfFailedCheckpoints: ['numberOfFailedCheckpoints'],
  lastCheckpointDuration: ['lastCheckpointDuration'],
  lastCheckpointSize: ['lastCheckpointSize'],
  lastCheckpointFullSize: ['lastCheckpointFullSize'],
  lastCheckpointRestoreTimestamp: ['lastCheckpointRestoreTimestamp'],
  lastCheckpointAlignmentBuffered: ['lastCheckpointAlignmentBuffered'],
  lastCheckpointExternalPath: ['lastCheckpointExternalPath'],
  lastCompletedCheckpointId: ['lastCompletedCheckpointId'],
  fullRestarts: ['fullRestarts', 'numRestarts'],
  numRestarts: ['numRestarts'],
  restartingTime: ['restartingTime'],
  runningTime: ['runningTime'],
  uptime: ['uptime', 'runningTime'],
  downtime: ['downtime'],
};

const JVM_SOURCES: FieldSources = {
  jvmCPUTime: ['Status.JVM.CPU.Time'],
  jvmCPULoad: ['Status.JVM.CPU.Load'],
  jvmThreadsCount: ['Status.JVM.Threads.Count'],
  jvmMemoryHeapMax: ['Status.JVM.Memory.Heap.Max'],
  jvmMemoryHeapUsed: ['Status.JVM.Memory.Heap.Used'],
  jvmMemoryHeapCommitted: ['Status.JVM.Memory.Heap.Committed'],
  jvmMemoryNonHeapMax: ['Status.JVM.Memory.NonHeap.Max'],
  jvmMemoryNonHeapUsed: ['Status.JVM.Memory.NonHeap.Used'],
  jvmMemoryNonHeapCommitted: ['Status.JVM.Memory.NonHeap.Committed'],
  jvmMemoryMetaspaceUsed: ['Status.JVM.Memory.Metaspace.Used'],
  jvmMemoryDirectCount: ['Status.JVM.Memory.Direct.Count'],
  jvmMemoryDirectUsed: ['Status.JVM.Memory.Direct.MemoryUsed'],
  jvmMemoryDirectTotalCapacity: ['Status.JVM.Memory.Direct.TotalCapacity'],
  jvmMemoryMappedCount: ['Status.JVM.Memory.Mapped.Count'],
  jvmMemoryMappedUsed: ['Status.JVM.Memory.Mapped.MemoryUsed'],
  jvmMemoryMappedTotalCapacity: ['Status.JVM.Memory.Mapped.TotalCapacity'],
  jvmClassesLoaded: ['Status.JVM.ClassLoader.ClassesLoaded'],
  jvmClassesUnloaded: ['Status.JVM.ClassLoader.ClassesUnloaded'],
};

export const JOB_MANAGER_STATS_SOURCES: FieldSources = {
  ...JVM_SOURCES,
  taskSlotsTotal: ['taskSlotsTotal'],
  taskSlotsAvailable: ['taskSlotsAvailable'],
  numRegisteredTaskManagers: ['numRegisteredTaskManagers'],
  numRunningJobs: ['numRunningJobs'],
};

export const TASK_MANAGER_STATS_SOURCES: FieldSources = {
  ...JVM_SOURCES,
  managedMemoryUsed: ['Status.Flink.Memory.Managed.Used'],
  managedMemoryTotal: ['Status.Flink.Memory.Managed.Total'],
  networkMemoryUsed: ['Status.Shuffle.Netty.UsedMemory'],
  networkMemoryTotal: ['Status.Shuffle.Netty.TotalMemory'],
};

const GC_METRIC = /^Status\.JVM\.GarbageCollector\.([^.]+)\.(Count|Time)$/;

/** Every metric id the fields of `sources` may come from, for one `?get=` query. */
export function metricIds(sources: FieldSources): string[] {
  return [...new Set(Object.values(sources).flat())];
}

/** The garbage-collector metric ids among the ids a JobManager or TaskManager offers. */
export function garbageCollectorIds(available: readonly FlinkMetric[]): string[] {
  return available.map((m) => m.id).filter((id) => GC_METRIC.test(id));
}

/** Flink reports every value as a string: numbers become numbers, `n/a` and absent become null. */
export function metricValue(raw: string | undefined): MetricValue {
  if (raw === undefined || raw === '' || raw === 'n/a') return null;
  const n = Number(raw);
  return Number.isFinite(n) && /^-?[0-9.eE+-]+$/.test(raw.trim()) ? n : raw;
}

function fieldsFrom(sources: FieldSources, metrics: readonly FlinkMetric[]): Record<string, MetricValue> {
  const byId = new Map(metrics.map((m) => [m.id, m.value]));
  const out: Record<string, MetricValue> = {};
  for (const [field, ids] of Object.entries(sources)) {
    const id = ids.find((candidate) => byId.has(candidate));
    out[field] = id === undefined ? null : metricValue(byId.get(id));
  }
  return out;
}

export function jobStats(metrics: readonly FlinkMetric[]): Record<string, MetricValue> {
  return fieldsFrom(JOB_STATS_SOURCES, metrics);
}

function garbageCollectors(
  metrics: readonly FlinkMetric[],
): Record<string, { count: MetricValue; time: MetricValue }> {
  const out: Record<string, { count: MetricValue; time: MetricValue }> = {};
  for (const m of metrics) {
    const match = GC_METRIC.exec(m.id);
    if (!match) continue;
    const name = match[1] ?? '';
    const entry = (out[name] ??= { count: null, time: null });
    if (match[2] === 'Count') entry.count = metricValue(m.value);
    else entry.time = metricValue(m.value);
  }
  return out;
}

export function jobManagerStats(metrics: readonly FlinkMetric[]): Record<string, unknown> {
  return {
    ...fieldsFrom(JOB_MANAGER_STATS_SOURCES, metrics),
    jvmGarbageCollectors: garbageCollectors(metrics),
  };
}

export function taskManagerStats(metrics: readonly FlinkMetric[]): Record<string, unknown> {
  return {
    ...fieldsFrom(TASK_MANAGER_STATS_SOURCES, metrics),
    jvmGarbageCollectors: garbageCollectors(metrics),
  };
}
