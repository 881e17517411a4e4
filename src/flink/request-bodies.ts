import { FlinkInvalidArgumentError, FlinkUnsupportedError } from './errors.ts';
import { assertFlinkId, type FlinkId } from './ids.ts';
import { formatFlinkVersion, isAtLeast, type FlinkCapabilities } from './version.ts';

/**
 * Request bodies shaped for one Flink version: only fields that version knows, never a null or an
 * undefined, renamed where Flink renamed them (restoreMode → claimMode in 1.19). Up to 1.19 Flink
 * answers any unknown field with 400; from 1.20 it ignores it silently, which is no better for a
 * field that was meant to act, so a field the version lacks is refused here in both cases.
 */

export type ClaimMode = 'CLAIM' | 'NO_CLAIM' | 'LEGACY';
export type SavepointFormat = 'CANONICAL' | 'NATIVE';
/** `INCREMENTAL` is refused by Flink itself (FLINK-33723). */
export type CheckpointKind = 'CONFIGURED' | 'FULL';

export interface RunJarRequest {
  /** Chosen by the caller (see ids.ts): a repeat with the same id never starts a second job. */
  readonly jobId: FlinkId;
  readonly entryClass?: string;
  readonly programArgs?: readonly string[];
  readonly parallelism?: number;
  readonly savepointPath?: string;
  readonly allowNonRestoredState?: boolean;
  readonly claimMode?: ClaimMode;
  readonly flinkConfiguration?: Readonly<Record<string, string>>;
}

export interface SavepointRequest {
  /** Chosen by the caller and kept in status before the call: a repeat joins the same savepoint. */
  readonly triggerId: FlinkId;
  /** Defaults to the cluster's `execution.checkpointing.savepoint-dir`. */
  readonly targetDirectory?: string;
  readonly cancelJob?: boolean;
  readonly formatType?: SavepointFormat;
}

export interface StopWithSavepointRequest {
  readonly triggerId: FlinkId;
  readonly targetDirectory?: string;
  /** Emit MAX_WATERMARK first, flushing event-time timers (for a final stop, not for an upgrade). */
  readonly drain?: boolean;
  readonly formatType?: SavepointFormat;
}

export interface CheckpointRequest {
  readonly triggerId: FlinkId;
  readonly checkpointType?: CheckpointKind;
}

/** Parallelism bounds per job vertex id, as `GET /jobs/:jobid/resource-requirements` returns them. */
export type ResourceRequirements = Readonly<
  Record<string, { readonly parallelism: { readonly lowerBound: number; readonly upperBound: number } }>
>;

type Since = readonly [major: number, minor: number];

/** The release each field first appeared in, per body (from the generated REST specs). */
const RUN_JAR_FIELDS: Readonly<Record<string, Since>> = {
  entryClass: [1, 0],
  programArgsList: [1, 7],
  parallelism: [1, 0],
  jobId: [1, 8],
  savepointPath: [1, 0],
  allowNonRestoredState: [1, 0],
  restoreMode: [1, 15],
  claimMode: [1, 19],
  flinkConfiguration: [1, 17],
};
const SAVEPOINT_FIELDS: Readonly<Record<string, Since>> = {
  'target-directory': [1, 0],
  'cancel-job': [1, 0],
  triggerId: [1, 14],
  formatType: [1, 15],
};
const STOP_FIELDS: Readonly<Record<string, Since>> = {
  targetDirectory: [1, 0],
  drain: [1, 0],
  triggerId: [1, 14],
  formatType: [1, 15],
};
const CHECKPOINT_FIELDS: Readonly<Record<string, Since>> = {
  triggerId: [1, 17],
  checkpointType: [1, 17],
};

