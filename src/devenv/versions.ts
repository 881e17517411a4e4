/**
 * The exact versions of every real component the local environment runs.
 * Bumping a version here changes its cache key, so the next `devenv prepare` builds or fetches it anew.
 */
export const KUBERNETES_VERSION = '1.35.4';
export const ETCD_VERSION = '3.6.16';
/** The S3-compatible object server (Apache-2.0; POSIX backend), built from the Go module proxy. */
export const VERSITYGW_VERSION = '1.8.0';

export interface FlinkRelease {
  /** Short name used by tests and the node agent's image map, e.g. `1.20`. */
  readonly line: string;
  /** The complete distribution, from PyPI's apache-flink + apache-flink-libraries. */
  readonly version: string;
  /** The streaming example jars on Maven Central (not every patch release publishes them). */
  readonly examplesVersion: string;
  /**
   * Flink's S3 file system plugin (flink-s3-fs-hadoop) from Maven Central. The official image ships it
   * in opt/ at the runtime's version; Maven Central serves fewer patch releases than PyPI, so the
   * 1.20 line uses the 1.20.1 plugin (same file system API within a minor line).
   */
  readonly s3PluginVersion: string;
}

export const FLINK_RELEASES: readonly FlinkRelease[] = [
  { line: '1.20', version: '1.20.5', examplesVersion: '1.20.0', s3PluginVersion: '1.20.1' },
  { line: '2.3', version: '2.3.0', examplesVersion: '2.3.0', s3PluginVersion: '2.3.0' },
];

export const FLINK_EXAMPLE_JOBS = ['TopSpeedWindowing', 'WordCount'] as const;
export type FlinkExampleJob = (typeof FLINK_EXAMPLE_JOBS)[number];

export function flinkRelease(line: string): FlinkRelease {
  const found = FLINK_RELEASES.find((r) => r.line === line || r.version === line);
  if (!found) {
    throw new Error(
      `unknown Flink release "${line}"; known: ${FLINK_RELEASES.map((r) => `${r.line} (${r.version})`).join(', ')}`,
    );
  }
  return found;
}
