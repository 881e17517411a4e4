import { join } from 'node:path';
import { ensureCacheEntry } from '../../src/devenv/cache-entry.ts';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { runCommand } from '../../src/devenv/run-command.ts';

/** Schemathesis (PyPI), the OpenAPI conformance fuzzer; bumping it changes the cache key. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * A Python venv with schemathesis, built once per version into the per-user cache (never the
 * repository). Returns the venv's python: `python -m schemathesis.cli` runs it wherever the venv
 * was renamed to (its console scripts carry the staging path, the interpreter does not).
 */
export async function ensureSchemathesis(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = await ensureCacheEntry({
    cacheDir: defaultCacheDir(env),
    key: `schemathesis-${SCHEMATHESIS_VERSION}`,
    label: `install schemathesis ${SCHEMATHESIS_VERSION} (PyPI) into a venv`,
    progress: consoleProgress((line) => process.stderr.write(`${line}\n`)),
    lockTimeoutMs: 10 * 60 * 1000,
    build: async (staging) => {
      const venv = join(staging, 'venv');
      await runCommand('python3', ['-m', 'venv', venv], { timeoutMs: 120_000 });
      await runCommand(
        join(venv, 'bin', 'python'),
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          `schemathesis==${SCHEMATHESIS_VERSION}`,
        ],
        { timeoutMs: 600_000, logFile: join(staging, 'pip.log') },
      );
    },
  });
  return join(dir, 'venv', 'bin', 'python');
}
