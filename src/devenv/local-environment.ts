import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { DEFAULT_ARTIFACT_SOURCES, type ArtifactSources } from './flink-distribution.ts';
import { startNodeAgent, type NodeAgentHandle } from './node-agent-process.ts';
import { startObjectStore, type ObjectStore } from './object-store.ts';
import { prepareDevenv, type DevenvAssets } from './prepare.ts';
import type { Progress } from './progress.ts';

/**
 * The whole local environment: cached assets, a control plane, a node agent and an S3-compatible
 * object store for Flink state, stopped together.
 */
export interface LocalEnvironment {
  readonly dir: string;
  readonly assets: DevenvAssets;
  readonly controlPlane: ControlPlane;
  readonly nodeAgent: NodeAgentHandle;
  readonly objectStore: ObjectStore;
  /** Stops every process, then removes the environment's directory (unless keepDir). */
  stop(): Promise<void>;
}

export interface LocalEnvironmentOptions {
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly progress: Progress;
  readonly sources?: ArtifactSources;
  readonly baseDir?: string;
  /** Keep the environment's directory (logs, etcd data) after stop, for debugging (default: removed). */
  readonly keepDir?: boolean;
}

export async function startLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const assets = await prepareDevenv({
    cacheDir: options.cacheDir,
    env: options.env,
    progress: options.progress,
    sources: options.sources ?? DEFAULT_ARTIFACT_SOURCES,
  });
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'flinkvisor-env-'));
  const controlPlane = await startControlPlane({
    assets,
    baseDir: dir,
    progress: options.progress,
    keepDir: true,
  });
  let nodeAgent: NodeAgentHandle;
  let objectStore: ObjectStore;
  try {
    objectStore = await startObjectStore({
      binary: assets.versitygw,
      dir: join(dir, 's3'),
      progress: options.progress,
    });
  } catch (err) {
    await controlPlane.stop();
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  try {
    nodeAgent = await startNodeAgent({
      controlPlane,
      dir: join(dir, 'node'),
      cacheDir: options.cacheDir,
      env: options.env,
      progress: options.progress,
    });
  } catch (err) {
    await objectStore.stop();
    await controlPlane.stop();
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    assets,
    controlPlane,
    nodeAgent,
    objectStore,
    stop: async () => {
      await nodeAgent.stop();
      await objectStore.stop();
      await controlPlane.stop();
      if (!options.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
