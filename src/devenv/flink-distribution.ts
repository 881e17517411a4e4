import { access, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { withFileLock } from './file-lock.ts';
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

export function s3PluginJarUrl(sources: ArtifactSources, version: string): string {
  return `${sources.mavenRepository}/org/apache/flink/flink-s3-fs-hadoop/${version}/flink-s3-fs-hadoop-${version}.jar`;
}

/** The jar name the image's opt/ carries, which is what ENABLE_BUILT_IN_PLUGINS names. */
export function s3PluginJarName(release: FlinkRelease): string {
  return `flink-s3-fs-hadoop-${release.version}.jar`;
}

/**
 * The official image carries the S3 file system plugin in opt/ (enabled by naming it in
 * ENABLE_BUILT_IN_PLUGINS); the PyPI packages do not, so it comes from Maven Central into the
 * distribution's opt/ under the runtime's name. Added after the distribution's entry was complete,
 * so a cache prepared before the plugin existed gains it without fetching Flink again; the
 * download appears only by rename, under a lock, so a killed fetch leaves no half jar.
 */
async function ensureS3Plugin(
  cacheDir: string,
  home: string,
  release: FlinkRelease,
  sources: ArtifactSources,
  progress: Progress,
): Promise<void> {
  const target = join(home, 'opt', s3PluginJarName(release));
  const present = () =>
    access(target).then(
      () => true,
      () => false,
    );
  if (await present()) return;
  await mkdir(join(cacheDir, 'locks'), { recursive: true });
  await withFileLock(
    join(cacheDir, 'locks', `flink-${release.version}-s3-plugin.lock`),
    { timeoutMs: 30 * 60_000 },
    async () => {
      if (await present()) return;
      const url = s3PluginJarUrl(sources, release.s3PluginVersion);
      await progress.step(
        `fetch Flink's S3 plugin ${release.s3PluginVersion} (Maven Central) for ${release.version}`,
        async () => {
          const sha1 = (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0] ?? '';
          await downloadFile(url, target, { algorithm: 'sha1', hex: sha1 });
        },
      );
    },
  );
}

/**
 * Flink's Prometheus reporter inside a FLINK_HOME: the distribution (and the official image)
 * ships it enabled in plugins/, at the runtime's own version, so unlike the S3 plugin nothing is
 * fetched for it.
 */
export function prometheusReporterJar(release: FlinkRelease): string {
  return join('plugins', 'metrics-prometheus', `flink-metrics-prometheus-${release.version}.jar`);
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
      // The Prometheus reporter is enabled by configuration alone, as in the official image,
      // because the distribution carries it in plugins/ (RocksDB is inside flink-dist).
      await access(join(home, prometheusReporterJar(release))).catch(() => {
        throw new Error(`the PyPI packages of Flink ${version} carry no ${prometheusReporterJar(release)}`);
      });
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
  await ensureS3Plugin(cacheDir, join(dir, 'home'), release, sources, progress);
  const examples = Object.fromEntries(
    FLINK_EXAMPLE_JOBS.map((j) => [j, join(dir, 'examples', `${j}.jar`)]),
  ) as Record<FlinkExampleJob, string>;
  return { release, home: join(dir, 'home'), examples };
}
