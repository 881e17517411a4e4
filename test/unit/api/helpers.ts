import type { FlinkClusterSpec } from '../../../src/api/flink-cluster.ts';
import { safeParseFlinkClusterSpec } from '../../../src/api/parse.ts';

export function parseFlinkClusterSpecOrThrow(value: unknown): FlinkClusterSpec {
  const result = safeParseFlinkClusterSpec(value);
  if (!result.ok) throw result.error;
  return result.value;
}
