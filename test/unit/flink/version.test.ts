import { describe, expect, it } from 'vitest';
import {
  capabilitiesOf,
  compareFlinkVersions,
  isSupportedVersion,
  parseFlinkVersion,
} from '../../../src/flink/version.ts';

const caps = (raw: string) => capabilitiesOf(parseFlinkVersion(raw)!);

describe('Flink versions', () => {
  it('parses releases and snapshots', () => {
    expect(parseFlinkVersion('1.20.5')).toEqual({ major: 1, minor: 20, patch: 5, raw: '1.20.5' });
    expect(parseFlinkVersion('2.3-SNAPSHOT')).toEqual({ major: 2, minor: 3, patch: 0, raw: '2.3-SNAPSHOT' });
    expect(parseFlinkVersion('<unknown>')).toBeUndefined();
    expect(compareFlinkVersions(parseFlinkVersion('1.9.0')!, parseFlinkVersion('1.17.0')!)).toBeLessThan(0);
  });

  it('supports 1.17 and later', () => {
    expect(isSupportedVersion(parseFlinkVersion('1.16.3')!)).toBe(false);
    expect(isSupportedVersion(parseFlinkVersion('1.17.0')!)).toBe(true);
    expect(isSupportedVersion(parseFlinkVersion('2.3.0')!)).toBe(true);
  });

  it.each([
    ['1.17.2', true, 'restoreMode', true, false, true],
    ['1.18.1', true, 'restoreMode', true, true, true],
    ['1.19.3', true, 'claimMode', true, true, true],
    ['1.20.5', false, 'claimMode', true, true, true],
    ['2.0.0', false, 'claimMode', false, true, false],
    ['2.3.0', false, 'claimMode', false, true, false],
  ])('knows what %s accepts', (v, strict, claimField, programArgs, resources, legacyExceptions) => {
    const c = caps(v);
    expect(c.strictRequestBodies).toBe(strict);
    expect(c.claimModeField).toBe(claimField);
    expect(c.programArgsString).toBe(programArgs);
    expect(c.resourceRequirements).toBe(resources);
    expect(c.legacyExceptionFields).toBe(legacyExceptions);
  });

  it('knows applications arrive in 2.3', () => {
    expect(caps('2.2.0').applications).toBe(false);
    expect(caps('2.3.0').applications).toBe(true);
  });
});
