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
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
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
    const requests0 =
      port === undefined ? 0 : await metric(port, 'flinkvisor_supervisor_flink_requests_total');
    const samples: number[] = [];
    for (let t = 0; t <= o.soakMs; t += o.sampleMs) {
      if (t > 0) await new Promise((r) => setTimeout(r, o.sampleMs));
      if (child.exitCode !== null) throw new Error(`${v.name} exited ${child.exitCode} during the soak`);
      samples.push(await rssMiB(pid));
    }
    const requests =
      port === undefined
        ? undefined
        : (await metric(port, 'flinkvisor_supervisor_flink_requests_total')) - requests0;
    return {
      name: v.name,
      samplesMiB: samples,
      medianMiB: median(samples),
      slopeMiBPerHour: slopePerHour(samples, o.sampleMs),
      ...(requests === undefined ? {} : { flinkRequests: requests }),
    };
  } finally {
    await stop(child);
    log.end();
  }
}
