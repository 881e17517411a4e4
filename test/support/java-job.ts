// A test job from one Java source file (test/fixtures/jobs): compiled with the machine's JDK
// against the lib jars of the Flink distribution it runs on, into the per-user cache, keyed by the
// job's name, the Flink version and a digest of the source (never committed).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCacheEntry } from '../../src/devenv/cache-entry.ts';
import type { FlinkDistribution } from '../../src/devenv/flink-distribution.ts';
import type { Progress } from '../../src/devenv/progress.ts';
import { runCommand, ToolMissingError } from '../../src/devenv/run-command.ts';

export interface JavaJob {
  /** The cache key's and the jar's name: `counting-job`. */
  readonly name: string;
  /** The one source file. */
  readonly source: string;
  /** Its class with `main`, in the default package. */
  readonly mainClass: string;
  /** What needs it, for the message when the JDK is missing. */
  readonly purpose: string;
}

/** A JDK tool: $JAVA_HOME/bin/<tool>, else the one on PATH. */
function jdkTool(env: NodeJS.ProcessEnv, tool: 'javac' | 'jar'): string {
  return env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin', tool) : tool;
}

/** The path of the job's jar for `distribution`, built once per source digest and Flink version. */
export async function javaJobJar(
  job: JavaJob,
  distribution: FlinkDistribution,
  cacheDir: string,
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const source = await readFile(job.source);
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const version = distribution.release.version;
  const jarName = `${job.name}.jar`;
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `${job.name}-${version}-${digest}`,
    label: `compile the ${job.name} against Flink ${version}`,
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
          job.source,
        ]);
        await runCommand(jdkTool(env, 'jar'), [
          '--create',
          '--file',
          join(staging, jarName),
          '--main-class',
          job.mainClass,
          '-C',
          classes,
          '.',
        ]);
      } catch (err) {
        if (err instanceof ToolMissingError) {
          throw new ToolMissingError(
            `a JDK (javac and jar, Java 11 or newer) is needed to compile ${job.purpose}`,
          );
        }
        throw err;
      }
    },
  });
  return join(dir, jarName);
}
