// Which objects of a listing are a job's complete savepoints (ADR 0023), and the report format.
import { describe, expect, it } from 'vitest';
import {
  findSavepoints,
  matchSavepoints,
  MAX_REPORTED_SAVEPOINTS,
  parseSearchReport,
  renderSearchReport,
  savepointDirectoryPrefix,
} from '../../../src/storage/savepoint-search.ts';

const JOB_ID = 'AbCdEf0123456789abcdef0123456789';
const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, s));
const hex = (n: number) => n.toString(16).padStart(12, '0');

describe('matchSavepoints', () => {
  const prefix = 'flink/savepoints/';
  const base = 's3://state/flink/savepoints';
  it("keeps the job's directories with a _metadata written since the time, oldest first", () => {
    const objects = [
      { key: `${prefix}savepoint-abcdef-${hex(2)}/_metadata`, lastModified: at(20) },
      { key: `${prefix}savepoint-abcdef-${hex(1)}/_metadata`, lastModified: at(10) },
      // Not complete: no _metadata yet.
      { key: `${prefix}savepoint-abcdef-${hex(3)}/op-state-1`, lastModified: at(30) },
      // Older than the trigger.
      { key: `${prefix}savepoint-abcdef-${hex(4)}/_metadata`, lastModified: at(1) },
      // Another job's.
      { key: `${prefix}savepoint-123456-${hex(5)}/_metadata`, lastModified: at(40) },
      // Not Flink's name; deeper; another directory.
      { key: `${prefix}savepoint-abcdef-xyz/_metadata`, lastModified: at(40) },
      { key: `${prefix}nested/savepoint-abcdef-${hex(6)}/_metadata`, lastModified: at(40) },
      { key: `other/savepoint-abcdef-${hex(7)}/_metadata`, lastModified: at(40) },
    ];
    expect(matchSavepoints(objects, prefix, base, JOB_ID, at(5))).toEqual([
      { path: `${base}/savepoint-abcdef-${hex(1)}`, completedAt: at(10).toISOString() },
      { path: `${base}/savepoint-abcdef-${hex(2)}`, completedAt: at(20).toISOString() },
    ]);
  });

  it("names the directory as Flink does: the job id's first 6 hex", () => {
    expect(savepointDirectoryPrefix(JOB_ID)).toBe('savepoint-abcdef-');
  });
});

describe('findSavepoints', () => {
  it('lists only under the job prefix of the directory and reports at most a bounded number', async () => {
    const asked: string[] = [];
    const client = {
      async listObjects(bucket: string, prefix = '') {
        asked.push(`${bucket}/${prefix}`);
        return Array.from({ length: MAX_REPORTED_SAVEPOINTS + 3 }, (_, i) => ({
          key: `sp/savepoint-abcdef-${hex(i)}/_metadata`,
          size: 10,
          lastModified: at(10 + i),
        }));
      },
    };
    const report = await findSavepoints(client, 's3a://state/sp/', JOB_ID, at(0));
    expect(asked).toEqual(['state/sp/savepoint-abcdef-']);
    expect(report.truncated).toBe(true);
    expect(report.savepoints).toHaveLength(MAX_REPORTED_SAVEPOINTS);
    expect(report.savepoints[0]?.path).toBe(`s3a://state/sp/savepoint-abcdef-${hex(0)}`);
  });

  it('fits a termination message (4096 bytes) at its bound, and reads back', () => {
    const savepoints = Array.from({ length: MAX_REPORTED_SAVEPOINTS }, (_, i) => ({
      path: `s3://${'b'.repeat(63)}/${'d'.repeat(60)}/savepoint-abcdef-${hex(i)}`,
      completedAt: at(i).toISOString(),
    }));
    const text = renderSearchReport({ savepoints, truncated: true });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(parseSearchReport(text)).toEqual({ savepoints, truncated: true });
    expect(parseSearchReport('not json')).toBeUndefined();
    expect(parseSearchReport('{"savepoints":[{"path":1}]}')).toEqual({ savepoints: [], truncated: false });
    expect(parseSearchReport(undefined)).toBeUndefined();
  });
});
