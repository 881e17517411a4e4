import { excerptFlinkMessage } from './error-excerpt.ts';
import type { FlinkAsyncOperation } from './schemas.ts';

/**
 * Flink reports an asynchronous operation (savepoint, stop-with-savepoint, checkpoint, savepoint
 * disposal) as `{status: {id: IN_PROGRESS|COMPLETED}, operation: {...}}`, where a COMPLETED operation
 * may have failed. This turns that into one explicit state per outcome.
 */

export interface FlinkFailureCause {
  /** The Java exception class, e.g. `java.util.concurrent.CompletionException`. */
  readonly className: string | undefined;
  /** Exception lines of the stack trace, without frames, clipped. */
  readonly message: string;
}

export type SavepointStatus =
  | { readonly state: 'IN_PROGRESS' }
  | { readonly state: 'COMPLETED'; readonly location: string }
  | { readonly state: 'FAILED'; readonly failure: FlinkFailureCause };

export type CheckpointStatus =
  | { readonly state: 'IN_PROGRESS' }
  | { readonly state: 'COMPLETED'; readonly checkpointId: number }
  | { readonly state: 'FAILED'; readonly failure: FlinkFailureCause };

export type DisposalStatus =
  | { readonly state: 'IN_PROGRESS' }
  | { readonly state: 'COMPLETED' }
  | { readonly state: 'FAILED'; readonly failure: FlinkFailureCause };

type Completed = { state: 'COMPLETED'; operation: NonNullable<FlinkAsyncOperation['operation']> | undefined };
type Interpreted = { state: 'IN_PROGRESS' } | Completed | { state: 'FAILED'; failure: FlinkFailureCause };

export function interpretOperation(result: FlinkAsyncOperation): Interpreted {
  if (result.status.id === 'IN_PROGRESS') return { state: 'IN_PROGRESS' };
  const op = result.operation ?? undefined;
  // Savepoints and disposals name it `failure-cause`, checkpoints `failureCause`.
  const cause = op?.['failure-cause'] ?? op?.failureCause;
  if (cause) {
    const className = typeof cause.class === 'string' ? cause.class : undefined;
    const trace = typeof cause['stack-trace'] === 'string' ? cause['stack-trace'] : undefined;
    return {
      state: 'FAILED',
      failure: { className, message: excerptFlinkMessage(trace ?? className ?? 'failed without a cause') },
    };
  }
  return { state: 'COMPLETED', operation: op };
}
