import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { goWorkspace } from './go-toolchain.ts';
import type { Progress } from './progress.ts';

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
      const ws = await goWorkspace(staging, env);
      await ws.writeGoMod('module local/flinkvisor-etcd\n\ngo 1.25.0\n');
      await ws.go(['get', `go.etcd.io/etcd/server/v3@v${version}`]);
      await ws.build(['go.etcd.io/etcd/server/v3'], {
        ldflags: '-s -w',
        output: join(staging, 'bin', 'etcd'),
      });
    },
  });
  return { version, path: join(dir, 'bin', 'etcd') };
}
