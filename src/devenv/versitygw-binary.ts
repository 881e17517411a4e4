import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { goWorkspace } from './go-toolchain.ts';
import type { Progress } from './progress.ts';

export interface VersitygwBinary {
  readonly version: string;
  readonly path: string;
}

/**
 * versitygw, the S3-compatible gateway the local environment keeps Flink state in (Apache-2.0, so
 * not MinIO). Its module is a plain `main` package with no replace lines, so a wrapper module
 * requiring the tag builds it exactly as published.
 */
export async function ensureVersitygwBinary(
  cacheDir: string,
  version: string,
  progress: Progress,
  env: NodeJS.ProcessEnv,
): Promise<VersitygwBinary> {
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `versitygw-${version}`,
    label: `build versitygw ${version} (S3-compatible object server) from the Go module proxy`,
    progress,
    build: async (staging) => {
      const ws = await goWorkspace(staging, env);
      await ws.writeGoMod('module local/flinkvisor-versitygw\n\ngo 1.25.0\n');
      await ws.go(['get', `github.com/versity/versitygw@v${version}`]);
      await ws.build(['github.com/versity/versitygw/cmd/versitygw'], {
        ldflags: '-s -w',
        output: join(staging, 'bin', 'versitygw'),
      });
    },
  });
  return { version, path: join(dir, 'bin', 'versitygw') };
}
