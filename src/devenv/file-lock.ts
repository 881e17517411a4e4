import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A cross-process lock on a directory: `mkdir` is atomic, so exactly one process creates it.
 * The owner's pid is written inside; a lock whose owner no longer runs is stale and is broken,
 * so a build killed halfway never blocks the next run.
 */
export interface FileLockOptions {
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly onWait?: (ownerPid: number) => void;
}

export class LockTimeoutError extends Error {}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerOf(lockDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(lockDir, 'pid'), 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function withFileLock<T>(
  lockDir: string,
  options: FileLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let announced = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await ownerOf(lockDir);
      if (owner === undefined) {
        // The owner may be between mkdir and writing its pid: give it a moment before judging.
        await sleep(200);
        if ((await ownerOf(lockDir)) === undefined) await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!processAlive(owner)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) {
        options.onWait?.(owner);
        announced = true;
      }
      if (Date.now() > deadline) {
        throw new LockTimeoutError(
          `timed out after ${options.timeoutMs}ms waiting for lock ${lockDir} held by pid ${owner}`,
        );
      }
      await sleep(options.pollMs ?? 500);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
