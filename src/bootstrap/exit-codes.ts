/**
 * How a bootstrap run ends. The supervisor's bootstrap Job fails at once on a permanent failure
 * (podFailurePolicy on that exit code) and retries the retryable ones (backoffLimit).
 */
export const BOOTSTRAP_EXIT = {
  submitted: 0,
  /** Flink was unreachable, busy or timed out: worth another attempt. */
  retryable: 75,
  /** Bad jar, bad class, bad arguments, refused URL: another attempt cannot help. */
  permanent: 65,
  /** The snapshot to restore has no `_metadata`: never start the job empty instead (docs/upgrades.md). */
  snapshotMissing: 66,
} as const;
