// The Flink REST calls the savepoint history makes (savepoint-history.ts), behind a port so the
// history is tested without a JobManager.
import { FlinkNotFoundError } from '../flink/errors.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import { systemClock, withTimeout, type Clock } from '../kube/clock.ts';
import type { FlinkVerdict } from './savepoint-records.ts';

/**
 * Flink's answers about savepoints and their disposal. A savepoint's `UNKNOWN`: Flink does not know
 * the id (404); `UNREACHABLE`: it could not be asked. A disposal's `UNKNOWN`: Flink forgot it.
 */
export interface SavepointFlink {
  savepointStatus(jobId: string, triggerId: string): Promise<FlinkVerdict>;
  dispose(path: string): Promise<string>;
  disposalStatus(
    triggerId: string,
  ): Promise<{ state: 'IN_PROGRESS' | 'COMPLETED' | 'UNKNOWN' } | { state: 'FAILED'; message: string }>;
}

/** The Flink REST calls of the history, each bounded by `timeoutMs`. */
export function savepointFlink(
  client: () => FlinkRestClient,
  timeoutMs: number,
  clock: Clock = systemClock,
): SavepointFlink {
  const bounded = <T>(call: (c: { signal: AbortSignal }) => Promise<T>) =>
    withTimeout(clock, timeoutMs, (signal) => call({ signal }));
  return {
    async savepointStatus(jobId, triggerId) {
      try {
        const status = await bounded((c) => client().getSavepointStatus(jobId, triggerId, c));
        if (status.state === 'FAILED')
          return { state: 'FAILED', message: status.failure.message || status.failure.className || 'failed' };
        return status;
      } catch (err) {
        return err instanceof FlinkNotFoundError ? { state: 'UNKNOWN' } : { state: 'UNREACHABLE' };
      }
    },
    async dispose(path) {
      return (await bounded((c) => client().disposeSavepoint(path, c))).triggerId;
    },
    async disposalStatus(triggerId) {
      try {
        const status = await bounded((c) => client().getSavepointDisposalStatus(triggerId, c));
        if (status.state === 'FAILED')
          return { state: 'FAILED', message: status.failure.message || status.failure.className || 'failed' };
        return status;
      } catch (err) {
        // A JobManager that restarted forgot the disposal: it is requested again.
        return err instanceof FlinkNotFoundError ? { state: 'UNKNOWN' } : { state: 'IN_PROGRESS' };
      }
    },
  };
}
