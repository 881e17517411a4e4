// Each chart's values are documented by its values.schema.json: every value values.yaml sets has a
// schema entry with a description, down to where the schema takes an object as it is (a Kubernetes
// object such as resources or securityContext, or CRD fields the API server validates).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JOBS_CHART_DIRECTORY, OPERATOR_CHART_DIRECTORY } from '../../../src/install/chart-files.ts';

interface Schema {
  readonly description?: string;
  readonly properties?: Record<string, Schema>;
  readonly additionalProperties?: boolean | Schema;
}

/** Paths of values.yaml the schema does not describe. */
function undocumented(value: unknown, schema: Schema | undefined, path: string): string[] {
  if (!schema) return [`${path}: not in the schema`];
  const problems = path && !schema.description ? [`${path}: no description`] : [];
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !schema.properties)
    return problems;
  for (const [key, child] of Object.entries(value)) {
    const childSchema =
      schema.properties[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    problems.push(...undocumented(child, childSchema, path ? `${path}.${key}` : key));
  }
  return problems;
}

describe.each([
  ['flinkvisor', OPERATOR_CHART_DIRECTORY],
  ['flinkvisor-jobs', JOBS_CHART_DIRECTORY],
])('the %s chart', (_name, directory) => {
  const values = parse(readFileSync(join(directory, 'values.yaml'), 'utf8')) as unknown;
  const schema = JSON.parse(readFileSync(join(directory, 'values.schema.json'), 'utf8')) as Schema;

  it('describes every value of values.yaml in values.schema.json', () => {
    expect(undocumented(values, schema, '')).toEqual([]);
  });
});
