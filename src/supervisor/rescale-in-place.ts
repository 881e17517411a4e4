// The job machine's rescaleInPlace port (ports.ts): a new parallelism through Flink's adaptive
// scheduler, without a savepoint or a resubmission. The vertices that run at the job parallelism
// get the new upper bound (a vertex the program pinned keeps its own, as the autoscaler's decision
// assumes), then the job is polled until they run at it. docs/adr/0017-autoscaler.md.
import type { RescaleInPlaceInput, RescaleInPlaceOutput } from '../machines/ports.ts';
import {
  FlinkBadRequestError,
  FlinkServerError,
  FlinkTimeoutError,
  FlinkUnavailableError,
  FlinkUnsupportedError,
} from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { ResourceRequirements } from '../flink/request-bodies.ts';
import { withTimeout, type Clock } from '../kube/clock.ts';

export type RescaleClient = Pick<
  FlinkRestClient,
  'capabilities' | 'getJob' | 'getResourceRequirements' | 'updateResourceRequirements'
>;

export interface RescaleDeps {
  readonly clock: Clock;
  /** Between two reads of the job while Flink rescales. */
  readonly pollIntervalMs: number;
  /** Bound of one request. */
  readonly flinkTimeoutMs: number;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
}

/** How a scheduler that cannot rescale in place answers the PUT (Flink 1.18-2.3: a 500 saying so). */
const REFUSED_BY_SCHEDULER = /UnsupportedOperationException|not supported|AdaptiveScheduler/i;

/** The requirements that set `to` on each vertex at `from` (or already at `to`: a repeat after a restore). */
export function rescaledRequirements(
  current: ResourceRequirements,
  from: number,
  to: number,
): { requirements: ResourceRequirements; vertices: readonly string[]; changed: boolean } {
  const requirements: Record<string, { parallelism: { lowerBound: number; upperBound: number } }> = {};
  const vertices: string[] = [];
  let changed = false;
  for (const [id, { parallelism }] of Object.entries(current)) {
    const scalable = parallelism.upperBound === from || parallelism.upperBound === to;
    if (!scalable) {
      requirements[id] = { parallelism: { ...parallelism } };
      continue;
    }
    vertices.push(id);
    const next = { lowerBound: Math.min(parallelism.lowerBound, to), upperBound: to };
    if (next.lowerBound !== parallelism.lowerBound || next.upperBound !== parallelism.upperBound)
      changed = true;
    requirements[id] = { parallelism: next };
  }
  return { requirements, vertices, changed };
}

function transient(err: unknown): boolean {
  return (
    err instanceof FlinkUnavailableError ||
    err instanceof FlinkTimeoutError ||
    (err instanceof FlinkServerError && !refusedByScheduler(err)) ||
    (err as { name?: unknown } | null)?.name === 'TimeoutError'
  );
}

function refusedByScheduler(err: unknown): boolean {
  return (
    err instanceof FlinkServerError && REFUSED_BY_SCHEDULER.test([err.message, ...err.errors].join('\n'))
  );
}

/**
 * Ask Flink for the new parallelism and wait until the job runs at it. Resolves `applied: false`
 * when Flink cannot do it in place; transient errors are retried until `signal` aborts (the
 * machine's deadline); anything else rejects.
 */
export async function rescaleInPlace(
  client: RescaleClient,
  input: RescaleInPlaceInput,
  deps: RescaleDeps,
  signal: AbortSignal,
): Promise<RescaleInPlaceOutput> {
  const bounded = <T>(call: (signal: AbortSignal) => Promise<T>) =>
    withTimeout(deps.clock, deps.flinkTimeoutMs, (timeout) => call(AbortSignal.any([signal, timeout])));
  const refused = (reason: string): RescaleInPlaceOutput => {
    deps.log('rescale in place refused', { jobId: input.jobId, to: input.to, reason });
    return { applied: false, reason, at: deps.clock.now() };
  };
  let asked: readonly string[] | null = null;
  for (;;) {
    try {
      const caps = await bounded((s) => client.capabilities({ signal: s }));
      if (!caps.resourceRequirements)
        return refused(`Flink ${caps.version.raw} has no resource-requirements endpoint (1.18 or later)`);
      if (asked === null) {
        const job = await bounded((s) => client.getJob(input.jobId, { signal: s }));
        // Flink 2.3 names the job's scheduler; older versions leave it to the PUT to refuse.
        if (job.schedulerType !== undefined && job.schedulerType.toLowerCase() !== 'adaptive')
          return refused(`the job runs on the ${job.schedulerType} scheduler, not the adaptive one`);
        const current = await bounded((s) => client.getResourceRequirements(input.jobId, { signal: s }));
        const next = rescaledRequirements(current, input.from, input.to);
        if (next.vertices.length === 0) return refused(`no vertex runs at the job parallelism ${input.from}`);
        if (next.changed) {
          await bounded((s) =>
            client.updateResourceRequirements(input.jobId, next.requirements, { signal: s }),
          );
          deps.log('resource requirements updated', { jobId: input.jobId, from: input.from, to: input.to });
        }
        asked = next.vertices;
      }
      const job = await bounded((s) => client.getJob(input.jobId, { signal: s }));
      const rescaled = asked.every((id) => {
        const vertex = job.vertices.find((v) => v.id === id);
        return vertex !== undefined && vertex.parallelism === input.to && vertex.status === 'RUNNING';
      });
      if (job.state === 'RUNNING' && rescaled) {
        deps.log('rescaled in place', { jobId: input.jobId, from: input.from, to: input.to });
        return { applied: true, at: deps.clock.now() };
      }
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof FlinkUnsupportedError) return refused(err.message);
      if (err instanceof FlinkBadRequestError || refusedByScheduler(err))
        return refused(`Flink refused the new resource requirements: ${(err as Error).message}`);
      if (!transient(err)) throw err;
      // An outage, or the JobMaster busy restarting the job at the new parallelism: read again.
    }
    await deps.clock.sleep(Math.max(500, Math.floor(deps.pollIntervalMs / 2)), signal);
  }
}
