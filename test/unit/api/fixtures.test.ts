import { describe, expect, it } from 'vitest';
import {
  safeParseFlinkCluster,
  safeParseFlinkDeployment,
  safeParseFlinkJob,
  type ParseResult,
} from '../../../src/api/parse.ts';
import { invalidFixtures, validFixtures, type CustomResourceDocument } from '../../fixtures/crds/corpus.ts';

// The same corpus the integration tests send to the API server, here through parse(): the CEL
// rules and their TypeScript twins must agree on every case (except the marked server-only ones).

function safeParse(doc: CustomResourceDocument): ParseResult<unknown> {
  switch (doc.kind) {
    case 'FlinkDeployment':
      return safeParseFlinkDeployment(doc);
    case 'FlinkCluster':
      return safeParseFlinkCluster(doc);
    case 'FlinkJob':
      return safeParseFlinkJob(doc);
  }
}

const invalid = invalidFixtures();

describe('fixture corpus through parse()', () => {
  it('has at least 40 invalid cases, each naming a field', () => {
    expect(invalid.length).toBeGreaterThanOrEqual(40);
    for (const f of invalid) expect(f.field).toMatch(/^(spec|metadata)\b/);
  });

  it.each(validFixtures().map((f) => [f.file, f.resource] as const))(
    'accepts valid/%s',
    (_file, resource) => {
      const result = safeParse(resource);
      expect(result.ok ? 'ok' : result.error.message).toBe('ok');
    },
  );

  it.each(invalid.filter((f) => !f.serverOnly).map((f) => [f.file, f] as const))(
    'rejects invalid/%s',
    (_file, fixture) => {
      const last = fixture.documents.at(-1);
      if (!last) throw new Error('empty fixture');
      const result = safeParse(last);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const reported = result.error.issues.map((i) => `${i.path}: ${i.message}`);
      expect(
        reported.some((line) => line.includes(fixture.field)),
        reported.join('\n'),
      ).toBe(true);
    },
  );

  it('server-only cases are the ones parse() cannot see, and parse() accepts them', () => {
    const serverOnly = invalid.filter((f) => f.serverOnly);
    expect(serverOnly.map((f) => f.file)).toEqual([
      'spec.clusterName--changed-after-create.yaml',
      'spec.savepoint.savepointModee--unknown-field.yaml',
    ]);
    for (const f of serverOnly) for (const doc of f.documents) expect(safeParse(doc).ok).toBe(true);
  });
});
