import { describe, expect, it } from 'vitest';
import { initialClusterContext } from '../../../src/machines/cluster-machine.ts';
import { initialJobContext } from '../../../src/machines/job-machine.ts';
import {
  CONTEXT_SHAPES,
  REDACTED,
  isDeniedKey,
  project,
  sanitizeContext,
  sanitizeEffectInput,
  scrubText,
  statePath,
  summarizeEvent,
} from '../../../src/visualizer/sanitize.ts';
import { jobObserved, requested, runningJobContext, T0 } from '../machines/support.ts';

describe('project', () => {
  it('copies only the keys a shape names', () => {
    const value = { a: 1, b: 'x', c: { d: true, e: 'hidden' }, f: [{ g: 1, h: 2 }], extra: 'dropped' };
    expect(project(value, { a: true, b: true, c: { d: true }, f: [{ g: true }] })).toEqual({
      a: 1,
      b: 'x',
      c: { d: true },
      f: [{ g: 1 }],
    });
  });

  it('drops objects where scalars are expected and keeps nulls', () => {
    expect(project({ a: { nested: 'secret' }, b: null }, { a: true, b: true })).toEqual({ b: null });
    expect(project(null, { a: true })).toBeNull();
    expect(project('text', { a: true })).toBeUndefined();
    expect(project({ a: 'x' }, [true])).toBeUndefined();
  });

  it('censors keys on the redaction list even when a shape names them', () => {
    expect(
      project({ token: 'abc', password: 'p', name: 'n' }, { token: true, password: true, name: true }),
    ).toEqual({ token: REDACTED, password: REDACTED, name: 'n' });
  });

  it('bounds lists', () => {
    const projected = project({ list: Array.from({ length: 500 }, (_, i) => i) }, { list: [true] }) as {
      list: number[];
    };
    expect(projected.list).toHaveLength(64);
  });

  it('turns non-finite numbers into null', () => {
    expect(project({ a: Number.NaN, b: Infinity }, { a: true, b: true })).toEqual({ a: null, b: null });
  });
});

describe('isDeniedKey', () => {
  it('covers the logger redaction list and credential-like names', () => {
    for (const key of [
      'token',
      'bearerToken',
      'authorization',
      'kubeconfig',
      'AWS_SECRET_ACCESS_KEY',
      's3.secret-key',
      'fs.s3a.access.key',
      'clientSecret',
      'privateKey',
    ]) {
      expect(isDeniedKey(key), key).toBe(true);
    }
    for (const key of ['jobId', 'savepointPath', 'triggerId', 'specDigest', 'reason', 'message']) {
      expect(isDeniedKey(key), key).toBe(false);
    }
  });
});

