import { z } from 'zod';
import { formatIssuePath, type FieldIssue } from '../api/parse.ts';
import { badRequest } from './errors.ts';
import type { BodyKind } from './routes.ts';

// The small request bodies of the command routes. Unknown fields are refused (a typo such as
// `withoutSavepoints` must not silently mean false). Spec bodies are validated by their handlers
// against the resource schemas, after a merge patch is applied to the stored spec.

export const startStopBody = z
  .strictObject({
    withoutSavepoint: z
      .boolean()
      .default(false)
      .describe('START: ignore the latest savepoint (start without state); STOP: skip the savepoint.'),
  })
  .describe('Options of a START or STOP request.');

export const clusterScaleBody = z
  .strictObject({
    taskManagers: z.int().min(0).max(10000).describe('The new spec.taskManagers.'),
  })
  .describe('The requested number of TaskManagers.');

export const jobScaleBody = z
  .strictObject({
    parallelism: z.int().min(0).max(100000).describe('The new spec.jobParallelism; 0 suspends the job.'),
  })
  .describe('The requested job parallelism.');

export const emptyBody = z.strictObject({}).describe('No options.');

export type StartStopBody = z.infer<typeof startStopBody>;
export type ClusterScaleBody = z.infer<typeof clusterScaleBody>;
export type JobScaleBody = z.infer<typeof jobScaleBody>;

export type ParsedBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'spec'; readonly spec: Record<string, unknown> }
  | { readonly kind: 'startStop'; readonly value: StartStopBody }
  | { readonly kind: 'clusterScale'; readonly value: ClusterScaleBody }
  | { readonly kind: 'jobScale'; readonly value: JobScaleBody }
  | { readonly kind: 'empty' };

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = issuesOf(result.error);
  throw badRequest('InvalidBody', `${what} is invalid: ${describeIssues(fields)}`, fields);
}

export function describeIssues(fields: readonly FieldIssue[]): string {
  return fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join('; ');
}

/**
 * The body of a route, from its JSON value (`undefined` for an empty body). Throws a 400 problem
 * naming the offending fields.
 */
export function parseBody(kind: BodyKind, value: unknown): ParsedBody {
  switch (kind) {
    case 'none':
      return { kind: 'none' };
    case 'spec':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw badRequest('InvalidBody', 'the body must be a JSON object: the spec of the resource');
      }
      return { kind: 'spec', spec: value as Record<string, unknown> };
    case 'startStop':
      return {
        kind: 'startStop',
        value: parseWith(startStopBody, value === undefined ? {} : value, 'the request'),
      };
    case 'clusterScale':
      return { kind: 'clusterScale', value: parseWith(clusterScaleBody, value, 'the request') };
    case 'jobScale':
      return { kind: 'jobScale', value: parseWith(jobScaleBody, value, 'the request') };
    case 'empty':
      // No body is `{}`; a JSON `null` is a body, and not an object (schemathesis, ST201).
      parseWith(emptyBody, value === undefined ? {} : value, 'the request');
      return { kind: 'empty' };
  }
}
