import { describe, expect, it } from 'vitest';
import { FlinkInvalidArgumentError, FlinkUnsupportedError } from '../../../src/flink/errors.ts';
import {
  checkpointBody,
  resourceRequirementsBody,
  runJarBody,
  savepointBody,
  savepointDisposalBody,
  stopWithSavepointBody,
} from '../../../src/flink/request-bodies.ts';
import { capabilitiesOf, parseFlinkVersion } from '../../../src/flink/version.ts';
import { JOB_ID, TRIGGER_ID } from './fixtures.ts';

const caps = (raw: string) => capabilitiesOf(parseFlinkVersion(raw)!);

describe('run jar bodies', () => {
  const full = {
    jobId: JOB_ID,
    entryClass: 'org.example.Main',
    programArgs: ['--input', 'a b'],
    parallelism: 2,
    savepointPath: 'file:/sp/1',
    allowNonRestoredState: true,
    claimMode: 'NO_CLAIM' as const,
    flinkConfiguration: { 'pipeline.name': 'x' },
  };

  it('sends claimMode from 1.19 and programArgsList, never programArgs', () => {
    for (const v of ['1.19.0', '1.20.5', '2.3.0']) {
      expect(runJarBody(caps(v), full)).toEqual({
        jobId: JOB_ID,
        entryClass: 'org.example.Main',
        programArgsList: ['--input', 'a b'],
        parallelism: 2,
        savepointPath: 'file:/sp/1',
        allowNonRestoredState: true,
        claimMode: 'NO_CLAIM',
        flinkConfiguration: { 'pipeline.name': 'x' },
      });
    }
  });

  it('renames the claim mode to restoreMode for the strict 1.17 and 1.18 parsers', () => {
    const body = runJarBody(caps('1.18.1'), full);
    expect(body['restoreMode']).toBe('NO_CLAIM');
    expect(body).not.toHaveProperty('claimMode');
    expect(body).not.toHaveProperty('programArgs');
  });

  it('omits what the caller left out (no nulls, no undefined)', () => {
    const body = runJarBody(caps('1.20.5'), { jobId: JOB_ID });
    expect(body).toEqual({ jobId: JOB_ID });
    expect(JSON.stringify(body)).toBe(`{"jobId":"${JOB_ID}"}`);
  });

  it('refuses bad input before anything is sent', () => {
    expect(() => runJarBody(caps('1.20.5'), { jobId: 'x' })).toThrow(FlinkInvalidArgumentError);
    expect(() => runJarBody(caps('1.20.5'), { jobId: JOB_ID, parallelism: 0 })).toThrow(/positive integer/);
    expect(() => runJarBody(caps('1.20.5'), { jobId: JOB_ID, parallelism: 1.5 })).toThrow(/positive integer/);
    expect(() => runJarBody(caps('1.20.5'), { jobId: JOB_ID, savepointPath: ' ' })).toThrow(
      /must not be empty/,
    );
  });

  it('refuses a field the version lacks instead of sending it', () => {
    // flinkConfiguration arrived in 1.17: a 1.16 server would reject (strict) the whole request.
    const old = capabilitiesOf({ major: 1, minor: 16, patch: 0, raw: '1.16.0' });
    expect(() => runJarBody(old, { jobId: JOB_ID, flinkConfiguration: { a: 'b' } })).toThrow(
      FlinkUnsupportedError,
    );
    expect(() => runJarBody(old, { jobId: JOB_ID, flinkConfiguration: { a: 'b' } })).toThrow(
      /has no field flinkConfiguration \(added in 1\.17\) and would reject the request/,
    );
  });
});

describe('savepoint, stop and checkpoint bodies', () => {
  it('carry the caller-chosen trigger id', () => {
    expect(savepointBody(caps('1.20.5'), { triggerId: TRIGGER_ID })).toEqual({
      triggerId: TRIGGER_ID,
      'cancel-job': false,
    });
    expect(
      savepointBody(caps('2.3.0'), {
        triggerId: TRIGGER_ID,
        targetDirectory: 'file:/sp',
        cancelJob: true,
        formatType: 'NATIVE',
      }),
    ).toEqual({
      triggerId: TRIGGER_ID,
      'target-directory': 'file:/sp',
      'cancel-job': true,
      formatType: 'NATIVE',
    });
    expect(stopWithSavepointBody(caps('1.20.5'), { triggerId: TRIGGER_ID, drain: true })).toEqual({
      triggerId: TRIGGER_ID,
      drain: true,
    });
    expect(
      stopWithSavepointBody(caps('2.3.0'), {
        triggerId: TRIGGER_ID,
        targetDirectory: 'file:/sp',
        formatType: 'CANONICAL',
      }),
    ).toEqual({ triggerId: TRIGGER_ID, targetDirectory: 'file:/sp', drain: false, formatType: 'CANONICAL' });
    expect(checkpointBody(caps('1.20.5'), { triggerId: TRIGGER_ID, checkpointType: 'FULL' })).toEqual({
      triggerId: TRIGGER_ID,
      checkpointType: 'FULL',
    });
  });

  it('refuse a missing or malformed trigger id', () => {
    expect(() => savepointBody(caps('1.20.5'), { triggerId: 'xyz' })).toThrow(/triggerId must be 32/);
    expect(() => stopWithSavepointBody(caps('1.20.5'), { triggerId: '' })).toThrow(FlinkInvalidArgumentError);
    expect(() => checkpointBody(caps('1.20.5'), { triggerId: TRIGGER_ID.toUpperCase() })).toThrow(
      FlinkInvalidArgumentError,
    );
  });
});

describe('resource requirements and disposal bodies', () => {
  it('shape and check parallelism bounds', () => {
    expect(
      resourceRequirementsBody(caps('1.20.5'), { v1: { parallelism: { lowerBound: 1, upperBound: 4 } } }),
    ).toEqual({
      v1: { parallelism: { lowerBound: 1, upperBound: 4 } },
    });
    expect(() =>
      resourceRequirementsBody(caps('1.20.5'), { v1: { parallelism: { lowerBound: 3, upperBound: 2 } } }),
    ).toThrow(/lowerBound 3 > upperBound 2/);
    expect(() => resourceRequirementsBody(caps('1.20.5'), {})).toThrow(FlinkInvalidArgumentError);
    expect(() =>
      resourceRequirementsBody(caps('1.17.2'), { v1: { parallelism: { lowerBound: 1, upperBound: 1 } } }),
    ).toThrow(FlinkUnsupportedError);
  });

  it('name the savepoint to dispose', () => {
    expect(savepointDisposalBody('file:/sp/1')).toEqual({ 'savepoint-path': 'file:/sp/1' });
    expect(() => savepointDisposalBody('')).toThrow(FlinkInvalidArgumentError);
  });
});
