import type { Violation } from './invariants.ts';

/**
 * Supervisor bugs the simulator found and the lead has yet to fix (docs/reliability.md, "Known
 * findings"). A violation that matches one is still a violation (the CLI exits 1); the CI batch of
 * fresh random seeds fails only on violations that match none, so it guards everything else until
 * these are fixed. Remove an entry with its fix: its seeds must then pass.
 */
export interface KnownFinding {
  readonly id: string;
  readonly title: string;
  /** Seeds that show it (replay: npm run simulate -- --seeds 1 --seed S --verbose). */
  readonly seeds: readonly number[];
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  {
    // The lost trigger answer (seeds 17, 30) is fixed (J.Started.S5): the trigger id is polled.
    // Left: a savepoint that completes after its deadline abandoned it, and a stop-with-savepoint
    // whose answer was lost (seed 1).
    id: 'K2',
    title:
      'a savepoint Flink completed is never recorded: one that completes after its deadline abandoned it, or a stop-with-savepoint whose answer was lost (the lost periodic trigger answer is fixed)',
    seeds: [1],
  },
];

interface SeedFacts {
  readonly violations: readonly Violation[];
  /** How many clock-skew faults the seed injected. */
  readonly skews: number;
}

/** The known finding each violation is an instance of, or undefined for a new one. */
export function classify(facts: SeedFacts): { violation: Violation; known: string | undefined }[] {
  return facts.violations.map((v) => {
    const known = (() => {
      switch (v.invariant) {
        // K1 (a request stamped by a clock behind the previous stamp, cleared unanswered), K3 (a
        // superseded request whose answer the newer one overwrote in the same step) and K4 (a clock
        // stepped back leaving the machines deaf until it caught up) are fixed: an unanswered
        // request or a job that does not converge is new, with or without clock skew.
        case 'savepoint-not-lost':
          return 'K2';
        // K5 (observedGeneration going back) and K6 (a savepoint triggered under a new id while an
        // abandoned one was still in progress at Flink) are fixed: any such violation is new.
        default:
          return undefined;
      }
    })();
    return { violation: v, known };
  });
}
