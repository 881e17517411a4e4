// npx node test/simulator/compare-speed.ts --other DIR [--seeds N] [--seed S] [--rounds R]
// Runs the same seeds with this checkout's simulator and with another checkout's (DIR, e.g. a
// `git worktree add --detach DIR <commit>` with node_modules linked), one seed of each in turn in
// one process, so that the load of a shared machine weighs on both alike. Prints the CPU time of
// each and their ratio, and fails when a seed's trace differs: a speed-up must not change behaviour.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSeed, type SeedOptions, type SeedResult } from './run-seed.ts';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    seeds: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '1' },
  },
});
if (!values.other) {
  process.stderr.write('--other DIR (a checkout to compare with) is required\n');
  process.exit(2);
}
const otherModule = pathToFileURL(resolve(values.other, 'test/simulator/run-seed.ts')).href;
const other = (await import(otherModule)) as { runSeed: (o: SeedOptions) => Promise<SeedResult> };
const seeds = Number(values.seeds);
const first = Number(values.seed);
const rounds = Number(values.rounds);

/** CPU time (user and system, ms) `run` takes. */
async function cpuOf<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const before = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(before);
  return { result, ms: (used.user + used.system) / 1000 };
}

let ours = 0;
let theirs = 0;
let differing = 0;
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < seeds; i++) {
    const seed = first + i;
    // Alternate which goes first, so neither always runs on a warmer heap.
    const order = (i + round) % 2 === 0;
    const a = order ? await cpuOf(() => runSeed({ seed })) : undefined;
    const b = await cpuOf(() => other.runSeed({ seed }));
    const c = a ?? (await cpuOf(() => runSeed({ seed })));
    ours += c.ms;
    theirs += b.ms;
    if (c.result.traceHash !== b.result.traceHash) {
      differing++;
      process.stdout.write(`seed ${seed}: traces differ (${c.result.traceHash} vs ${b.result.traceHash})\n`);
    }
  }
}
const runs = seeds * rounds;
process.stdout.write(
  `${runs} seed runs from ${first}: this checkout ${(ours / runs).toFixed(0)} ms CPU a seed, ${values.other} ${(theirs / runs).toFixed(0)} ms; ratio ${(theirs / ours).toFixed(2)}; seeds with differing traces: ${differing}\n`,
);
process.exit(differing > 0 ? 1 : 0);
