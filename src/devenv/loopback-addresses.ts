import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Hands out loopback addresses 127.0.0.N (N = 2..254), one per Flink cluster or pod, across every
 * process of this user on the machine: a claim is a directory created atomically, holding the pid
 * of its owner; a claim whose owner died is taken over. 127.0.0.1 is left to the control plane.
 */
export interface LoopbackLease {
  readonly address: string;
  release(): Promise<void>;
}

export interface AllocateOptions {
  readonly registryDir?: string;
  /** Try this address first (e.g. a test that wants 127.0.0.2). */
  readonly preferred?: string;
  /** Ports that must be free on the address (default: Flink's 6123 and 8081). */
  readonly ports?: readonly number[];
  readonly first?: number;
  readonly last?: number;
  /** How long a released address is not handed out again (default 2 minutes). */
  readonly quarantineMs?: number;
}

export function defaultRegistryDir(): string {
  return join(tmpdir(), `flinkvisor-loopback-${process.getuid?.() ?? 'user'}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function claim(registry: string, address: string, options: { quarantineMs: number }): Promise<boolean> {
  const dir = join(registry, address);
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let owner: number;
    try {
      owner = Number.parseInt(await readFile(join(dir, 'pid'), 'utf8'), 10);
    } catch {
      // Being claimed right now, unless the claimer died between mkdir and writing its pid.
      const age = Date.now() - (await stat(dir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age < 10_000) return false;
      owner = 0;
    }
    if (Number.isFinite(owner) && owner > 0 && alive(owner)) return false;
    const releasedAt = Number.parseInt(await readFile(join(dir, 'released'), 'utf8').catch(() => '0'), 10);
    if (Number.isFinite(releasedAt) && Date.now() - releasedAt < options.quarantineMs) return false;
    // Take the stale claim over atomically: of several processes, one rename wins.
    const stale = `${dir}.stale-${process.pid}-${Date.now()}`;
    try {
      await rename(dir, stale);
    } catch {
      return false;
    }
    await rm(stale, { recursive: true, force: true }).catch(() => undefined);
    try {
      await mkdir(dir);
    } catch {
      return false;
    }
  }
  await writeFile(join(dir, 'pid'), String(process.pid));
  return true;
}

export async function allocateLoopbackAddress(options: AllocateOptions = {}): Promise<LoopbackLease> {
  const registry = options.registryDir ?? defaultRegistryDir();
  await mkdir(registry, { recursive: true });
  const ports = options.ports ?? [6123, 8081];
  const candidates: string[] = [];
  if (options.preferred) candidates.push(options.preferred);
  for (let n = options.first ?? 2; n <= (options.last ?? 254); n++) candidates.push(`127.0.0.${n}`);
  for (const address of candidates) {
    if (!(await claim(registry, address, { quarantineMs: options.quarantineMs ?? 120_000 }))) continue;
    const free = await Promise.all(ports.map((p) => portFree(address, p)));
    if (free.every(Boolean)) {
      return {
        address,
        // A released address stays quarantined for a while (its `released` marker), as a CNI cycles
        // through its range: peers still holding the old owner's address must not reach a new one.
        release: async () => {
          await writeFile(join(registry, address, 'released'), String(Date.now())).catch(() => undefined);
          await writeFile(join(registry, address, 'pid'), '0').catch(() => undefined);
        },
      };
    }
    // Something else (not ours) listens there: leave the claim to our pid so nobody retries it now.
  }
  throw new Error(`no free loopback address in 127.0.0.${options.first ?? 2}-${options.last ?? 254}`);
}
