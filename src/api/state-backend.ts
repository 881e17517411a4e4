import { z } from 'zod';
import { withRules } from './cel-rules.ts';

// The state backend of a cluster as one setting: spec.stateBackend {type, incremental} becomes
// Flink's state.backend.type and execution.checkpointing.incremental. Both keys are the current
// names on Flink 1.20 and 2.x (state.backend and state.backend.incremental are their deprecated
// aliases). RocksDB needs no plugin: its backend and native library are inside flink-dist.

export const STATE_BACKENDS = ['hashmap', 'rocksdb'] as const;

export const stateBackendSpec = withRules(
  z
    .object({
      type: z
        .enum(STATE_BACKENDS)
        .describe(
          "hashmap: state on the JVM heap (Flink's default); rocksdb: state in embedded RocksDB on the TaskManager's local disk, for state larger than memory (state.backend.type).",
        ),
      incremental: z
        .boolean()
        .exactOptional()
        .describe(
          'Incremental checkpoints (execution.checkpointing.incremental): a checkpoint uploads only the RocksDB files earlier checkpoints did not and shares the rest. Default: true with rocksdb; hashmap has none.',
        ),
    })
    .describe(
      'The state backend: the supervisor derives state.backend.type and execution.checkpointing.incremental (entries set in flinkConfiguration win). Changing it restarts the cluster.',
    ),
  [
    {
      rule: "self.type == 'rocksdb' || !has(self.incremental) || !self.incremental",
      message: 'incremental checkpoints need type rocksdb',
      fieldPath: '.incremental',
      reason: 'FieldValueForbidden',
      check: (s) => s.type === 'rocksdb' || s.incremental !== true,
    },
  ],
);

export type StateBackendSpec = z.infer<typeof stateBackendSpec>;

/**
 * The Flink configuration a state backend setting implies. RocksDB is incremental unless told
 * otherwise: a user who picks it for large state wants checkpoints that do not re-upload it all.
 */
export function stateBackendConfiguration(spec: StateBackendSpec | undefined): Record<string, string> {
  if (!spec) return {};
  if (spec.type !== 'rocksdb') return { 'state.backend.type': spec.type };
  return {
    'state.backend.type': spec.type,
    'execution.checkpointing.incremental': String(spec.incremental ?? true),
  };
}