function compact(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function checkFields(
  caps: FlinkCapabilities,
  what: string,
  body: Record<string, unknown>,
  table: Readonly<Record<string, Since>>,
): Record<string, unknown> {
  for (const field of Object.keys(body)) {
    const since = table[field];
    if (!since) throw new Error(`internal: ${what} field ${field} has no entry in the version table`);
    if (!isAtLeast(caps.version, since[0], since[1])) {
      const how = caps.strictRequestBodies ? 'would reject the request' : 'would ignore it';
      throw new FlinkUnsupportedError(
        `${what}: Flink ${formatFlinkVersion(caps.version)} has no field ${field} (added in ${since[0]}.${since[1]}) and ${how}`,
      );
    }
  }
  return body;
}

function positiveInt(value: number | undefined, what: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new FlinkInvalidArgumentError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}

function nonEmpty(value: string | undefined, what: string): string | undefined {
  if (value !== undefined && value.trim() === '') {
    throw new FlinkInvalidArgumentError(`${what} must not be empty`);
  }
  return value;
}

export function runJarBody(caps: FlinkCapabilities, req: RunJarRequest): Record<string, unknown> {
  const body = compact({
    jobId: assertFlinkId(req.jobId, 'jobId'),
    entryClass: nonEmpty(req.entryClass, 'entryClass'),
    programArgsList: req.programArgs ? [...req.programArgs] : undefined,
    parallelism: positiveInt(req.parallelism, 'parallelism'),
    savepointPath: nonEmpty(req.savepointPath, 'savepointPath'),
    allowNonRestoredState: req.allowNonRestoredState,
    [caps.claimModeField]: req.claimMode,
    flinkConfiguration: req.flinkConfiguration ? { ...req.flinkConfiguration } : undefined,
  });
  return checkFields(caps, 'run jar', body, RUN_JAR_FIELDS);
}

export function savepointBody(caps: FlinkCapabilities, req: SavepointRequest): Record<string, unknown> {
  const body = compact({
    triggerId: assertFlinkId(req.triggerId, 'triggerId'),
    'target-directory': nonEmpty(req.targetDirectory, 'targetDirectory'),
    'cancel-job': req.cancelJob ?? false,
    formatType: req.formatType,
  });
  return checkFields(caps, 'trigger savepoint', body, SAVEPOINT_FIELDS);
}

export function stopWithSavepointBody(
  caps: FlinkCapabilities,
  req: StopWithSavepointRequest,
): Record<string, unknown> {
  const body = compact({
    triggerId: assertFlinkId(req.triggerId, 'triggerId'),
    targetDirectory: nonEmpty(req.targetDirectory, 'targetDirectory'),
    drain: req.drain ?? false,
    formatType: req.formatType,
  });
  return checkFields(caps, 'stop with savepoint', body, STOP_FIELDS);
}

export function checkpointBody(caps: FlinkCapabilities, req: CheckpointRequest): Record<string, unknown> {
  const body = compact({
    triggerId: assertFlinkId(req.triggerId, 'triggerId'),
    checkpointType: req.checkpointType,
  });
  return checkFields(caps, 'trigger checkpoint', body, CHECKPOINT_FIELDS);
}

export function resourceRequirementsBody(
  caps: FlinkCapabilities,
  requirements: ResourceRequirements,
): Record<string, unknown> {
  if (!caps.resourceRequirements) {
    throw new FlinkUnsupportedError(
      `resource requirements need Flink 1.18 or later, this is ${formatFlinkVersion(caps.version)}`,
    );
  }
  const entries = Object.entries(requirements);
  if (entries.length === 0) throw new FlinkInvalidArgumentError('resource requirements name no job vertex');
  const body: Record<string, unknown> = {};
  for (const [vertexId, { parallelism }] of entries) {
    const lower = positiveInt(parallelism.lowerBound, `lowerBound of vertex ${vertexId}`) ?? 1;
    const upper = positiveInt(parallelism.upperBound, `upperBound of vertex ${vertexId}`) ?? 1;
    if (lower > upper) {
      throw new FlinkInvalidArgumentError(`vertex ${vertexId}: lowerBound ${lower} > upperBound ${upper}`);
    }
    body[vertexId] = { parallelism: { lowerBound: lower, upperBound: upper } };
  }
  return body;
}

export function savepointDisposalBody(savepointPath: string): Record<string, unknown> {
  return { 'savepoint-path': nonEmpty(savepointPath, 'savepointPath') };
}
