import { z } from 'zod';
import { FLINK_SAVEPOINT, LABELS, MAX_FLINK_JOB_NAME_LENGTH } from './names.ts';
import { resourceEnvelope } from './resource.ts';
import { timestamp } from './status.ts';

// FlinkSavepoint (fsp): one savepoint of a FlinkJob (ADR 0015). The supervisor records every
// savepoint it takes as one, owned by the FlinkJob; retention (spec.savepoint.history of the job)
// and `dispose` remove the files through Flink before the object is deleted.

/** Why the savepoint was taken. */
export const SAVEPOINT_KINDS = ['periodic', 'manual', 'stop', 'upgrade', 'deletion'] as const;
/** Flink's savepoint formats: canonical (portable across state backends) or native (faster). */
export const SAVEPOINT_FORMATS = ['canonical', 'native'] as const;
export const SAVEPOINT_STATES = ['Pending', 'Completed', 'Failed', 'Abandoned'] as const;
/** Disposal of the files: Pending (requested or waiting for a JobManager), Failed (retried). */
export const DISPOSAL_STATES = ['Pending', 'Failed'] as const;
export const SEARCH_STATES = ['Pending', 'Found', 'NotFound', 'Failed'] as const;

export const flinkSavepointSpec = z
  .object({
    jobName: z
      .string()
      .min(1)
      .max(MAX_FLINK_JOB_NAME_LENGTH)
      .describe('The FlinkJob, in the same namespace, the savepoint belongs to.'),
    kind: z
      .enum(SAVEPOINT_KINDS)
      .default('manual')
      .describe('Why it was taken: periodic, manual, stop, upgrade or deletion.'),
    formatType: z
      .enum(SAVEPOINT_FORMATS)
      .default('canonical')
      .describe('Savepoint format: canonical (portable) or native.'),
    triggerId: z
      .string()
      .max(128)
      .exactOptional()
      .describe('Flink trigger id of the savepoint, set by the supervisor (absent on a request).'),
    dispose: z
      .boolean()
      .default(false)
      .describe(
        'Delete the savepoint files (through the JobManager), then this object. The savepoint the job restores next is never disposed.',
      ),
  })
  .describe('Which job the savepoint belongs to and what is asked of it.');

export const flinkSavepointStatus = z
  .object({
    state: z.enum(SAVEPOINT_STATES).exactOptional().describe('Pending, Completed, Failed or Abandoned.'),
    path: z.string().max(2048).exactOptional().describe('Location of the savepoint once completed.'),
    triggerId: z.string().max(128).exactOptional().describe('Flink trigger id of the savepoint.'),
    jobId: z.string().max(64).exactOptional().describe('Flink job id the savepoint was taken of.'),
    requestTimestamp: timestamp('When the savepoint was requested.').exactOptional(),
    completionTimestamp: timestamp('When the supervisor saw it complete.').exactOptional(),
    size: z.int().min(0).exactOptional().describe('Size in bytes, when Flink reported it.'),
    message: z.string().max(4096).exactOptional().describe('Why it failed or was abandoned.'),
    disposal: z
      .object({
        state: z.enum(DISPOSAL_STATES).describe('Pending (in progress or waiting) or Failed (retried).'),
        reason: z.string().max(1024).exactOptional().describe('Why it is retention, a request, ...'),
        triggerId: z.string().max(128).exactOptional().describe('Flink trigger id of the disposal.'),
        attempts: z.int().min(0).default(0).describe('Disposals requested so far.'),
        message: z.string().max(4096).exactOptional().describe('Latest failure, or what it waits for.'),
        lastAttemptTimestamp: timestamp('When the latest disposal was requested.').exactOptional(),
      })
      .exactOptional()
      .describe('Disposal of the files in progress; the object is deleted once they are gone.'),
    search: z
      .object({
        state: z
          .enum(SEARCH_STATES)
          .describe('Pending (the search Job runs), Found, NotFound or Failed (see message).'),
        directory: z.string().max(2048).exactOptional().describe('The target directory searched.'),
        jobId: z.string().max(64).exactOptional().describe('Flink job id whose savepoints are looked for.'),
        since: timestamp('Savepoints written before this are not this one.').exactOptional(),
        message: z.string().max(1024).exactOptional().describe('Why the search failed.'),
      })
      .exactOptional()
      .describe(
        'Flink forgot the trigger (a JobManager restart): the files are looked for in the target directory (ADR 0023).',
      ),
  })
  .describe('The savepoint as the supervisor saw it.');

export const flinkSavepointResource = resourceEnvelope(
  FLINK_SAVEPOINT.kind,
  flinkSavepointSpec,
  flinkSavepointStatus,
  'A savepoint of a FlinkJob',
);

export type FlinkSavepointSpec = z.infer<typeof flinkSavepointSpec>;
export type FlinkSavepointStatus = z.infer<typeof flinkSavepointStatus>;
export type FlinkSavepoint = z.infer<typeof flinkSavepointResource>;
export type SavepointKind = (typeof SAVEPOINT_KINDS)[number];
export type SavepointState = (typeof SAVEPOINT_STATES)[number];

/**
 * The FlinkSavepoints of one job: spec.jobName names it, and so does the job label when there is
 * one (a user's request has none until the supervisor adopts it).
 */
export function savepointsOfJob<
  T extends { metadata: { labels?: Record<string, string> }; spec?: Record<string, unknown> },
>(objects: readonly T[], jobName: string): T[] {
  return objects.filter(
    (o) => o.spec?.['jobName'] === jobName && (o.metadata.labels?.[LABELS.job] ?? jobName) === jobName,
  );
}
