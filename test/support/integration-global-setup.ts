import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from '../../src/devenv/control-plane.ts';
import { startNodeAgent, type NodeAgentHandle } from '../../src/devenv/node-agent-process.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { devenvAssets } from './devenv.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: { kubeconfigPath: string; server: string; caFile: string; adminToken: string; dir: string };
    nodeAgent: { nodeName: string; dir: string };
  }
}

let controlPlane: ControlPlane | undefined;
let nodeAgent: NodeAgentHandle | undefined;

/** One real control plane and one node agent for the whole integration project. */
export async function setup(project: TestProject): Promise<void> {
  const progress = consoleProgress((line) => process.stderr.write(`${line}\n`));
  const assets = await devenvAssets();
  controlPlane = await startControlPlane({ assets, progress });
  nodeAgent = await startNodeAgent({
    controlPlane,
    dir: join(await mkdtemp(join(tmpdir(), 'flinkvisor-node-')), 'node'),
    cacheDir: assets.cacheDir,
    progress,
  });
  project.provide('controlPlane', {
    kubeconfigPath: controlPlane.kubeconfigPath,
    server: controlPlane.server,
    caFile: controlPlane.caFile,
    adminToken: controlPlane.adminToken,
    dir: controlPlane.dir,
  });
  project.provide('nodeAgent', { nodeName: nodeAgent.nodeName, dir: nodeAgent.dir });
}

export async function teardown(): Promise<void> {
  await nodeAgent?.stop();
  await controlPlane?.stop();
}
