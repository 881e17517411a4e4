import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withRules } from '../../../src/api/cel-rules.ts';
import { crdManifests } from '../../../src/api/crd-manifests.ts';
import {
  schemaNodes,
  structuralViolations,
  StructuralSchemaError,
  toStructuralSchema,
  type JsonSchemaProps,
} from '../../../src/api/crd-schema.ts';
import { quantity } from '../../../src/api/kubernetes-types.ts';
import { safeParseFlinkJobSpec, safeParseFlinkSavepoint } from '../../../src/api/parse.ts';

const manifests = crdManifests();
const schemaOf = (kind: string): JsonSchemaProps => {
  const crd = manifests.find((m) => m.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
};
const at = (schema: JsonSchemaProps, path: string): JsonSchemaProps => {
  const found = [...schemaNodes(schema)].find((n) => n.path === path);
  if (!found) throw new Error(`no node at ${path}`);
  return found.node;
};

describe('zod → structural schema', () => {
  it.each(['FlinkDeployment', 'FlinkCluster', 'FlinkJob'])(
    '%s: the generated schema is structural and fully described',
    (kind) => {
      expect(structuralViolations(schemaOf(kind))).toEqual([]);
    },
  );

  it('turns defaults into schema defaults, and defaulted fields are not required', () => {
    const savepoint = at(schemaOf('FlinkJob'), '.spec.savepoint');
    expect(savepoint.default).toEqual({});
    expect(savepoint.properties?.['savepointMode']).toMatchObject({
      default: 'Automatic',
      enum: ['Automatic', 'Manual'],
    });
    expect(at(schemaOf('FlinkJob'), '.spec.restart.restartPolicy')).toMatchObject({ default: 'Never' });
    expect(at(schemaOf('FlinkJob'), '.spec').required).toEqual(['clusterName', 'bootstrap']);
  });

  it('writes quantities as int-or-string with the Kubernetes pattern', () => {
    const memory = at(schemaOf('FlinkJob'), '.spec.bootstrap.resources.limits.*');
    expect(memory['x-kubernetes-int-or-string']).toBe(true);
    expect(memory.anyOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(memory.type).toBeUndefined();
    expect(new RegExp(memory.pattern ?? '').test('1Gi')).toBe(true);
  });

  it('keeps unknown fields of large core types (Volume, Container, Affinity) and still checks their names', () => {
    const volume = at(schemaOf('FlinkCluster'), '.spec.jobManager.volumes[]');
    expect(volume['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(volume.additionalProperties).toBeUndefined();
    expect(volume.required).toEqual(['name']);
    expect(
      at(schemaOf('FlinkCluster'), '.spec.jobManager.affinity')['x-kubernetes-preserve-unknown-fields'],
    ).toBe(true);
  });

  it('carries CEL rules with fieldPath and reason, and bounds what they read', () => {
    const spec = at(schemaOf('FlinkJob'), '.spec');
    expect(spec['x-kubernetes-validations']).toContainEqual(
      expect.objectContaining({ fieldPath: '.savepoint.savepointTargetPath', reason: 'FieldValueRequired' }),
    );
    expect(at(schemaOf('FlinkJob'), '.spec.clusterName')['x-kubernetes-validations']).toEqual([
      expect.objectContaining({ rule: 'self == oldSelf' }),
    ]);
    expect(at(schemaOf('FlinkDeployment'), '.spec.jobs').maxItems).toBe(64);
    expect(at(schemaOf('FlinkCluster'), '.spec.flinkConfiguration').maxProperties).toBe(512);
  });

  it('makes the job list of a deployment a map keyed by name', () => {
    const jobs = at(schemaOf('FlinkDeployment'), '.spec.jobs');
    expect(jobs['x-kubernetes-list-type']).toBe('map');
    expect(jobs['x-kubernetes-list-map-keys']).toEqual(['name']);
  });

  it('drops the safe-integer bounds z.int() adds', () => {
    const schema = toStructuralSchema(z.object({ n: z.int().describe('n') }));
    expect(schema.properties?.['n']).toEqual({ description: 'n', type: 'integer' });
  });

  it('refuses unions other than int-or-string', () => {
    expect(() => toStructuralSchema(z.object({ u: z.union([z.string(), z.boolean()]) }))).toThrow(
      StructuralSchemaError,
    );
  });

  it('refuses open objects that do not say x-kubernetes-preserve-unknown-fields', () => {
    expect(() => toStructuralSchema(z.looseObject({ a: z.string() }))).toThrow(/preserve-unknown-fields/);
  });

  it('refuses keywords Kubernetes does not know instead of dropping them', () => {
    expect(() => toStructuralSchema(z.object({ t: z.tuple([z.string()]) }))).toThrow(StructuralSchemaError);
  });

  it('emits a rule once per schema and keeps rules from the schema it wraps', () => {
    const base = withRules(z.object({ a: z.int() }), [
      { rule: 'self.a > 0', message: 'a > 0', check: (v) => v.a > 0 },
    ]);
    const wrapped = withRules(base.describe('wrapped'), [
      { rule: 'self.a < 9', message: 'a < 9', check: (v) => v.a < 9 },
    ]);
    expect(toStructuralSchema(wrapped)['x-kubernetes-validations']).toEqual([
      { rule: 'self.a > 0', message: 'a > 0' },
      { rule: 'self.a < 9', message: 'a < 9' },
    ]);
    expect(wrapped.safeParse({ a: 0 }).error?.issues.map((i) => i.message)).toEqual(['a > 0']);
    expect(wrapped.safeParse({ a: 12 }).error?.issues.map((i) => i.message)).toEqual(['a < 9']);
  });

  it('checks quantities in parse() like the API server does', () => {
    expect(quantity.safeParse('500m').success).toBe(true);
    expect(quantity.safeParse(2).success).toBe(true);
    expect(quantity.safeParse('lots').success).toBe(false);
  });

  it('finds violations in a hand-made non-structural schema', () => {
    const bad: JsonSchemaProps = {
      type: 'object',
      properties: {
        a: { description: 'a' },
        b: { type: 'array' },
        c: { description: 'c', type: 'object', properties: {}, additionalProperties: { type: 'string' } },
      },
    };
    expect(structuralViolations(bad)).toEqual([
      '.b: missing description',
      '.a: missing type',
      '.b: array without items',
      '.c: properties with additionalProperties',
    ]);
  });
});

describe('CustomResourceDefinitions', () => {
  it('are namespaced kinds of flinkvisor.io/v1 with the short names fd, fc, fj, fsp', () => {
    expect(manifests.map((m) => [m.metadata.name, m.spec.scope, m.spec.names.shortNames])).toEqual([
      ['flinkdeployments.flinkvisor.io', 'Namespaced', ['fd']],
      ['flinkclusters.flinkvisor.io', 'Namespaced', ['fc']],
      ['flinkjobs.flinkvisor.io', 'Namespaced', ['fj']],
      ['flinksavepoints.flinkvisor.io', 'Namespaced', ['fsp']],
    ]);
    for (const m of manifests)
      expect(m.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1', true, true]]);
  });

  it('have a status subresource each and a scale subresource on clusters and jobs', () => {
    const [fd, fc, fj, fsp] = manifests;
    expect(fd?.spec.versions[0]?.subresources).toEqual({ status: {} });
    expect(fsp?.spec.versions[0]?.subresources).toEqual({ status: {} });
    expect(fc?.spec.versions[0]?.subresources.scale).toEqual({
      specReplicasPath: '.spec.taskManagers',
      statusReplicasPath: '.status.taskManagers',
      labelSelectorPath: '.status.labelSelector',
    });
    expect(fj?.spec.versions[0]?.subresources.scale).toEqual({
      specReplicasPath: '.spec.jobParallelism',
      statusReplicasPath: '.status.jobParallelism',
      labelSelectorPath: '.status.labelSelector',
    });
  });

  it("have the toolbox's printer columns, pointing at fields that exist", () => {
    const columns = (i: number) =>
      manifests[i]!.spec.versions[0]!.additionalPrinterColumns.map((c) => c.name);
    expect(columns(0)).toEqual(['RESOURCE-STATUS', 'AGE', 'PAUSED', 'READY']);
    expect(columns(1)).toEqual([
      'RESOURCE-STATUS',
      'SUPERVISOR-STATUS',
      'CLUSTER-HEALTH',
      'TASK-MANAGERS',
      'REQUESTED-TASK-MANAGERS',
      'TASK-MANAGERS-REPLICAS',
      'TOTAL-TASK-SLOTS',
      'SERVICE-MODE',
      'AGE',
      'PAUSED',
    ]);
    expect(columns(2)).toEqual([
      'RESOURCE-STATUS',
      'SUPERVISOR-STATUS',
      'CLUSTER-NAME',
      'CLUSTER-HEALTH',
      'JOB-STATUS',
      'JOB-ID',
      'JOB-RESTART',
      'JOB-PARALLELISM',
      'REQUESTED-JOB-PARALLELISM',
      'SAVEPOINT-MODE',
      'SAVEPOINT-PATH',
      'SAVEPOINT-AGE',
      'AGE',
      'PAUSED',
      'RESTARTS',
    ]);
    for (const m of manifests) {
      const version = m.spec.versions[0]!;
      const paths = new Set([...schemaNodes(version.schema.openAPIV3Schema)].map((n) => n.path));
      for (const column of version.additionalPrinterColumns) {
        if (column.jsonPath === '.metadata.creationTimestamp') continue;
        // A filter over a list (`conditions[?(@.type=="Ready")]`) points at the list's items.
        const path = column.jsonPath.replace(/\[\?\(.*?\)\]/g, '[]');
        expect(paths, `${m.spec.names.kind} column ${column.name}`).toContain(path);
      }
      const scale = version.subresources.scale;
      if (scale) for (const p of Object.values(scale)) expect(paths).toContain(p);
    }
  });
});

describe('FlinkSavepoint', () => {
  const fsp = manifests.find((m) => m.spec.names.kind === 'FlinkSavepoint');

  it('shows job, kind, state, disposal, path and completion time in kubectl get', () => {
    expect(fsp?.spec.versions[0]?.additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual([
      ['JOB', '.spec.jobName'],
      ['KIND', '.spec.kind'],
      ['STATE', '.status.state'],
      ['DISPOSAL', '.status.disposal.state'],
      ['PATH', '.status.path'],
      ['COMPLETED', '.status.completionTimestamp'],
      ['TRIGGER-ID', '.status.triggerId'],
      ['FORMAT', '.spec.formatType'],
      ['AGE', '.metadata.creationTimestamp'],
    ]);
  });

  it('defaults a bare request to a manual canonical savepoint, not disposed', () => {
    const parsed = safeParseFlinkSavepoint({ metadata: { name: 'x' }, spec: { jobName: 'demo-a' } });
    expect(parsed.ok && parsed.value.spec).toEqual({
      jobName: 'demo-a',
      kind: 'manual',
      formatType: 'canonical',
      dispose: false,
    });
    const bad = safeParseFlinkSavepoint({ metadata: { name: 'x' }, spec: { jobName: 'a', kind: 'weekly' } });
    expect(bad.ok).toBe(false);
  });
});

describe('savepoint.history', () => {
  it('is optional, bounded, and includeManual defaults to false', () => {
    const spec = (history: unknown) =>
      safeParseFlinkJobSpec({
        clusterName: 'c',
        bootstrap: { image: 'i', jarPath: '/j.jar' },
        savepoint: { savepointMode: 'Manual', history },
      });
    const ok = spec({ maxCount: 3, maxAge: 3600 });
    expect(ok.ok && ok.value.savepoint.history).toEqual({ maxCount: 3, maxAge: 3600, includeManual: false });
    const zero = spec({ maxCount: 0 });
    expect(zero.ok).toBe(false);
    expect(!zero.ok && zero.error.issues[0]?.path).toBe('spec.savepoint.history.maxCount');
  });
});
