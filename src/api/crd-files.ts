import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './crd-manifests.ts';

/** deploy/crds of this checkout (resolved from this file, so it does not depend on the working directory). */
export const DEFAULT_CRD_DIRECTORY = fileURLToPath(new URL('../../deploy/crds/', import.meta.url));

export type CrdFileState = 'up-to-date' | 'missing' | 'outdated' | 'unexpected';

export interface CrdFileReport {
  readonly file: string;
  readonly state: CrdFileState;
}

/** Writes every generated CRD file; returns the paths written. */
export async function writeCrdFiles(directory: string): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  for (const [file, content] of renderCrdFiles()) {
    const path = join(directory, file);
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}

/**
 * Compares the files in `directory` with what the schemas generate now. YAML files there that
 * the generator does not produce are `unexpected` (a renamed kind leaves its old file behind).
 */
export async function checkCrdFiles(directory: string): Promise<CrdFileReport[]> {
  const expected = renderCrdFiles();
  const present = await readdir(directory).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const reports: CrdFileReport[] = [];
  for (const [file, content] of expected) {
    if (!present.includes(file)) {
      reports.push({ file, state: 'missing' });
      continue;
    }
    const actual = await readFile(join(directory, file), 'utf8');
    reports.push({ file, state: actual === content ? 'up-to-date' : 'outdated' });
  }
  for (const file of present) {
    if (/\.ya?ml$/.test(file) && !expected.has(file)) reports.push({ file, state: 'unexpected' });
  }
  return reports;
}
