import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/exit-codes.ts';
import {
  flattenFields,
  formatAge,
  formatCell,
  parseOutputFormat,
  renderFields,
  renderOutput,
  renderTable,
} from '../../../src/cli/output.ts';

describe('tables', () => {
  it('aligns columns like kubectl, with <none> for nothing', () => {
    const table = renderTable(
      [
        { header: 'NAME', value: (r: { n: string; s?: string; c: number }) => r.n },
        { header: 'STATUS', value: (r) => r.s },
        { header: 'COUNT', value: (r) => r.c },
      ],
      [
        { n: 'demo', s: 'Started', c: 2 },
        { n: 'a-much-longer-name', c: 0 },
      ],
    );
    expect(table).toBe(
      [
        'NAME                 STATUS    COUNT',
        'demo                 Started   2',
        'a-much-longer-name   <none>    0',
        '',
      ].join('\n'),
    );
  });

  it('prints cells of every type', () => {
    expect(formatCell(undefined)).toBe('<none>');
    expect(formatCell('')).toBe('<none>');
    expect(formatCell(false)).toBe('false');
    expect(formatCell(['a', 'b'])).toBe('a,b');
    expect(formatCell([])).toBe('<none>');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
  });

  it('flattens nested fields and leaves lists of objects to their own tables', () => {
    expect(flattenFields({ a: { b: 1, c: { d: 'x' } }, e: [1, 2] })).toEqual([
      ['a.b', 1],
      ['a.c.d', 'x'],
      ['e', [1, 2]],
    ]);
    const text = renderFields(
      { state: 'RUNNING', hardware: { cpuCores: 2 }, vertices: [{ id: 1 }], skip: { me: 1 } },
      ['skip'],
    );
    const w = 'hardware.cpuCores'.length;
    expect(text).toBe(
      [`${'FIELD'.padEnd(w)}   VALUE`, `${'state'.padEnd(w)}   RUNNING`, 'hardware.cpuCores   2', ''].join(
        '\n',
      ),
    );
  });

  it("prints kubectl's AGE", () => {
    const now = Date.parse('2026-11-20T12:00:00Z');
    expect(formatAge('2026-11-20T11:59:15Z', now)).toBe('45s');
    expect(formatAge('2026-11-20T11:30:00Z', now)).toBe('30m');
    expect(formatAge('2026-11-20T02:00:00Z', now)).toBe('10h');
    expect(formatAge('2026-11-10T12:00:00Z', now)).toBe('10d');
    expect(formatAge(undefined, now)).toBe('<none>');
  });
});

describe('output formats', () => {
  it('prints the API answer as it is for json and yaml, and the table otherwise', () => {
    const value = { name: 'demo', taskManagers: 2 };
    expect(JSON.parse(renderOutput('json', value, () => 'table'))).toEqual(value);
    expect(renderOutput('yaml', value, () => 'table')).toBe('name: demo\ntaskManagers: 2\n');
    expect(renderOutput('table', value, () => 'table\n')).toBe('table\n');
    expect(parseOutputFormat('yaml')).toBe('yaml');
    expect(() => parseOutputFormat('wide')).toThrow(UsageError);
  });
});
