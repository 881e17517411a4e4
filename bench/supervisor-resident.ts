// Resident memory of supervisor processes, measured one after the other in the same run against a
// bare Node process: each variant is started as a local process, leads the cluster (the pod's
// supervisor is scaled to zero meanwhile), settles, then has its RSS sampled over a soak window.
// Used by bench/supervisor.bench.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { waitFor } from '../src/devenv/wait-for.ts';

export interface ResidentVariant {
  readonly name: string;
  /** Arguments of Node (script and its arguments). */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Its monitoring port when it is a supervisor: it is measured once it leads. */
  readonly metricsPort?: number;
}

export interface ResidentMeasurement {
  readonly name: string;
  /** RSS samples in MiB, one per sample interval over the soak. */
  readonly samplesMiB: readonly number[];
  readonly medianMiB: number;
  /** Least-squares slope of RSS over the soak, MiB per hour. */
  readonly slopeMiBPerHour: number;
  /** Flink REST requests over the soak (supervisors only). */
  readonly flinkRequests?: number;
  /** The same by `METHOD route outcome` (each attempt counts, failed ones too). */
  readonly flinkRequestsBy?: Readonly<Record<string, number>>;
  /** The supervisor's passes over the soak (its reconcile counter, every result). */
  readonly passes?: number;
}

export interface ResidentOptions {
  readonly cwd: string;
  readonly logDir: string;
  readonly settleMs: number;
  readonly soakMs: number;
  readonly sampleMs: number;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function metric(port: number, name: string): Promise<number> {
  return [...(await series(port, name)).values()].reduce((sum, v) => sum + v, 0);
}

const PASSES = 'flinkvisor_supervisor_reconcile_total';

/** A metric's series by their labels as exposed (`{route="/jobs",method="GET",...}`). */
async function series(port: number, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+?)(\{.*\})? (\S+)$/.exec(line);
    if (m?.[1] === name) found.set(m[2] ?? '', Number(m[3]));
  }
  return found;
}

/** Flink REST requests by `METHOD route outcome`, the supervisor's counter's labels. */
async function flinkRequestsBy(port: number): Promise<Map<string, number>> {
  const by = new Map<string, number>();
  for (const [labels, value] of await series(port, 'flinkvisor_supervisor_flink_requests_total')) {
    const label = (l: string) => new RegExp(`${l}="([^"]*)"`).exec(labels)?.[1] ?? '?';
    const key = `${label('method')} ${label('route')} ${label('outcome')}`;
    by.set(key, (by.get(key) ?? 0) + value);
  }
  return by;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** Least-squares slope of evenly spaced samples, per hour. */
export function slopePerHour(samples: readonly number[], intervalMs: number): number {
  const n = samples.length;
  if (n < 2) return 0;
  const xs = samples.map((_, i) => (i * intervalMs) / 3_600_000);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = samples.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] ?? 0) - mx) * ((samples[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return num / den;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Starts the variant, waits until it leads (supervisors), settles, samples its RSS over the soak, stops it. */
export async function measureResident(v: ResidentVariant, o: ResidentOptions): Promise<ResidentMeasurement> {
  const log = createWriteStream(join(o.logDir, `resident-${v.name.replace(/\W+/g, '-')}.log`));
  await once(log, 'open');
  const child = spawn(process.execPath, [...v.args], {
    cwd: o.cwd,
    env: { ...process.env, ...v.env },
    stdio: ['ignore', log, log],
  });
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${v.name} did not start`);
    const port = v.metricsPort;
    if (port !== undefined) {
      await waitFor(
        `${v.name} leading`,
        async () => {
          if (child.exitCode !== null) throw new Error(`${v.name} exited ${child.exitCode}`);
          return (await metric(port, 'flinkvisor_supervisor_leader').catch(() => 0)) === 1 ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
    }
    await new Promise((r) => setTimeout(r, o.settleMs));
    const requests0 = port === undefined ? new Map<string, number>() : await flinkRequestsBy(port);
    const passes0 = port === undefined ? 0 : await metric(port, PASSES);
    const samples: number[] = [];
    for (let t = 0; t <= o.soakMs; t += o.sampleMs) {
      if (t > 0) await new Promise((r) => setTimeout(r, o.sampleMs));
      if (child.exitCode !== null) throw new Error(`${v.name} exited ${child.exitCode} during the soak`);
      samples.push(await rssMiB(pid));
    }
    const measured = {
      name: v.name,
      samplesMiB: samples,
      medianMiB: median(samples),
      slopeMiBPerHour: slopePerHour(samples, o.sampleMs),
    };
    if (port === undefined) return measured;
    const requestsBy = Object.fromEntries(
      [...(await flinkRequestsBy(port))]
        .map(([key, n]) => [key, n - (requests0.get(key) ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    return {
      ...measured,
      flinkRequests: Object.values(requestsBy).reduce((sum, n) => sum + n, 0),
      flinkRequestsBy: requestsBy,
      passes: (await metric(port, PASSES)) - passes0,
    };
  } finally {
    await stop(child);
    log.end();
  }
}
