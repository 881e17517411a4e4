// A network partition between chosen local processes and one TCP port (Flink's REST API), made
// with the kernel's packet filter: the processes are moved into a cgroup of their own and iptables
// drops their packets to that port. Matching the cgroup rather than the JobManager's address cuts
// only them: the node agent's probes, the TaskManagers (their RPC uses other ports anyway) and the
// chaos run itself still reach Flink, as they would across a real partition that isolates the
// supervisor. Needs root, iptables and a cgroup v2 hierarchy; `ss` (iproute2) ends the connections
// opened before the cut, which the cgroup match does not see (a socket keeps the cgroup it was made in).
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, ToolMissingError } from '../../src/devenv/run-command.ts';

export interface Partition {
  /** Processes moved into the cut so far (pids). */
  readonly cut: ReadonlySet<number>;
  /** Removes the rule and moves every process back; safe to call twice. */
  heal(): Promise<void>;
}

async function cgroup2Root(): Promise<string> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  const line = mounts.split('\n').find((l) => l.split(' ')[2] === 'cgroup2');
  const root = line?.split(' ')[1];
  if (!root)
    throw new Error('the partition needs a cgroup v2 hierarchy mounted; /proc/self/mounts shows none');
  return root;
}

async function tool(command: string, args: string[], pkg: string): Promise<string> {
  try {
    return (await runCommand(command, args, { timeoutMs: 10_000 })).stdout;
  } catch (err) {
    if (err instanceof ToolMissingError)
      throw new Error(`the partition needs ${command} (Debian package ${pkg}), not found on PATH`, {
        cause: err,
      });
    throw err;
  }
}

/** The processes of the given process groups, from /proc. */
export async function processesOfGroups(groups: readonly number[]): Promise<number[]> {
  const wanted = new Set(groups);
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses: split after the last ')'.
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    if (wanted.has(pgrp)) out.push(Number(entry));
  }
  return out;
}

/**
 * Cuts the processes `pids()` names (asked again every `refreshMs`, so a restarted one is cut too)
 * off from TCP `port` on any address until `heal()`.
 */
export async function partitionFromPort(
  port: number,
  pids: () => Promise<number[]>,
  refreshMs = 250,
): Promise<Partition> {
  await tool('iptables', ['--version'], 'iptables');
  await tool('ss', ['--version'], 'iproute2');
  const root = await cgroup2Root();
  const name = `flinkvisor-chaos-partition-${process.pid}`;
  const dir = join(root, name);
  const rule = ['OUTPUT', '-p', 'tcp', '--dport', String(port), '-m', 'cgroup', '--path', name, '-j', 'DROP'];
  const cut = new Set<number>();
  const origin = new Map<number, string>();
  const move = async () => {
    for (const pid of await pids().catch(() => [] as number[])) {
      if (cut.has(pid)) continue;
      const own = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
      const path = own
        .split('\n')
        .find((l) => l.startsWith('0::'))
        ?.slice(3);
      if (path === undefined) continue;
      const moved = await writeFile(join(dir, 'cgroup.procs'), String(pid)).then(
        () => true,
        () => false, // gone meanwhile
      );
      if (!moved) continue;
      cut.add(pid);
      origin.set(pid, path);
    }
  };
  await mkdir(dir, { recursive: true });
  let healed = false;
  let timer: NodeJS.Timeout | undefined;
  let moving: Promise<void> = Promise.resolve();
  const heal = async () => {
    if (healed) return;
    healed = true;
    clearTimeout(timer);
    await moving;
    await tool('iptables', ['-D', ...rule], 'iptables').catch(() => undefined);
    for (const [pid, path] of origin) {
      await writeFile(join(root, path, 'cgroup.procs'), String(pid)).catch(() => undefined);
    }
    // Children forked inside the cut were never moved in by us: they go where their parents came from.
    const home = join(root, [...origin.values()][0] ?? '/', 'cgroup.procs');
    const left = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of left.split('\n').filter(Boolean)) await writeFile(home, pid).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  };
  try {
    await move();
    await tool('iptables', ['-I', ...rule], 'iptables');
    // Connections opened before the cut belong to the old cgroup: end them, so every request from
    // now on opens a new, cut, connection (others to the port reconnect as after a reset).
    await tool('ss', ['-K', '-t', `dport = :${port}`], 'iproute2');
  } catch (err) {
    await heal();
    throw err;
  }
  const tick = () => {
    if (healed) return;
    moving = move().finally(() => {
      if (!healed) timer = setTimeout(tick, refreshMs);
    });
  };
  timer = setTimeout(tick, refreshMs);
  return { cut, heal };
}
