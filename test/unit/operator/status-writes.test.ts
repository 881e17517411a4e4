import { describe, expect, it } from 'vitest';
import { FLINK_DEPLOYMENT } from '../../../src/api/names.ts';
import { mergePatchChanges, sameJson, writeStatusIfChanged } from '../../../src/operator/status-writes.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

describe('sameJson', () => {
  it('ignores object key order, not array order', () => {
    expect(sameJson({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
  });
});

describe('mergePatchChanges', () => {
  it('sees no change in a patch the target already holds, in any key order', () => {
    const target = { conditions: [{ message: 'm', reason: 'R', status: 'True', type: 'Ready' }], extra: 1 };
    expect(
      mergePatchChanges(target, {
        conditions: [{ type: 'Ready', status: 'True', reason: 'R', message: 'm' }],
      }),
    ).toBe(false);
  });

  it('merges nested objects: fields the patch does not name do not count', () => {
    expect(mergePatchChanges({ digest: { a: '1', b: '2' } }, { digest: { a: '1' } })).toBe(false);
    expect(mergePatchChanges({ digest: { a: '1' } }, { digest: { a: '2' } })).toBe(true);
    expect(mergePatchChanges({}, { digest: { a: '1' } })).toBe(true);
  });

  it('counts a null as a removal only when the field is there', () => {
    expect(mergePatchChanges({ a: 1 }, { a: null })).toBe(true);
    expect(mergePatchChanges({}, { a: null })).toBe(false);
  });
});

describe('writeStatusIfChanged', () => {
  function setUp() {
    const resources = new InMemoryCustomResources();
    const object = resources.put(FLINK_DEPLOYMENT, 'ns', {
      metadata: { name: 'demo' },
      status: { resourceStatus: 'Updated', timestamp: '2026-11-20T10:00:00.000Z' },
    });
    return { resources, object };
  }

  it('writes nothing when only the timestamp would change', async () => {
    const { resources, object } = setUp();
    const wrote = await writeStatusIfChanged(
      resources,
      FLINK_DEPLOYMENT,
      object,
      { resourceStatus: 'Updated', timestamp: '2026-11-20T11:00:00.000Z' },
      { timestamp: '2026-11-20T11:00:00.000Z' },
    );
    expect(wrote).toBe(false);
    expect(resources.writes).toEqual([]);
  });

  it('writes a real change, with the fields given for a write', async () => {
    const { resources, object } = setUp();
    const wrote = await writeStatusIfChanged(
      resources,
      FLINK_DEPLOYMENT,
      object,
      { resourceStatus: 'Updating' },
      { timestamp: '2026-11-20T11:00:00.000Z' },
    );
    expect(wrote).toBe(true);
    expect(resources.writes.map((w) => w.body)).toEqual([
      {
        metadata: { resourceVersion: object.metadata.resourceVersion },
        status: { resourceStatus: 'Updating', timestamp: '2026-11-20T11:00:00.000Z' },
      },
    ]);
  });

  it('never applies a decision made on a stale object over a newer one (409: the next pass decides)', async () => {
    const { resources, object } = setUp();
    // Someone changed the status after the cache handed us `object`.
    await resources.patchStatus(
      FLINK_DEPLOYMENT,
      object.metadata.namespace ?? '',
      object.metadata.name ?? '',
      {
        status: { resourceStatus: 'Deleting' },
      },
    );
    const wrote = await writeStatusIfChanged(resources, FLINK_DEPLOYMENT, object, {
      resourceStatus: 'Updating',
    });
    expect(wrote).toBe(false);
    const stored = await resources.get(
      FLINK_DEPLOYMENT,
      object.metadata.namespace ?? '',
      object.metadata.name ?? '',
    );
    expect(stored?.status?.['resourceStatus']).toBe('Deleting');
  });

  it('takes a resource gone meanwhile as no failure', async () => {
    const { resources, object } = setUp();
    resources.objects.clear();
    await expect(
      writeStatusIfChanged(resources, FLINK_DEPLOYMENT, object, { resourceStatus: 'Updating' }),
    ).resolves.toBe(false);
  });
});
