import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import {
  FlinkBadRequestError,
  FlinkInvalidArgumentError,
  FlinkNotFoundError,
  isFlinkRestError,
} from '../flink/errors.ts';
import type { FlinkId } from '../flink/ids.ts';
import { BOOTSTRAP_EXIT } from './exit-codes.ts';
import { JarSourceError, obtainJar, type JarLocation } from './jar-source.ts';
import type { SnapshotPresence } from './snapshot-check.ts';

/** What to submit; the supervisor chooses the job id, so a repeated run never starts a second job. */
export interface BootstrapRequest {
  readonly jobId: FlinkId;
  readonly jar: JarLocation;
  readonly className?: string;
  readonly parallelism?: number;
  readonly savepointPath?: string;
  readonly allowNonRestoredState?: boolean;
  readonly arguments: readonly string[];
  readonly workDir: string;
  readonly allowPrivateNetworks: boolean;
}

export type BootstrapOutcome =
  | { readonly result: 'submitted' | 'already-running'; readonly jobId: FlinkId; readonly exitCode: 0 }
  | {
      readonly result: 'failed';
      readonly permanent: boolean;
      readonly message: string;
      readonly exitCode: number;
    };

export interface BootstrapLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

function failure(err: unknown): BootstrapOutcome {
  const message = err instanceof Error ? err.message : String(err);
  const permanent =
    (err instanceof JarSourceError && err.permanent) ||
    err instanceof FlinkBadRequestError ||
    err instanceof FlinkInvalidArgumentError;
  return {
    result: 'failed',
    permanent,
    message,
    exitCode: permanent ? BOOTSTRAP_EXIT.permanent : BOOTSTRAP_EXIT.retryable,
  };
}

/**
 * Uploads the jar and runs it with the chosen job id, then deletes the uploaded jar. Idempotent: a
 * job id Flink already knows means an earlier attempt got through, so nothing is submitted again.
 * It never writes the FlinkJob status: the supervisor learns the outcome from the Job and from Flink.
 */
export async function runBootstrap(
  client: FlinkRestClient,
  request: BootstrapRequest,
  log: BootstrapLog,
  /** Whether the snapshot to restore has its `_metadata` (snapshot-check.ts); absent: not checked. */
  checkSnapshot?: (path: string) => Promise<SnapshotPresence>,
): Promise<BootstrapOutcome> {
  try {
    const existing = await client.getJobStatus(request.jobId).catch((err: unknown) => {
      if (err instanceof FlinkNotFoundError) return undefined;
      throw err;
    });
    if (existing) {
      log.info('job already submitted; nothing to do', { jobId: request.jobId, state: existing });
      return { result: 'already-running', jobId: request.jobId, exitCode: 0 };
    }
    if (request.savepointPath && checkSnapshot) {
      const presence = await checkSnapshot(request.savepointPath);
      if (presence === 'missing') {
        const message = `the snapshot to restore, ${request.savepointPath}, has no _metadata: not submitting (the job is never started empty instead)`;
        log.warn(message, { jobId: request.jobId, savepointPath: request.savepointPath });
        return { result: 'failed', permanent: true, message, exitCode: BOOTSTRAP_EXIT.snapshotMissing };
      }
      log.info('snapshot to restore checked', { savepointPath: request.savepointPath, presence });
    }
    const jar = await obtainJar(request.jar, {
      workDir: request.workDir,
      allowPrivateNetworks: request.allowPrivateNetworks,
    });
    let jarId: string | undefined;
    try {
      const uploaded = await client.uploadJar(jar.path, {});
      jarId = uploaded.jarId;
      log.info('jar uploaded', { jarId, bytes: jar.bytes });
      const run = await client.runJar(jarId, {
        jobId: request.jobId,
        ...(request.className ? { entryClass: request.className } : {}),
        ...(request.parallelism !== undefined ? { parallelism: request.parallelism } : {}),
        ...(request.savepointPath ? { savepointPath: request.savepointPath } : {}),
        ...(request.allowNonRestoredState !== undefined
          ? { allowNonRestoredState: request.allowNonRestoredState }
          : {}),
        programArgs: request.arguments,
      });
      log.info(run.outcome === 'submitted' ? 'job submitted' : 'job was already submitted', {
        jobId: run.jobId,
      });
      return {
        result: run.outcome === 'submitted' ? 'submitted' : 'already-running',
        jobId: run.jobId,
        exitCode: 0,
      };
    } finally {
      if (jarId) {
        await client
          .deleteJar(jarId)
          .catch((err: unknown) =>
            log.warn('could not delete the uploaded jar', { jarId, err: String(err) }),
          );
      }
      await jar.cleanup();
    }
  } catch (err) {
    const outcome = failure(err);
    log.warn('bootstrap failed', {
      jobId: request.jobId,
      permanent: outcome.result === 'failed' && outcome.permanent,
      err: isFlinkRestError(err) ? err.message : String(err),
    });
    return outcome;
  }
}
