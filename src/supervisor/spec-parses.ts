import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import { safeParseFlinkCluster, safeParseFlinkJob, type ParseResult } from '../api/parse.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';

/**
 * Parse results by the cached object they were parsed from: an informer replaces an object on
 * every change and never edits one, so the same object parses the same, and a pass (every poll
 * interval, and twice a job per pass) need not validate an unchanged spec again.
 */
export class SpecParses {
  readonly #results = new WeakMap<CustomObject, unknown>();

  cluster(raw: CustomObject): ParseResult<FlinkCluster> {
    return this.#parse(raw, safeParseFlinkCluster);
  }

  job(raw: CustomObject): ParseResult<FlinkJob> {
    return this.#parse(raw, safeParseFlinkJob);
  }

  #parse<T extends FlinkCluster | FlinkJob>(
    raw: CustomObject,
    parse: (value: unknown) => ParseResult<T>,
  ): ParseResult<T> {
    const known = this.#results.get(raw) as ParseResult<T> | undefined;
    if (known) return known;
    const result = parse(raw);
    this.#results.set(raw, result);
    return result;
  }
}
