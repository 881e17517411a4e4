import { stringify } from 'yaml';
import { UsageError } from './exit-codes.ts';

/**
 * What client commands print: a table for people (kubectl's look: upper-case headers, columns
 * two spaces apart, `<none>` for nothing), or the API's JSON as it is (`-o json`, `-o yaml`) for
 * scripts. Pure functions: the commands write the strings.
 */

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`-o/--output must be one of ${OUTPUT_FORMATS.join(', ')}, got ${value}`);
}

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => unknown;
}

const NONE = '<none>';

/** One cell: strings as they are, numbers and booleans printed, nothing as `<none>`. */
export function formatCell(value: unknown): string {
  if (value === undefined || value === null || value === '') return NONE;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? NONE : value.map(formatCell).join(',');
  return JSON.stringify(value);
}

export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = [
    columns.map((c) => c.header),
    ...rows.map((row) => columns.map((c) => formatCell(c.value(row)))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** `{ a: { b: 1 }, c: [x] }` → `[['a.b', 1], ['c', x]]`: nested objects flattened to dotted keys. */
export function flattenFields(value: Record<string, unknown>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      out.push(...flattenFields(v as Record<string, unknown>, path));
    else out.push([path, v]);
  }
  return out;
}

/** An object as FIELD / VALUE rows; lists of objects are left to their own tables (`skip`). */
export function renderFields(value: Record<string, unknown>, skip: readonly string[] = []): string {
  const rows = flattenFields(value).filter(
    ([key, v]) =>
      !skip.some((s) => key === s || key.startsWith(`${s}.`)) &&
      !(Array.isArray(v) && v.some((x) => typeof x === 'object')),
  );
  return renderTable<[string, unknown]>(
    [
      { header: 'FIELD', value: ([k]) => k },
      { header: 'VALUE', value: ([, v]) => v },
    ],
    rows,
  );
}

/** kubectl's AGE: 45s, 12m, 3h, 5d. */
export function formatAge(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string') return NONE;
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return NONE;
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** The API's answer in the chosen format; `table` renders it for people. */
export function renderOutput(format: OutputFormat, value: unknown, table: () => string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(value, null, 2)}\n`;
    case 'yaml':
      return stringify(value, { lineWidth: 0 });
    case 'table':
      return table();
  }
}
