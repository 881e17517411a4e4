import { FLINK_CLUSTER } from '../api/names.ts';
import { FlinkRestError } from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import { isFlinkId } from '../flink/ids.ts';
import { notFound, problemFromFlink } from './errors.ts';
import {
  garbageCollectorIds,
  JOB_MANAGER_STATS_SOURCES,
  JOB_STATS_SOURCES,
  jobManagerStats,
  jobStats,
  metricIds,
  TASK_MANAGER_STATS_SOURCES,
  taskManagerStats,
} from './flink-stats.ts';
import { param, type Handler, type HandlerDependencies, type RequestContext } from './handler-context.ts';
import { requireJob, requiredResource } from './resource-handlers.ts';

// Reads proxied to a cluster's JobManager through the FlinkRestClient. The cluster must exist
// (404), and must have a JobManager: a Stopped or Terminated cluster has none, which is a 404
// ClusterNotRunning rather than a wait for a connection that cannot succeed. Flink failures map
// to 404/502/503/504 in errors.ts.

const NOT_RUNNING = new Set(['Stopped', 'Terminated']);

async function flinkOf(deps: HandlerDependencies, ctx: RequestContext): Promise<FlinkRestClient> {
  const name = param(ctx, 'cluster');
  const cluster = await requiredResource(deps.store, FLINK_CLUSTER, ctx.namespace, name);
  const state = cluster.status?.['supervisorStatus'];
  if (typeof state === 'string' && NOT_RUNNING.has(state)) {
    throw notFound(
      `FlinkCluster ${ctx.namespace}/${name} is ${state}: it has no JobManager`,
      'ClusterNotRunning',
    );
  }
  return deps.flinkFor(ctx.namespace, name);
}

async function fromFlink<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof FlinkRestError) throw problemFromFlink(err, what);
    throw err;
  }
}

function runningJobId(ctx: RequestContext): string {
  const job = requireJob(ctx);
  const jobId = job.status?.['jobId'];
  if (typeof jobId !== 'string' || !isFlinkId(jobId)) {
    const state = String(job.status?.['supervisorStatus'] ?? 'Unknown');
    throw notFound(
      `FlinkJob ${ctx.namespace}/${job.metadata.name ?? ''} has no Flink job (it is ${state})`,
      'JobNotRunning',
    );
  }
  return jobId;
}

export function flinkProxyHandlers(deps: HandlerDependencies) {
  return {
    getJobDetails: (async (ctx) => {
      const jobId = runningJobId(ctx);
      const flink = await flinkOf(deps, ctx);
      return {
        status: 200,
        body: await fromFlink(`Flink job ${jobId}`, () => flink.getJob(jobId, { signal: ctx.signal })),
      };
    }) satisfies Handler,
    getJobMetrics: (async (ctx) => {
      const jobId = runningJobId(ctx);
      const flink = await flinkOf(deps, ctx);
      const metrics = await fromFlink(`Flink job ${jobId}`, () =>
        flink.getJobMetrics(jobId, metricIds(JOB_STATS_SOURCES), { signal: ctx.signal }),
      );
      return { status: 200, body: jobStats(metrics) };
    }) satisfies Handler,
    getJobManagerMetrics: (async (ctx) => {
      const flink = await flinkOf(deps, ctx);
      const metrics = await fromFlink('the JobManager', async () => {
        const available = await flink.getJobManagerMetrics(undefined, { signal: ctx.signal });
        const ids = [...metricIds(JOB_MANAGER_STATS_SOURCES), ...garbageCollectorIds(available)];
        return flink.getJobManagerMetrics(ids, { signal: ctx.signal });
      });
      return { status: 200, body: jobManagerStats(metrics) };
    }) satisfies Handler,
    listTaskManagers: (async (ctx) => {
      const flink = await flinkOf(deps, ctx);
      return {
        status: 200,
        body: await fromFlink('the TaskManagers', () => flink.listTaskManagers({ signal: ctx.signal })),
      };
    }) satisfies Handler,
    getTaskManagerDetails: (async (ctx) => {
      const id = param(ctx, 'taskmanager');
      const flink = await flinkOf(deps, ctx);
      return {
        status: 200,
        body: await fromFlink(`TaskManager ${id}`, () => flink.getTaskManager(id, { signal: ctx.signal })),
      };
    }) satisfies Handler,
    getTaskManagerMetrics: (async (ctx) => {
      const id = param(ctx, 'taskmanager');
      const flink = await flinkOf(deps, ctx);
      const metrics = await fromFlink(`TaskManager ${id}`, async () => {
        const available = await flink.getTaskManagerMetrics(id, undefined, { signal: ctx.signal });
        const ids = [...metricIds(TASK_MANAGER_STATS_SOURCES), ...garbageCollectorIds(available)];
        return flink.getTaskManagerMetrics(id, ids, { signal: ctx.signal });
      });
      return { status: 200, body: taskManagerStats(metrics) };
    }) satisfies Handler,
  };
}
