// CPU of an idle process with the metrics registry every Flinkvisor role creates, against a bare
// Node process and against prom-client's default metrics as they come (event-loop delay sampled
// every 10 ms), all run side by side in the same script for the same window. A supervisor at rest
// and the operator at rest do little else, so this is most of what they cost when nothing happens.
// Run: npm run bench:idle-cpu [-- --seconds 20]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PROJECT_ROOT } from '../src/devenv/node-agent-process.ts';

const seconds = process.argv.includes('--seconds')
  ? Number(process.argv[process.argv.indexOf('--seconds') + 1])
  : 20;
const registry = new URL('../src/observability/metrics.ts', import.meta.url).href;
// Each variant keeps the process alive with a 1 s timer (as a waiting process does) and prints
// its own CPU time over the window, in seconds.
const measure = `const t0 = process.cpuUsage(); setInterval(() => {}, 1000);
setTimeout(() => { const u = process.cpuUsage(t0); console.log((u.user + u.system) / 1e6); process.exit(0); }, ${seconds * 1000});`;
const variants: [string, string][] = [
  ['bare Node', ''],
  [
    "prom-client's default metrics as they come (10 ms event-loop sampling)",
    "import { Registry, collectDefaultMetrics } from 'prom-client'; collectDefaultMetrics({ register: new Registry() });",
  ],
  [
    "Flinkvisor's registry (createRegistry)",
    `import { createRegistry } from '${registry}'; createRegistry('bench');`,
  ],
];

const results = await Promise.all(
  variants.map(async ([name, setup]) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `${setup}\n${measure}`], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await once(child, 'exit');
    return { name, percent: (Number(out.trim()) / seconds) * 100 };
  }),
);
const bare = results[0]?.percent ?? NaN;
console.log(`idle CPU over ${seconds} s, side by side (Node ${process.version}):`);
for (const r of results)
  console.log(
    `  ${r.name.padEnd(72)} ${r.percent.toFixed(3).padStart(6)} % of a core  (${(r.percent - bare).toFixed(3)} over bare)`,
  );
