import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from './file-lock.ts';
import type { Progress } from './progress.ts';

/**
 * One versioned directory in the per-user cache, built at most once.
 * The directory appears (by rename) only when the build finished, with a `.complete` marker,
 * so a killed build leaves nothing that looks usable; a lock keeps two processes from building it at once.
 */
export interface CacheEntryOptions {
  readonly cacheDir: string;
  /** e.g. `kubernetes-1.35.4`: the version is part of the key. */
  readonly key: string;
  readonly label: string;
  readonly progress: Progress;
  readonly lockTimeoutMs?: number;
  /** Fill `dir` (a fresh staging directory). */
  readonly build: (dir: string) => Promise<void>;
}

const MARKER = '.complete';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function ensureCacheEntry(options: CacheEntryOptions): Promise<string> {
  const finalDir = join(options.cacheDir, options.key);
  if (await exists(join(finalDir, MARKER))) {
    options.progress.note(`${options.label}: cached at ${finalDir}`);
    return finalDir;
  }
  await mkdir(join(options.cacheDir, 'locks'), { recursive: true });
  const lockDir = join(options.cacheDir, 'locks', `${options.key}.lock`);
  return withFileLock(
    lockDir,
    {
      timeoutMs: options.lockTimeoutMs ?? 60 * 60 * 1000,
      onWait: (pid) =>
        options.progress.note(`${options.label}: waiting for pid ${pid}, which is preparing it`),
    },
    async () => {
      if (await exists(join(finalDir, MARKER))) return finalDir;
      const staging = `${finalDir}.partial-${process.pid}`;
      await rm(staging, { recursive: true, force: true });
      await mkdir(staging, { recursive: true });
      try {
        await options.progress.step(options.label, () => options.build(staging));
        await writeFile(join(staging, MARKER), new Date().toISOString());
        await rm(finalDir, { recursive: true, force: true });
        await rename(staging, finalDir);
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        throw err;
      }
      return finalDir;
    },
  );
}
