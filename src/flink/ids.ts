import { createHash, randomBytes } from 'node:crypto';
import { FlinkInvalidArgumentError } from './errors.ts';

/**
 * Flink's job ids, trigger ids and (2.3) application ids are 32 lower-case hex characters (a 128-bit
 * id). Flinkvisor chooses them itself, so a call repeated after a crash names the same job or the
 * same savepoint instead of starting another one.
 */
export type FlinkId = string;

const FLINK_ID = /^[0-9a-f]{32}$/;

export function isFlinkId(value: unknown): value is FlinkId {
  return typeof value === 'string' && FLINK_ID.test(value);
}

/** Throws a clear error for anything that Flink would reject as a job or trigger id. */
export function assertFlinkId(value: string, what: string): FlinkId {
  if (!FLINK_ID.test(value)) {
    throw new FlinkInvalidArgumentError(
      `${what} must be 32 lower-case hex characters, got ${JSON.stringify(String(value).slice(0, 40))}`,
    );
  }
  return value;
}

/**
 * A 32-hex id from stable parts: the same parts give the same id in every process and after every
 * restart. The kind is part of the hash so a job id never equals a trigger id made from the same parts.
 * Parts are joined with a NUL byte, which Kubernetes names and numbers cannot contain.
 */
export function deriveFlinkId(kind: string, parts: readonly (string | number)[]): FlinkId {
  const hash = createHash('sha256');
  hash.update(`flinkvisor.io/${kind}/v1`);
  for (const part of parts) hash.update(`\0${String(part)}`);
  return hash.digest('hex').slice(0, 32);
}

export interface JobIdInputs {
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation of the FlinkJob whose spec this submission runs. */
  readonly generation: number;
  /** Counts submissions of that generation (restarts), so a restart gets a fresh id. */
  readonly attempt: number;
}

/** The job id of one submission of one FlinkJob generation: repeatable, never shared by two submissions. */
export function deriveJobId(inputs: JobIdInputs): FlinkId {
  return deriveFlinkId('job', [inputs.namespace, inputs.name, inputs.generation, inputs.attempt]);
}

export interface TriggerIdInputs {
  readonly jobId: FlinkId;
  /** What the trigger is for, e.g. `savepoint`, `stop`, `checkpoint`. */
  readonly purpose: string;
  /** Counts requests of that purpose for that job (kept in status), so each request is new. */
  readonly sequence: number;
}

export function deriveTriggerId(inputs: TriggerIdInputs): FlinkId {
  return deriveFlinkId('trigger', [inputs.jobId, inputs.purpose, inputs.sequence]);
}

/** A fresh random id, for callers with nothing stable to derive one from (e.g. a one-off CLI call). */
export function randomFlinkId(): FlinkId {
  return randomBytes(16).toString('hex');
}
