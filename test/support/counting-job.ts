// The counting job of the upgrade e2e tests (test/fixtures/jobs/counting/CountingJob.java), compiled
// into the per-user cache (java-job.ts), and the lines it prints.
import { join } from 'node:path';
import type { FlinkDistribution } from '../../src/devenv/flink-distribution.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import type { Progress } from '../../src/devenv/progress.ts';
import { javaJobJar } from './java-job.ts';

export const COUNTING_JOB_SOURCE = join(
  PROJECT_ROOT,
  'test',
  'fixtures',
  'jobs',
  'counting',
  'CountingJob.java',
);
export const COUNTING_JOB_CLASS = 'CountingJob';

/** The path of the counting job's jar for `distribution`, built once per source digest and Flink version. */
export async function countingJobJar(
  distribution: FlinkDistribution,
  cacheDir: string,
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return javaJobJar(
    {
      name: 'counting-job',
      source: COUNTING_JOB_SOURCE,
      mainClass: COUNTING_JOB_CLASS,
      purpose: 'the counting job of the upgrade tests',
    },
    distribution,
    cacheDir,
    progress,
    env,
  );
}

/** One line the counting job printed. */
export interface CountLine {
  readonly job: string;
  readonly label: string;
  readonly seq: number;
  readonly count: number;
}

const COUNT_LINE = /flinkvisor-count job=(\w+) label=(\S+) seq=(\d+) count=(\d+)/;

/** The counting job's lines in a TaskManager's output, in order. */
export function parseCountLines(text: string): CountLine[] {
  const out: CountLine[] = [];
  for (const line of text.split('\n')) {
    const m = COUNT_LINE.exec(line);
    if (m) out.push({ job: m[1] ?? '', label: m[2] ?? '', seq: Number(m[3]), count: Number(m[4]) });
  }
  return out;
}
