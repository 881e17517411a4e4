import { appendFile, open, readFile, stat } from 'node:fs/promises';

/**
 * A container's log is one file for all its runs (`<container>.log`, appended by each run, as the
 * node agent always kept it), plus `<container>.log.runs`: the byte offset where each run began,
 * one a line. Together they give the kubelet's two views: the current run and the previous one.
 */
export function runsFileOf(logFile: string): string {
  return `${logFile}.runs`;
}

/** Records that a run begins now, at the log file's current end (before the process starts). */
export async function recordRunStart(logFile: string): Promise<void> {
  const size = (await stat(logFile).catch(() => undefined))?.size ?? 0;
  await appendFile(runsFileOf(logFile), `${size}\n`);
}

export interface LogSegment {
  readonly start: number;
  /** Exclusive; undefined: up to the file's end (the current run, still growing). */
  readonly end: number | undefined;
}

/**
 * The byte range of the current run (`previous` false) or of the one before it; undefined when
 * there is no such run. A log without a runs file (written before they were recorded) is one run.
 */
export function logSegment(runStarts: readonly number[], previous: boolean): LogSegment | undefined {
  const starts = runStarts.length > 0 ? runStarts : [0];
  const last = starts.length - 1;
  if (!previous) return { start: starts[last] ?? 0, end: undefined };
  if (last < 1) return undefined;
  return { start: starts[last - 1] ?? 0, end: starts[last] };
}

export async function readRunStarts(logFile: string): Promise<number[]> {
  const text = await readFile(runsFileOf(logFile), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n >= 0);
}

/** The last `lines` lines of `text` (a final newline does not count as an empty line). */
export function tailLines(text: string, lines: number): string {
  if (lines <= 0) return '';
  const parts = text.split('\n');
  const trailing = parts.at(-1) === '' ? parts.pop() : undefined;
  const kept = parts.slice(-lines).join('\n');
  return trailing === undefined ? kept : `${kept}\n`;
}

/** Bytes [start, end) of a file; end is clamped to its size. */
export async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const length = Math.max(0, end - start);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
