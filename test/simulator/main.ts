// npm run simulate -- --seeds N [--seed S] [--steps K] [--quiet-steps Q] [--verbose] [--trace] [--progress P]
// Runs N seeded fault simulations (seeds S, S+1, ...; S random and printed when not given) and
// prints seeds run, steps, faults injected by kind and every violated invariant with the command
// that replays it; --trace prints each seed's trace (milliseconds into the run, then the event).
// Exit code 1 on any violation.
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { runBatch, formatBatch } from './batch.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    'quiet-steps': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    progress: { type: 'string' },
  },
});

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a whole number, not "${value}"\n`);
    process.exit(2);
  }
  return n;
}

const seeds = count('seeds', values.seeds) ?? 1;
const first = count('seed', values.seed) ?? randomInt(0, 2 ** 31);
const faultSteps = count('steps', values.steps);
const quietSteps = count('quiet-steps', values['quiet-steps']);
const progress = count('progress', values.progress);
let done = 0;
process.stdout.write(`simulating ${seeds} seed(s) from ${first}\n`);
const started = performance.now();
const batch = await runBatch({
  first,
  seeds,
  ...(faultSteps === undefined ? {} : { faultSteps }),
  ...(quietSteps === undefined ? {} : { quietSteps }),
  ...(values.trace ? { trace: (line: string) => process.stdout.write(`trace ${line}\n`) } : {}),
  onSeed: (r, sofar) => {
    done++;
    if (progress && done % progress === 0)
      process.stdout.write(
        `progress: ${done} seeds, ${sofar.steps} steps, ${Object.values(sofar.faults).reduce((a, b) => a + b, 0)} faults, ${sofar.failures.length} failing seed(s), ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
    if (values.verbose || r.violations.length > 0)
      process.stdout.write(
        `seed ${r.seed}: ${r.steps} steps, ${Object.values(r.faults).reduce((a, b) => a + b, 0)} faults, ${r.violations.length} violation(s), trace ${r.traceHash.slice(0, 16)}\n`,
      );
  },
});
process.stdout.write(formatBatch(batch, (performance.now() - started) / 1000));
process.exit(batch.failures.length > 0 ? 1 : 0);
