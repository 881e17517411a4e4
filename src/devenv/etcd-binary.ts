import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { goBuildEnv, requireGo } from './go-toolchain.ts';
import type { Progress } from './progress.ts';
import { runCommand } from './run-command.ts';

export interface EtcdBinary {
  readonly version: string;
  readonly path: string;
}

/**
 * etcd's server module is its `main` package; its own go.mod replaces siblings with local paths,
 * but every sibling is published at the same tag, so a wrapper module needs no replace lines.
 */
export async function ensureEtcdBinary(
  cacheDir: string,
  version: string,
  progress: Progress,
  env: NodeJS.ProcessEnv,
): Promise<EtcdBinary> {
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `etcd-${version}`,
    label: `build etcd ${version} from the Go module proxy`,
    progress,
    build: async (staging) => {
      await requireGo(env);
      const buildEnv = goBuildEnv(env);
      const logFile = join(staging, 'build.log');
      const moduleDir = join(staging, 'module');
      await mkdir(moduleDir, { recursive: true });
      await writeFile(join(moduleDir, 'go.mod'), 'module local/flinkvisor-etcd\n\ngo 1.25.0\n');
      await runCommand('go', ['get', `go.etcd.io/etcd/server/v3@v${version}`], {
        cwd: moduleDir,
        env: buildEnv,
        logFile,
      });
      await mkdir(join(staging, 'bin'));
      await runCommand(
        'go',
        [
          'build',
          '-trimpath',
          '-ldflags',
          '-s -w',
          '-o',
          join(staging, 'bin', 'etcd'),
          'go.etcd.io/etcd/server/v3',
        ],
        { cwd: moduleDir, env: buildEnv, logFile },
      );
    },
  });
  return { version, path: join(dir, 'bin', 'etcd') };
}
