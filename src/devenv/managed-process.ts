import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ManagedProcessOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Process groups this Node process started and has not yet stopped. If the harness's owner dies
 * without tearing down, the exit hook still ends them; if it was killed outright (SIGKILL, no exit
 * hook), the next harness to start sweeps what a dead owner left: each group is also recorded on
 * disk under its owner's pid.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
const registryRoot = join(tmpdir(), `flinkvisor-processes-${process.getuid?.() ?? 'user'}`);
const ownRegistry = join(registryRoot, String(process.pid));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ends the process groups of harnesses that died without stopping them. */
export function sweepOrphanedGroups(): number {
  let swept = 0;
  let owners: string[];
  try {
    owners = readdirSync(registryRoot);
  } catch {
    return 0;
  }
  for (const owner of owners) {
    const pid = Number(owner);
    if (!Number.isFinite(pid) || pid === process.pid || pidAlive(pid)) continue;
    const dir = join(registryRoot, owner);
    for (const entry of readdirSync(dir)) {
      try {
        process.kill(-Number(entry), 'SIGKILL');
        swept++;
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return swept;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  sweepOrphanedGroups();
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(ownRegistry, { recursive: true, force: true });
  });
}

function remember(pgid: number): void {
  liveGroups.add(pgid);
  try {
    mkdirSync(ownRegistry, { recursive: true });
    writeFileSync(join(ownRegistry, String(pgid)), '');
  } catch {
    // the in-memory set still covers a normal exit
  }
}

function forget(pgid: number): void {
  liveGroups.delete(pgid);
  rmSync(join(ownRegistry, String(pgid)), { force: true });
}

/**
 * A long-running child (etcd, kube-apiserver, a JVM) in its own process group, so stopping it also
 * ends what it forked (Flink's scripts start java as a child) and nothing else.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  readonly #log: WriteStream;
  #exit: ProcessExit | undefined;

  private constructor(options: ManagedProcessOptions) {
    installExitHook();
    this.name = options.name;
    this.logFile = options.logFile;
    this.#log = createWriteStream(options.logFile, { flags: 'a' });
    this.#child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#child.stdout?.pipe(this.#log, { end: false });
    this.#child.stderr?.pipe(this.#log, { end: false });
    if (this.#child.pid !== undefined) remember(this.#child.pid);
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (err) => {
        this.#log.write(`[flinkvisor] failed to start ${options.command}: ${err.message}\n`);
        this.#exit = { code: null, signal: null };
        resolve(this.#exit);
      });
      this.#child.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    void this.exited.then(() => {
      if (this.#child.pid !== undefined) forget(this.#child.pid);
    });
  }

  static start(options: ManagedProcessOptions): ManagedProcess {
    return new ManagedProcess(options);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get exitStatus(): ProcessExit | undefined {
    return this.#exit;
  }

  /** SIGTERM to the group, then SIGKILL after the grace period. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    const pid = this.#child.pid;
    if (this.#exit === undefined && pid !== undefined) {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
      // The leader may exit before its children (a script and its JVM): end the rest of the group.
      signalGroup(pid, 'SIGKILL');
    }
    const exit = await this.exited;
    if (!this.#log.closed) {
      this.#log.end();
      await once(this.#log, 'close').catch(() => undefined);
    }
    return exit;
  }

  /** SIGKILL at once, as `kill -9` would (used by crash tests). */
  kill(): void {
    if (this.#child.pid !== undefined && this.#exit === undefined) signalGroup(this.#child.pid, 'SIGKILL');
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}
