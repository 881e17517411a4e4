import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { downloadFile, DownloadError, fetchText, findInSimpleIndex } from './download.ts';
import type { Progress } from './progress.ts';
import { runCommand } from './run-command.ts';
import { FLINK_EXAMPLE_JOBS, type FlinkExampleJob, type FlinkRelease } from './versions.ts';

export interface FlinkDistribution {
  readonly release: FlinkRelease;
  /** A FLINK_HOME: bin/ conf/ lib/ opt/ plugins/. */
  readonly home: string;
  readonly examples: Readonly<Record<FlinkExampleJob, string>>;
}

export interface ArtifactSources {
  /** PEP 503 simple index, e.g. https://pypi.org/simple */
  readonly pypiIndex: string;
  /** Maven repository root, e.g. https://repo.maven.apache.org/maven2 */
  readonly mavenRepository: string;
}

export const DEFAULT_ARTIFACT_SOURCES: ArtifactSources = {
  pypiIndex: 'https://pypi.org/simple',
  mavenRepository: 'https://repo.maven.apache.org/maven2',
};

async function downloadFromPypi(sources: ArtifactSources, project: string, filename: string, dest: string) {
  const index = await fetchText(`${sources.pypiIndex}/${project}/`);
  const entry = findInSimpleIndex(index, filename);
  if (!entry) throw new DownloadError(`${filename} is not listed in ${sources.pypiIndex}/${project}/`);
  await downloadFile(entry.url, dest, { algorithm: 'sha256', hex: entry.sha256 });
}

export function exampleJarUrl(sources: ArtifactSources, version: string, job: FlinkExampleJob): string {
  const base = `${sources.mavenRepository}/org/apache/flink/flink-examples-streaming/${version}`;
  return `${base}/flink-examples-streaming-${version}-${job}.jar`;
}

/**
 * A complete Flink distribution from PyPI: `apache-flink-libraries` carries lib/ opt/ plugins/
 * (flink-dist included) and `apache-flink` carries bin/ and conf/. Both sdists are plain tarballs,
 * so nothing is built or installed with pip. The example jars come from Maven Central.
 */
export async function ensureFlinkDistribution(
  cacheDir: string,
  release: FlinkRelease,
  sources: ArtifactSources,
  progress: Progress,
): Promise<FlinkDistribution> {
  const { version } = release;
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `flink-${version}`,
    label: `fetch Apache Flink ${version} (PyPI) and example jobs ${release.examplesVersion} (Maven Central)`,
    progress,
    build: async (staging) => {
      const downloads = join(staging, 'downloads');
      await mkdir(downloads, { recursive: true });
      const home = join(staging, 'home');
      await mkdir(home);
      const libs = `apache_flink_libraries-${version}.tar.gz`;
      const scripts = `apache_flink-${version}.tar.gz`;
      await downloadFromPypi(sources, 'apache-flink-libraries', libs, join(downloads, libs));
      await downloadFromPypi(sources, 'apache-flink', scripts, join(downloads, scripts));
      // sdist layout: <name>-<version>/deps/{bin,conf,lib,opt,plugins}
      await runCommand('tar', [
        'xzf',
        join(downloads, libs),
        '-C',
        home,
        '--strip-components=2',
        '--wildcards',
        `apache_flink_libraries-${version}/deps/lib/*`,
        `apache_flink_libraries-${version}/deps/opt/*`,
        `apache_flink_libraries-${version}/deps/plugins/*`,
        `apache_flink_libraries-${version}/deps/bin/*`,
      ]);
      await runCommand('tar', [
        'xzf',
        join(downloads, scripts),
        '-C',
        home,
        '--strip-components=2',
        '--wildcards',
        `apache_flink-${version}/deps/bin/*`,
        `apache_flink-${version}/deps/conf/*`,
      ]);
      const lib = await readdir(join(home, 'lib'));
      if (!lib.some((f) => f.startsWith('flink-dist'))) {
        throw new Error(`the PyPI packages of Flink ${version} carry no flink-dist jar in lib/`);
      }
      const examples = join(staging, 'examples');
      await mkdir(examples);
      for (const job of FLINK_EXAMPLE_JOBS) {
        const url = exampleJarUrl(sources, release.examplesVersion, job);
        const sha1 = (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0] ?? '';
        await downloadFile(url, join(examples, `${job}.jar`), { algorithm: 'sha1', hex: sha1 });
      }
      await runCommand('rm', ['-rf', downloads]);
    },
  });
  const examples = Object.fromEntries(
    FLINK_EXAMPLE_JOBS.map((j) => [j, join(dir, 'examples', `${j}.jar`)]),
  ) as Record<FlinkExampleJob, string>;
  return { release, home: join(dir, 'home'), examples };
}
