import type { z } from 'zod';
import {
  flinkClusterResource,
  flinkClusterSpec,
  type FlinkCluster,
  type FlinkClusterSpec,
} from './flink-cluster.ts';
import {
  flinkDeploymentResource,
  flinkDeploymentSpec,
  type FlinkDeployment,
  type FlinkDeploymentSpec,
} from './flink-deployment.ts';
import { flinkJobResource, flinkJobSpec, type FlinkJob, type FlinkJobSpec } from './flink-job.ts';
import { flinkSavepointResource, type FlinkSavepoint } from './flink-savepoint.ts';

// Reading resources into typed objects. The API server applies the schema defaults too, but an
// object stored before a default (or a rule) existed must neither crash the supervisor nor be
// acted on half-understood: parse fills in every default and checks every rule, and a failure
// names the fields, ready for a status condition or an Event.

export interface FieldIssue {
  /** `spec.savepoint.savepointTargetPath`, `spec.jobs[1].name`: the API server's notation. */
  readonly path: string;
  readonly message: string;
}

export class InvalidResourceError extends Error {
  readonly issues: readonly FieldIssue[];
  constructor(what: string, issues: readonly FieldIssue[]) {
    super(
      `${what} is invalid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
    this.name = 'InvalidResourceError';
    this.issues = issues;
  }
}

export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: InvalidResourceError };

export function formatIssuePath(path: readonly PropertyKey[], prefix: readonly string[] = []): string {
  let out = prefix.join('.');
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describeName(what: string, value: unknown): string {
  const metadata = (value as { metadata?: { namespace?: unknown; name?: unknown } } | undefined)?.metadata;
  if (typeof metadata?.name !== 'string') return what;
  return typeof metadata.namespace === 'string'
    ? `${what} ${metadata.namespace}/${metadata.name}`
    : `${what} ${metadata.name}`;
}

function safeParseWith<S extends z.ZodType>(
  schema: S,
  what: string,
  value: unknown,
  prefix: readonly string[],
): ParseResult<z.output<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.map((issue) => ({
    path: formatIssuePath(issue.path, prefix),
    message: issue.message,
  }));
  return { ok: false, error: new InvalidResourceError(describeName(what, value), issues) };
}

function orThrow<T>(result: ParseResult<T>): T {
  if (result.ok) return result.value;
  throw result.error;
}

export const safeParseFlinkCluster = (value: unknown): ParseResult<FlinkCluster> =>
  safeParseWith(flinkClusterResource, 'FlinkCluster', value, []);
export const safeParseFlinkJob = (value: unknown): ParseResult<FlinkJob> =>
  safeParseWith(flinkJobResource, 'FlinkJob', value, []);
export const safeParseFlinkDeployment = (value: unknown): ParseResult<FlinkDeployment> =>
  safeParseWith(flinkDeploymentResource, 'FlinkDeployment', value, []);
export const safeParseFlinkSavepoint = (value: unknown): ParseResult<FlinkSavepoint> =>
  safeParseWith(flinkSavepointResource, 'FlinkSavepoint', value, []);

/** The resource with every default filled in; throws InvalidResourceError naming the bad fields. */
export const parseFlinkCluster = (value: unknown): FlinkCluster => orThrow(safeParseFlinkCluster(value));
export const parseFlinkJob = (value: unknown): FlinkJob => orThrow(safeParseFlinkJob(value));
export const parseFlinkDeployment = (value: unknown): FlinkDeployment =>
  orThrow(safeParseFlinkDeployment(value));

/** A spec alone (control API request bodies, CLI input), with defaults; issue paths start at `spec`. */
export const safeParseFlinkClusterSpec = (value: unknown): ParseResult<FlinkClusterSpec> =>
  safeParseWith(flinkClusterSpec, 'FlinkCluster spec', value, ['spec']);
export const safeParseFlinkJobSpec = (value: unknown): ParseResult<FlinkJobSpec> =>
  safeParseWith(flinkJobSpec, 'FlinkJob spec', value, ['spec']);
export const safeParseFlinkDeploymentSpec = (value: unknown): ParseResult<FlinkDeploymentSpec> =>
  safeParseWith(flinkDeploymentSpec, 'FlinkDeployment spec', value, ['spec']);

/** Aliases that say what the supervisor wants when it reads an object: all defaults in place. */
export const flinkClusterWithDefaults = parseFlinkCluster;
export const flinkJobWithDefaults = parseFlinkJob;
export const flinkDeploymentWithDefaults = parseFlinkDeployment;
