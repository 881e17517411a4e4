import { mkdtemp, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  logSegment,
  readRange,
  readRunStarts,
  recordRunStart,
  tailLines,
} from '../../../src/node-agent/container-logs.ts';

describe('container log runs', () => {
  it('splits one appended file into the current run and the previous one', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'flinkvisor-logs-')), 'main.log');
    await recordRunStart(log);
    await appendFile(log, 'first 1\nfirst 2\n');
    await recordRunStart(log);
    await appendFile(log, 'second 1\n');
    const starts = await readRunStarts(log);
    expect(starts).toEqual([0, 16]);
    const current = logSegment(starts, false);
    const previous = logSegment(starts, true);
    expect(current).toEqual({ start: 16, end: undefined });
    expect((await readRange(log, previous!.start, previous!.end!)).toString()).toBe('first 1\nfirst 2\n');
    expect((await readRange(log, current!.start, 1000)).toString()).toBe('second 1\n');
  });

  it('has no previous run before a restart; a log without a runs file is one run', () => {
    expect(logSegment([0], true)).toBeUndefined();
    expect(logSegment([], false)).toEqual({ start: 0, end: undefined });
    expect(logSegment([], true)).toBeUndefined();
  });

  it('keeps the last lines, with or without a final newline', () => {
    expect(tailLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tailLines('a\nb\nc', 2)).toBe('b\nc');
    expect(tailLines('a\n', 5)).toBe('a\n');
    expect(tailLines('a\nb\n', 0)).toBe('');
  });
});
