// Flink's exception history (`GET /jobs/:jobid/exceptions`) in the client's shape: the same fields
// for 1.x and 2.x (2.x says `endpoint` where 1.x said `location`), nulls as absent.
import type { z } from 'zod';
import type { FlinkException, JobExceptions } from './client-types.ts';
import type { jobExceptionsSchema } from './schemas.ts';

function toException(e: {
  exceptionName?: string | undefined;
  stacktrace?: string | undefined;
  timestamp?: number | undefined;
  taskName?: string | null | undefined;
  endpoint?: string | null | undefined;
  location?: string | null | undefined;
  taskManagerId?: string | null | undefined;
  failureLabels?: Record<string, string> | undefined;
}): FlinkException {
  return {
    exceptionName: e.exceptionName,
    stacktrace: e.stacktrace,
    timestamp: e.timestamp,
    taskName: e.taskName ?? undefined,
    endpoint: e.endpoint ?? e.location ?? undefined,
    taskManagerId: e.taskManagerId ?? undefined,
    failureLabels: e.failureLabels ?? {},
  };
}

export function exceptionHistoryOf(data: z.infer<typeof jobExceptionsSchema>): JobExceptions {
  return {
    truncated: data.exceptionHistory.truncated,
    entries: data.exceptionHistory.entries.map((e) => ({
      ...toException(e),
      concurrentExceptions: e.concurrentExceptions.map(toException),
    })),
  };
}