describe('scrubText', () => {
  it('censors credentials inside strings', () => {
    expect(scrubText('s3://AKIA123:wJalrXUtnFEMI@bucket/savepoints/sp-1')).toBe(
      `s3://${REDACTED}@bucket/savepoints/sp-1`,
    );
    expect(scrubText('https://host/path?X-Amz-Signature=abcdef&x=1')).toBe(
      `https://host/path?X-Amz-Signature=${REDACTED}&x=1`,
    );
    expect(scrubText('Authorization: Bearer abc.def.ghi')).not.toContain('abc.def.ghi');
    expect(scrubText('token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here')).toBe(
      `token ${REDACTED} here`,
    );
    expect(scrubText('failed with s3.secret-key: hunter2, retrying')).toBe(
      `failed with s3.secret-key: ${REDACTED}, retrying`,
    );
    expect(scrubText('password=hunter2')).toBe(`password=${REDACTED}`);
  });

  it('leaves ordinary text alone and bounds its length', () => {
    expect(scrubText('s3://bucket/savepoints/savepoint-1a2b')).toBe('s3://bucket/savepoints/savepoint-1a2b');
    expect(scrubText('the cluster is Started (epoch 3)')).toBe('the cluster is Started (epoch 3)');
    const long = scrubText('x'.repeat(1000));
    expect(long.length).toBe(400);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('statePath', () => {
  it('renders state values as dotted paths', () => {
    expect(statePath('Unknown')).toBe('Unknown');
    expect(statePath({ Started: 'Running' })).toBe('Started.Running');
    expect(statePath({ Stopping: { SavepointStop: 'Awaiting' } })).toBe('Stopping.SavepointStop.Awaiting');
    expect(statePath({ A: 'x', B: { C: 'y' } })).toBe('A.x | B.C.y');
    expect(statePath(undefined)).toBe('');
  });
});

describe('context allow-lists', () => {
  // A new context field must be a decision: shown (add it to the shape) or deliberately hidden here.
  const HIDDEN = { job: ['idSeed'], cluster: [] as string[] };

  it('decide on every job context field', () => {
    const keys = Object.keys(initialJobContext({ uid: 'u', idSeed: 's', at: T0 }));
    const shown = Object.keys(CONTEXT_SHAPES.job as object);
    expect(keys.filter((key) => !shown.includes(key) && !HIDDEN.job.includes(key))).toEqual([]);
  });

  it('decide on every cluster context field', () => {
    const keys = Object.keys(initialClusterContext({ uid: 'u', at: T0 }));
    const shown = Object.keys(CONTEXT_SHAPES.cluster as object);
    expect(keys.filter((key) => !shown.includes(key) && !HIDDEN.cluster.includes(key))).toEqual([]);
  });

  it('show the job id, savepoint, deadlines and pending action, not the id seed or unknown fields', () => {
    const context = {
      ...runningJobContext({
        savepoint: { triggerId: 't-1', kind: 'manual', requestedAt: T0, deadline: T0 + 300_000 },
        pendingAction: { action: 'STOP', withoutSavepoint: false, requestedAt: T0 },
      }),
      kubeconfig: 'apiVersion: v1',
      injected: { token: 'x' },
    };
    const view = sanitizeContext('job', context);
    expect(view['jobId']).toBe(context.jobId);
    expect(view['savepoint']).toEqual(context.savepoint);
    expect(view['savepointPath']).toBe('s3://savepoints/sp-0');
    expect(view['pendingAction']).toEqual(context.pendingAction);
    expect(view).not.toHaveProperty('idSeed');
    expect(view).not.toHaveProperty('kubeconfig');
    expect(view).not.toHaveProperty('injected');
  });
});

describe('summarizeEvent', () => {
  it('keeps the allow-listed observation and policy of OBSERVED', () => {
    const event = jobObserved(T0, { flinkJob: 'RUNNING' });
    const summary = summarizeEvent('job', {
      ...event,
      observation: { ...event.observation, token: 'planted' },
      secret: 'planted',
    });
    expect(summary.label).toBe('OBSERVED');
    expect(summary.fields['at']).toBe(T0);
    expect((summary.fields['observation'] as Record<string, unknown>)['flinkJob']).toBe('RUNNING');
    expect(JSON.stringify(summary)).not.toContain('planted');
  });

  it('labels requests, effect outcomes and errors', () => {
    expect(summarizeEvent('job', requested('STOP', T0, true)).label).toBe('STOP requested without savepoint');
    const done = summarizeEvent('job', {
      type: 'xstate.done.actor.awaitSavepoint',
      output: { status: 'COMPLETED', location: 's3://k:s@b/sp', headers: { authorization: 'x' } },
    });
    expect(done).toEqual({
      type: 'xstate.done.actor.awaitSavepoint',
      label: 'done(awaitSavepoint)',
      fields: { output: { status: 'COMPLETED', location: `s3://${REDACTED}@b/sp` } },
    });
    const failed = summarizeEvent('job', {
      type: 'xstate.error.actor.cancelJob',
      error: new TypeError('PATCH failed: Authorization Bearer abc'),
    });
    expect(failed).toEqual({
      type: 'xstate.error.actor.cancelJob',
      label: 'error(cancelJob)',
      fields: { error: 'TypeError' },
    });
  });

  it('shows nothing of the init input or unknown events', () => {
    expect(summarizeEvent('job', { type: 'xstate.init', input: { uid: 'u', token: 't' } })).toEqual({
      type: 'xstate.init',
      label: 'xstate.init',
      fields: {},
    });
    expect(summarizeEvent('job', { type: '<script>' }).type).toBe('unknown');
    expect(summarizeEvent('job', 'nonsense').type).toBe('unknown');
  });
});

describe('sanitizeEffectInput', () => {
  it('shows where a persisted envelope resumes, not its context', () => {
    expect(
      sanitizeEffectInput({
        envelope: { machine: 'job', version: 1, value: { Started: 'Running' }, context: { uid: 'u' } },
      }),
    ).toEqual({ envelope: { machine: 'job', version: 1, value: 'Started.Running' } });
    expect(sanitizeEffectInput({ jobId: 'j', triggerId: 't', targetDirectory: null, drain: false })).toEqual({
      jobId: 'j',
      triggerId: 't',
      targetDirectory: null,
      drain: false,
    });
  });
});
