// The one switch for the Flink line the lifecycle e2e files (and the autoscaler's load test) run
// on: FLINKVISOR_E2E_FLINK=1.20|2.3 (default 1.20). Everything a lifecycle file needs that depends on the line (image, example jar
// path inside the Flinkvisor image, the version Flink reports) comes from here, so a file never
// hard-codes a line. Files that test both lines on purpose (S3 state, JobManager HA, the REST
// client) pick their line explicitly instead.
import { FLINK_RELEASES, type FlinkExampleJob } from '../../src/devenv/versions.ts';
import { FLINK_LINES, type FlinkLine } from './flink-cluster.ts';

export const E2E_FLINK_ENV = 'FLINKVISOR_E2E_FLINK';
export const DEFAULT_E2E_FLINK_LINE: FlinkLine = '1.20';

export interface E2eFlink {
  readonly line: FlinkLine;
  /** The version Flink reports (`/config` flink-version, `/overview`), e.g. `1.20.5`. */
  readonly version: string;
  /** The Flink image of the JobManager and TaskManagers, e.g. `flink:1.20`. */
  readonly image: string;
  /** Where the Flinkvisor image carries the line's example jobs (the bootstrap's jarPath). */
  jarPath(job?: FlinkExampleJob): string;
}

/** The line a value of the switch names; unset or empty is the default, anything else unknown is an error. */
export function parseE2eFlinkLine(value: string | undefined): FlinkLine {
  const v = value?.trim() ?? '';
  if (v === '') return DEFAULT_E2E_FLINK_LINE;
  const line = FLINK_LINES.find((l) => l === v);
  if (!line) {
    throw new Error(
      `${E2E_FLINK_ENV}=${JSON.stringify(value)} is not a Flink line the e2e tests run; use one of ${FLINK_LINES.join(', ')} (default ${DEFAULT_E2E_FLINK_LINE})`,
    );
  }
  return line;
}

/** Where the Flinkvisor image carries a line's example jobs (the node agent mounts them there). */
export function exampleJarPath(line: string, job: FlinkExampleJob = 'TopSpeedWindowing'): string {
  return `/opt/flinkvisor/examples/${line}/${job}.jar`;
}

export function e2eFlinkFor(line: FlinkLine): E2eFlink {
  const release = FLINK_RELEASES.find((r) => r.line === line);
  if (!release) throw new Error(`Flink line ${line} has no release in src/devenv/versions.ts`);
  return {
    line,
    version: release.version,
    image: `flink:${line}`,
    jarPath: (job) => exampleJarPath(line, job),
  };
}

/** The Flink line of this e2e run, from FLINKVISOR_E2E_FLINK. */
export function e2eFlink(env: NodeJS.ProcessEnv = process.env): E2eFlink {
  return e2eFlinkFor(parseE2eFlinkLine(env[E2E_FLINK_ENV]));
}
