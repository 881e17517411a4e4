// The counting job of the upgrade e2e tests (test/fixtures/jobs/counting/CountingJob.java): compiled
// with the machine's JDK against the lib jars of the Flink distribution it runs on, into the
// per-user cache, keyed by the Flink version and a digest of the source (never committed).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCacheEntry } from '../../src/devenv/cache-entry.ts';
import type { FlinkDistribution } from '../../src/devenv/flink-distribution.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import type { Progress } from '../../src/devenv/progress.ts';
import { runCommand, ToolMissingError } from '../../src/devenv/run-command.ts';

export const COUNTING_JOB_SOURCE = join(
  PROJECT_ROOT,
  'test',
  'fixtures',
  'jobs',
  'counting',
  'CountingJob.java',
);
export const COUNTING_JOB_CLASS = 'CountingJob';
const JAR_NAME = 'counting-job.jar';

/** A JDK tool: $JAVA_HOME/bin/<tool>, else the one on PATH. */
function jdkTool(env: NodeJS.ProcessEnv, tool: 'javac' | 'jar'): string {
  return env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin', tool) : tool;
}

/** The path of the counting job's jar for `distribution`, built once per source digest and Flink version. */
export async function countingJobJar(
  distribution: FlinkDistribution,
  cacheDir: string,
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const source = await readFile(COUNTING_JOB_SOURCE);
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const version = distribution.release.version;
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `counting-job-${version}-${digest}`,
    label: `compile the counting job against Flink ${version}`,
    progress,
    build: async (staging) => {
      const classes = join(staging, 'classes');
      const lib = join(distribution.home, 'lib');
      const classpath = (await readdir(lib)).filter((f) => f.endsWith('.jar')).map((f) => join(lib, f));
      try {
        // Java 11 bytecode: the oldest Java either Flink line runs on.
        await runCommand(jdkTool(env, 'javac'), [
          '--release',
          '11',
          '-cp',
          classpath.join(':'),
          '-d',
          classes,
          COUNTING_JOB_SOURCE,
        ]);
        await runCommand(jdkTool(env, 'jar'), [
          '--create',
          '--file',
          join(staging, JAR_NAME),
          '--main-class',
          COUNTING_JOB_CLASS,
          '-C',
          classes,
          '.',
        ]);
      } catch (err) {
        if (err instanceof ToolMissingError) {
          throw new ToolMissingError(
            'a JDK (javac and jar, Java 11 or newer) is needed to compile the counting job of the upgrade tests',
          );
        }
        throw err;
      }
    },
  });
  return join(dir, JAR_NAME);
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
