import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crdManifests } from '../../src/api/crd-manifests.ts';
import { API_GROUP, API_VERSION } from '../../src/api/names.ts';
import { parseFlinkCluster, parseFlinkDeployment, parseFlinkJob } from '../../src/api/parse.ts';
import { installCrds } from '../../src/kube/crd-install.ts';
import { isInvalid, kubeMessageOf, statusCodeOf } from '../../src/kube/errors.ts';
import {
  invalidFixtures,
  PLURALS,
  validFixtures,
  type CustomResourceDocument,
} from '../fixtures/crds/corpus.ts';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace } from '../support/kube.ts';

// Admission against the real API server: the CRDs install, the toolbox manual's demo (and the
// other valid fixtures) are accepted with every default visible on read-back, and each invalid
// fixture is rejected with a message naming the offending field.

const kc = adminKubeConfig();
const objects = kc.makeApiClient(CustomObjectsApi);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
let namespace: string;

const ref = (doc: CustomResourceDocument) => ({
  group: API_GROUP,
  version: API_VERSION,
  namespace,
  plural: PLURALS[doc.kind],
});

/** Like `kubectl create`: strict field validation, so unknown (misspelt) fields are errors. */
const create = (doc: CustomResourceDocument) =>
  objects.createNamespacedCustomObject({ ...ref(doc), body: doc, fieldValidation: 'Strict' }) as Promise<
    CustomResourceDocument & { metadata: { resourceVersion: string } }
  >;

const remove = (doc: CustomResourceDocument) =>
  objects.deleteNamespacedCustomObject({ ...ref(doc), name: doc.metadata.name }).catch(() => undefined);

const parsers = {
  FlinkDeployment: parseFlinkDeployment,
  FlinkCluster: parseFlinkCluster,
  FlinkJob: parseFlinkJob,
} as const;

beforeAll(async () => {
  await installCrds(kc, crdManifests());
  namespace = await createTestNamespace(kc, 'crds');
});
afterAll(async () => {
  await deleteTestNamespace(kc, namespace);
});

describe('installCrds', () => {
  it('installs the four CRDs, Established, and a second install changes nothing', async () => {
    const names = crdManifests().map((m) => m.metadata.name);
    const before = await Promise.all(names.map((name) => extensions.readCustomResourceDefinition({ name })));
    const again = await installCrds(kc, crdManifests());
    expect(again.map((c) => c.metadata?.name)).toEqual(names);
    for (const [i, crd] of again.entries()) {
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
      expect(crd.metadata?.generation).toBe(before[i]?.metadata?.generation);
      expect(crd.spec.versions[0]?.subresources?.status).toBeDefined();
    }
    expect(again.map((c) => c.spec.names.shortNames)).toEqual([['fd'], ['fc'], ['fj'], ['fsp']]);
  });
});

describe('valid resources', () => {
  it("accepts the toolbox manual's demo deployment (two jobs) and shows the defaults on read-back", async () => {
    const demo = validFixtures().find((f) => f.file === 'manual-demo-deployment.yaml')?.resource;
    if (!demo) throw new Error('missing fixture');
    await create(demo);
    const stored = (await objects.getNamespacedCustomObject({ ...ref(demo), name: 'demo' })) as ReturnType<
      typeof parseFlinkDeployment
    >;
    try {
      expect(stored.spec.jobs.map((j) => j.name)).toEqual(['computeaverage', 'computemaximum']);
      // Fields the manual leaves out, filled in by the API server from the schema defaults.
      expect(stored.spec.cluster).toMatchObject({ taskManagers: 0, minTaskManagers: 0, maxTaskManagers: 32 });
      expect(stored.spec.cluster.jobManager).toMatchObject({
        serviceAccount: 'default',
        args: ['jobmanager'],
      });
      expect(stored.spec.cluster.taskManager).toMatchObject({
        serviceAccount: 'default',
        args: ['taskmanager'],
      });
      expect(stored.spec.cluster.supervisor).toMatchObject({
        pollingInterval: 5,
        pullPolicy: 'IfNotPresent',
      });
      expect(stored.spec.cluster.jobManager.extraPorts).toEqual([
        { name: 'prometheus', containerPort: 9250, protocol: 'TCP' },
      ]);
      for (const job of stored.spec.jobs) {
        expect(job.spec).toMatchObject({ minJobParallelism: 0, maxJobParallelism: 32 });
        expect(job.spec.savepoint).toMatchObject({ allowNonRestoredState: false, savepointOnDelete: false });
      }
      // ... and they are exactly the defaults parse() fills in: one source of truth.
      expect(stored.spec).toEqual(parseFlinkDeployment(demo).spec);
    } finally {
      await remove(demo);
    }
  });

  it.each(validFixtures().map((f) => [f.file, f.resource] as const))(
    'accepts valid/%s with the same defaults as parse()',
    async (_file, resource) => {
      const created = await create(resource);
      try {
        expect(created.spec).toEqual(parsers[resource.kind](resource).spec);
      } finally {
        await remove(resource);
      }
    },
  );
});

describe('invalid resources', () => {
  const corpus = invalidFixtures();

  it('the corpus has at least 40 cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus.map((f) => [f.file, f] as const))(
    'rejects invalid/%s naming the field',
    async (_file, fixture) => {
      const documents = fixture.documents;
      const last = documents.at(-1);
      if (!last) throw new Error('empty fixture');
      let error: unknown;
      try {
        for (const doc of documents.slice(0, -1)) await create(doc);
        if (documents.length > 1) {
          const current = (await objects.getNamespacedCustomObject({
            ...ref(last),
            name: last.metadata.name,
          })) as {
            metadata: { resourceVersion: string };
          };
          const update = {
            ...last,
            metadata: { ...last.metadata, resourceVersion: current.metadata.resourceVersion },
          };
          await objects.replaceNamespacedCustomObject({
            ...ref(last),
            name: last.metadata.name,
            body: update,
            fieldValidation: 'Strict',
          });
        } else {
          await create(last);
        }
      } catch (err) {
        error = err;
      } finally {
        for (const doc of documents) await remove(doc);
      }
      expect(error, 'the API server accepted it').toBeDefined();
      const message = kubeMessageOf(error);
      // 422 Invalid for schema and CEL failures; 400 BadRequest for strict decoding of unknown fields.
      expect(isInvalid(error) || statusCodeOf(error) === 400, message).toBe(true);
      expect(message).toContain(fixture.field);
    },
  );
});
