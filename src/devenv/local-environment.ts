import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { DEFAULT_ARTIFACT_SOURCES, type ArtifactSources } from './flink-distribution.ts';
import { startNodeAgent, type NodeAgentHandle } from './node-agent-process.ts';
import { prepareDevenv, type DevenvAssets } from './prepare.ts';
import type { Progress } from './progress.ts';

/** The whole local environment: cached assets, a control plane and a node agent, stopped together. */
export interface LocalEnvironment {
  readonly dir: string;
  readonly assets: DevenvAssets;
  readonly controlPlane: ControlPlane;
  readonly nodeAgent: NodeAgentHandle;
  stop(): Promise<void>;
}

export interface LocalEnvironmentOptions {
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly progress: Progress;
  readonly sources?: ArtifactSources;
  readonly baseDir?: string;
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
  try {
    nodeAgent = await startNodeAgent({
      controlPlane,
      dir: join(dir, 'node'),
      cacheDir: options.cacheDir,
      env: options.env,
      progress: options.progress,
    });
  } catch (err) {
    await controlPlane.stop();
    throw err;
  }
  return {
    dir,
    assets,
    controlPlane,
    nodeAgent,
    stop: async () => {
      await nodeAgent.stop();
      await controlPlane.stop();
    },
  };
}
