import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../../src/control-api/errors.ts';
import { applyMergePatch } from '../../../src/control-api/merge-patch.ts';
import { parseBody } from '../../../src/control-api/request-bodies.ts';

function problem(fn: () => unknown): HttpProblem {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpProblem) return err;
    throw err;
  }
  throw new Error('expected a problem');
}

describe('request bodies', () => {
  it('START/STOP: withoutSavepoint defaults to false, an empty body is fine, a typo is refused', () => {
    expect(parseBody('startStop', undefined)).toEqual({
      kind: 'startStop',
      value: { withoutSavepoint: false },
    });
    expect(parseBody('startStop', { withoutSavepoint: true })).toEqual({
      kind: 'startStop',
      value: { withoutSavepoint: true },
    });
    const typo = problem(() => parseBody('startStop', { withoutSavepoints: true }));
    expect(typo.status).toBe(400);
    expect(typo.fields?.[0]?.message).toMatch(/withoutSavepoints/);
    expect(problem(() => parseBody('startStop', { withoutSavepoint: 'yes' })).fields).toEqual([
      { path: 'withoutSavepoint', message: expect.any(String) },
    ]);
  });

  it('scale: a whole non-negative number is required', () => {
    expect(parseBody('clusterScale', { taskManagers: 4 })).toEqual({
      kind: 'clusterScale',
      value: { taskManagers: 4 },
    });
    expect(parseBody('jobScale', { parallelism: 0 })).toEqual({
      kind: 'jobScale',
      value: { parallelism: 0 },
    });
    for (const bad of [undefined, {}, { parallelism: -1 }, { parallelism: 1.5 }, { parallelism: '2' }]) {
      expect(problem(() => parseBody('jobScale', bad)).status).toBe(400);
    }
    expect(problem(() => parseBody('clusterScale', { taskManagers: 2, parallelism: 1 })).status).toBe(400);
  });

  it('spec: any JSON object (validated by its handler), nothing else', () => {
    expect(parseBody('spec', { a: 1 })).toEqual({ kind: 'spec', spec: { a: 1 } });
    for (const bad of [undefined, null, [], 'spec', 3])
      expect(problem(() => parseBody('spec', bad)).status).toBe(400);
  });

  it('savepoint trigger, pause, resume: nothing or {}', () => {
    expect(parseBody('empty', undefined)).toEqual({ kind: 'empty' });
    expect(parseBody('empty', {})).toEqual({ kind: 'empty' });
    expect(problem(() => parseBody('empty', { target: 'x' })).status).toBe(400);
  });

  it('a JSON null is a body that is not an object, not the absence of one', () => {
    expect(problem(() => parseBody('empty', null)).status).toBe(400);
    expect(problem(() => parseBody('startStop', null)).status).toBe(400);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, replaces arrays and scalars, removes keys set to null', () => {
    const target = { a: 1, b: { c: 2, d: [1, 2] }, e: 'x' };
    expect(applyMergePatch(target, { a: null, b: { d: [3], f: true }, g: { h: 1 } })).toEqual({
      b: { c: 2, d: [3], f: true },
      e: 'x',
      g: { h: 1 },
    });
    expect(target).toEqual({ a: 1, b: { c: 2, d: [1, 2] }, e: 'x' });
  });

  it('follows the RFC examples at the edges', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, ['c'])).toEqual(['c']);
    expect(applyMergePatch(['a'], { a: 'b' })).toEqual({ a: 'b' });
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
  });
});
