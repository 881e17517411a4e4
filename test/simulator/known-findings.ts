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

// K2 (a savepoint Flink completed and forgot with a JobManager restart before its answer was
// stored) is fixed: its files are looked for in storage (ADR 0023). Seeds 100043, 100045, 100081.
export const KNOWN_FINDINGS: readonly KnownFinding[] = [];

interface SeedFacts {
  readonly violations: readonly Violation[];
}

/** The known finding each violation is an instance of, or undefined for a new one. */
export function classify(facts: SeedFacts): { violation: Violation; known: string | undefined }[] {
  return facts.violations.map((v) => {
    const known = (() => {
      switch (v.invariant) {
        // K1 (a request stamped by a clock behind the previous stamp, cleared unanswered) and K3 (a
        // superseded request whose answer the newer one overwrote in the same step) are fixed: an
        // unanswered request is new, with or without clock skew. K4 (a clock stepped back leaving
        // the machines deaf until it caught up) and K7 (deadlines set before the step passing
        // late) are fixed: a seed that does not converge is new.
        // K2 (a savepoint Flink forgot with a JobManager restart) is fixed: any savepoint-not-lost is new.
        // K5, K8 (observedGeneration going back), K6 (a savepoint triggered under a new id while an
        // abandoned one was still in progress at Flink), K9 (a write loop) and K10 (a savepoint
        // without a record) are fixed: any such violation is new.
        default:
          return undefined;
      }
    })();
    return { violation: v, known };
  });
}
