import { join } from 'node:path';
import { runCommand, ToolMissingError } from './run-command.ts';

export const MINIMUM_JAVA = 17;

export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first;
}

/** The `java` that Flink's scripts will pick: $JAVA_HOME/bin/java, else the one on PATH. */
export async function requireJava(env: NodeJS.ProcessEnv): Promise<{ java: string; major: number }> {
  const java = env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin', 'java') : 'java';
  let output: string;
  try {
    const r = await runCommand(java, ['-version'], { env });
    output = `${r.stderr}${r.stdout}`;
  } catch (err) {
    if (err instanceof ToolMissingError) {
      throw new ToolMissingError(
        `Java ${MINIMUM_JAVA} or newer is needed to run Flink, and "${java}" was not found`,
      );
    }
    throw err;
  }
  const major = parseJavaMajor(output);
  if (major === undefined || major < MINIMUM_JAVA) {
    throw new ToolMissingError(
      `Java ${MINIMUM_JAVA} or newer is needed to run Flink; found: ${output.split('\n')[0]}`,
    );
  }
  return { java, major };
}
