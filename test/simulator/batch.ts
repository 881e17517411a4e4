import { FAULT_KINDS, type FaultKind } from './faults.ts';
import { runSeed, type SeedResult } from './run-seed.ts';
import type { Violation } from './invariants.ts';
import { classify } from './known-findings.ts';

export interface BatchOptions {
  readonly first: number;
  readonly seeds: number;
  readonly faultSteps?: number;
  readonly quietSteps?: number;
  readonly onSeed?: (result: SeedResult, sofar: BatchResult) => void;
  /** Receives every trace line of every seed (`--trace`). */
  readonly trace?: (line: string) => void;
}

export interface BatchResult {
  readonly first: number;
  readonly seeds: number;
  readonly steps: number;
  readonly faults: Record<FaultKind, number>;
  readonly processStarts: number;
  readonly savepoints: number;
  readonly failures: {
    seed: number;
    violations: readonly { violation: Violation; known: string | undefined }[];
    command: string;
  }[];
  readonly leaks: { mathRandom: number; dateNow: number; shortTimers: number; abortTimeouts: number };
}

export function replayCommand(seed: number, faultSteps?: number, quietSteps?: number): string {
  const steps = faultSteps === undefined ? '' : ` --steps ${faultSteps}`;
  const quiet = quietSteps === undefined ? '' : ` --quiet-steps ${quietSteps}`;
  return `npm run simulate -- --seeds 1 --seed ${seed}${steps}${quiet} --verbose`;
}

/** Runs seeds first, first+1, ... one after the other and adds up what they did. */
export async function runBatch(o: BatchOptions): Promise<BatchResult> {
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const result = {
    first: o.first,
    seeds: 0,
    steps: 0,
    faults,
    processStarts: 0,
    savepoints: 0,
    failures: [] as BatchResult['failures'],
    leaks: { mathRandom: 0, dateNow: 0, shortTimers: 0, abortTimeouts: 0 },
  };
  for (let i = 0; i < o.seeds; i++) {
    const seed = (o.first + i) >>> 0;
    const r = await runSeed({
      seed,
      ...(o.faultSteps === undefined ? {} : { faultSteps: o.faultSteps }),
      ...(o.quietSteps === undefined ? {} : { quietSteps: o.quietSteps }),
      ...(o.trace ? { trace: o.trace } : {}),
    });
    result.seeds++;
    result.steps += r.steps;
    result.processStarts += r.processStarts;
    result.savepoints += r.savepointsCompleted;
    for (const k of FAULT_KINDS) faults[k] += r.faults[k];
    result.leaks.mathRandom += r.globalReads.mathRandom;
    result.leaks.dateNow += r.globalReads.dateNow;
    result.leaks.shortTimers += r.globalReads.shortTimers;
    result.leaks.abortTimeouts += r.globalReads.abortTimeouts;
    if (r.violations.length > 0)
      result.failures.push({
        seed,
        violations: classify({
          violations: r.violations,
        }),
        command: replayCommand(seed, o.faultSteps, o.quietSteps),
      });
    o.onSeed?.(r, result);
  }
  return result;
}

export function formatBatch(b: BatchResult, seconds: number): string {
  const total = Object.values(b.faults).reduce((a, c) => a + c, 0);
  const lines = [
    `seeds run: ${b.seeds} (from ${b.first})`,
    `steps: ${b.steps}`,
    `faults injected: ${total} (${FAULT_KINDS.map((k) => `${k} ${b.faults[k]}`).join(', ')})`,
    `supervisor process starts: ${b.processStarts}; savepoints completed: ${b.savepoints}`,
    `reads of the real world moved onto the seed: Math.random ${b.leaks.mathRandom}, Date.now ${b.leaks.dateNow}, short setTimeout ${b.leaks.shortTimers}, AbortSignal.timeout ${b.leaks.abortTimeouts}`,
    `seeds with violations: ${b.failures.length} (${b.failures.filter((f) => f.violations.every((v) => v.known)).length} with known findings only)`,
  ];
  for (const f of b.failures) {
    lines.push(`  seed ${f.seed}: replay with: ${f.command}`);
    for (const { violation: v, known } of f.violations)
      lines.push(
        `    [${v.invariant}]${known ? ` (known ${known})` : ''} at ${(v.at / 1000).toFixed(1)}s: ${v.detail}`,
      );
  }
  lines.push(`wall time: ${seconds.toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
