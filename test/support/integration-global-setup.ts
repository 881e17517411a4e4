import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane } from '../../src/devenv/control-plane.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { devenvAssets } from './devenv.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: { kubeconfigPath: string; server: string; caFile: string; adminToken: string; dir: string };
  }
}

let controlPlane: ControlPlane | undefined;

export async function setup(project: TestProject): Promise<void> {
  const assets = await devenvAssets();
  controlPlane = await startControlPlane({
    assets,
    progress: consoleProgress((line) => process.stderr.write(`${line}\n`)),
  });
  project.provide('controlPlane', {
    kubeconfigPath: controlPlane.kubeconfigPath,
    server: controlPlane.server,
    caFile: controlPlane.caFile,
    adminToken: controlPlane.adminToken,
    dir: controlPlane.dir,
  });
}

export async function teardown(): Promise<void> {
  await controlPlane?.stop();
}
