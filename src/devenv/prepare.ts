import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureEtcdBinary, type EtcdBinary } from './etcd-binary.ts';
import {
  ensureFlinkDistribution,
  type ArtifactSources,
  type FlinkDistribution,
} from './flink-distribution.ts';
import { ensureChromium } from './chromium.ts';
import { ensureHelmBinary, HELM_VERSION, type HelmBinary } from './helm-binary.ts';
import { requireJava } from './java-runtime.ts';
import { ensureKubernetesBinaries, type KubernetesBinaries } from './kubernetes-binaries.ts';
import type { Progress } from './progress.ts';
import { ensureVersitygwBinary, type VersitygwBinary } from './versitygw-binary.ts';
import { ETCD_VERSION, FLINK_RELEASES, KUBERNETES_VERSION, VERSITYGW_VERSION } from './versions.ts';

/** Everything the local environment runs, each a real binary or distribution in the per-user cache. */
export interface DevenvAssets {
  readonly cacheDir: string;
  readonly etcd: EtcdBinary;
  readonly kubernetes: KubernetesBinaries;
  /** For the Helm chart tests (lint, template, install). */
  readonly helm: HelmBinary;
  /** The S3-compatible object server Flink state lives in. */
  readonly versitygw: VersitygwBinary;
  /** Keyed by release line (`1.20`, `2.3`). */
  readonly flink: Readonly<Record<string, FlinkDistribution>>;
  readonly chromium: string;
}

export interface PrepareOptions {
  readonly cacheDir: string;
  readonly sources: ArtifactSources;
  readonly progress: Progress;
  /** The environment handed to go, java and tar. */
  readonly env: NodeJS.ProcessEnv;
}

/** `$FLINKVISOR_CACHE_DIR`, else `$XDG_CACHE_HOME/flinkvisor`, else `~/.cache/flinkvisor`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env['FLINKVISOR_CACHE_DIR']) return env['FLINKVISOR_CACHE_DIR'];
  return join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'flinkvisor');
}

export async function prepareDevenv(options: PrepareOptions): Promise<DevenvAssets> {
  const { cacheDir, progress, env, sources } = options;
  await requireJava(env);
  // Downloads overlap the Go builds; the Go builds run one after the other, since each uses both cores.
  const builds = (async () => {
    const etcd = await ensureEtcdBinary(cacheDir, ETCD_VERSION, progress, env);
    const kubernetes = await ensureKubernetesBinaries(cacheDir, KUBERNETES_VERSION, progress, env);
    const helm = await ensureHelmBinary(cacheDir, HELM_VERSION, progress, env);
    const versitygw = await ensureVersitygwBinary(cacheDir, VERSITYGW_VERSION, progress, env);
    return { etcd, kubernetes, helm, versitygw };
  })();
  const downloads = Promise.all(
    FLINK_RELEASES.map((r) => ensureFlinkDistribution(cacheDir, r, sources, progress)),
  );
  const [{ etcd, kubernetes, helm, versitygw }, flinks, chromium] = await Promise.all([
    builds,
    downloads,
    ensureChromium(progress, env),
  ]);
  return {
    cacheDir,
    etcd,
    kubernetes,
    helm,
    versitygw,
    flink: Object.fromEntries(flinks.map((f) => [f.release.line, f])),
    chromium,
  };
}
