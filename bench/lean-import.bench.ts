// Resident memory of the long-running roles' code alone (the supervisor and the operator), against a
// bare Node process of the same run: each entry runs `<role> run --help` (everything imported,
// nothing started) and its RSS is read 300 ms after it is done; the median of 5 runs each. Needs no
// cluster (bench/supervisor.bench.ts and bench/fleet.bench.ts measure running ones).
// Run: npm run bench:import
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DEFAULT_SUPERVISOR_RESOURCES } from '../src/api/flink-cluster.ts';
import { PROJECT_ROOT } from '../src/devenv/node-agent-process.ts';
import { buildLeanBundle } from '../src/devenv/lean-bundles.ts';
import { supervisorMemoryEnv } from '../src/operator/supervisor-memory.ts';
import { median } from './supervisor-resident.ts';

const RUNS = 5;
// Preloaded as a data: URL (a .ts file would load Node's type stripper into every process, the bare
// one too): once the program has nothing left to do, wait 300 ms and print VmRSS to stderr.
const PROBE = `data:text/javascript,${encodeURIComponent(`
  import { readFileSync } from 'node:fs';
  let measured = false;
  process.on('beforeExit', () => {
    if (measured) return;
    measured = true;
    setTimeout(() => {
      const kb = /VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      process.stderr.write('RSS ' + kb + '\\n');
    }, 300);
  });
`)}`;

async function rssMiB(args: readonly string[], env: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, ['--import', PROBE, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await once(child, 'exit');
  const kb = /RSS (\d+)/.exec(stderr)?.[1];
  if (!kb) throw new Error(`${args.join(' ')}: no RSS reading: ${stderr}`);
  return Number(kb) / 1024;
}

await buildLeanBundle('supervisor');
await buildLeanBundle('operator');
const envOf = (vars: readonly { name: string; value?: string }[]) =>
  Object.fromEntries(vars.map((e) => [e.name, e.value ?? '']));
/** The chart's default operator memory limit (deploy/helm/flinkvisor/values.yaml): its settings follow it. */
const OPERATOR_MEMORY_LIMIT = '512Mi';
const shipped = {
  supervisor: envOf(supervisorMemoryEnv(DEFAULT_SUPERVISOR_RESOURCES.limits.memory)),
  operator: envOf(supervisorMemoryEnv(OPERATOR_MEMORY_LIMIT)),
};
const entries: [string, string[], Record<string, string>?][] = [['bare node', ['-e', '']]];
for (const role of ['supervisor', 'operator'] as const) {
  const help = [role, 'run', '--help'];
  entries.push(
    [`${role}: CLI from sources (src/cli/main.ts)`, ['src/cli/main.ts', ...help]],
    [`${role}: lean entry from sources (src/cli/${role}-main.ts)`, [`src/cli/${role}-main.ts`, ...help]],
    [`${role}: lean bundle (bin/flinkvisor.js → dist/${role}.mjs)`, ['bin/flinkvisor.js', ...help]],
    [`${role}: lean bundle + memory settings (shipped)`, ['bin/flinkvisor.js', ...help], shipped[role]],
  );
}
const results: [string, number][] = [];
for (const [name, args, env] of entries) {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await rssMiB(args, env));
  results.push([name, median(runs)]);
}
const bare = results[0]?.[1] ?? NaN;
console.log(
  `code loaded, RSS 300 ms after \`<role> run --help\` (median of ${RUNS}; Node ${process.version}):`,
);
for (const [name, mib] of results)
  console.log(`  ${name.padEnd(66)} ${mib.toFixed(1).padStart(6)} MiB  ${(mib / bare).toFixed(2)}x bare`);
