import { DEFAULT_ARTIFACT_SOURCES } from '../../src/devenv/flink-distribution.ts';
import { defaultCacheDir, prepareDevenv, type DevenvAssets } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';

let assets: Promise<DevenvAssets> | undefined;

/**
 * The cached binaries and distributions. `npm test` runs `devenv prepare` first, so here this only
 * checks the cache; run alone, a test file still gets everything built (never skipped).
 */
export function devenvAssets(): Promise<DevenvAssets> {
  assets ??= prepareDevenv({
    cacheDir: defaultCacheDir(process.env),
    env: process.env,
    sources: DEFAULT_ARTIFACT_SOURCES,
    progress: consoleProgress((line) => process.stderr.write(`${line}\n`)),
  });
  return assets;
}
