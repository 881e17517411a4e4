import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlane } from './control-plane.ts';
import { ManagedProcess } from './managed-process.ts';
import type { Progress } from './progress.ts';
import { silentProgress } from './progress.ts';
import { httpsGet } from './https-probe.ts';
import { ensureLeanBundles } from './lean-bundles.ts';
import { waitFor } from './wait-for.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface NodeAgentHandle {
  readonly nodeName: string;
  readonly dir: string;
  readonly process: ManagedProcess;
  /** Stops the agent (it ends its pods' processes), then kills any process it left behind. */
  stop(): Promise<void>;
  /** Process groups of pods still running (read from the agent's registry). */
  livePodProcesses(): Promise<number[]>;
}

export interface StartNodeAgentOptions {
  readonly controlPlane: Pick<
    ControlPlane,
    'kubeconfigPath' | 'server' | 'caFile' | 'adminToken' | 'kubeletPki'
  >;
  readonly dir: string;
  readonly nodeName?: string;
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  readonly timeoutMs?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `flinkvisor devenv node-agent` as its own process and waits until its Node is Ready. */
export async function startNodeAgent(options: StartNodeAgentOptions): Promise<NodeAgentHandle> {
  const nodeName = options.nodeName ?? 'flinkvisor-node';
  const progress = options.progress ?? silentProgress;
  await mkdir(options.dir, { recursive: true });
  // Supervisor and operator pods run the lean bundles, as the image's do: rebuilt now if any source changed.
  await progress.step('bundle the supervisor and the operator', () => ensureLeanBundles(PROJECT_ROOT));
  const proc = ManagedProcess.start({
    name: 'node-agent',
    command: process.execPath,
    args: [
      join(PROJECT_ROOT, 'src', 'cli', 'main.ts'),
      'devenv',
      'node-agent',
      '--kubeconfig',
      options.controlPlane.kubeconfigPath,
      '--dir',
      options.dir,
      '--node-name',
      nodeName,
      '--exit-with-parent',
      '--kubelet-serving-cert',
      options.controlPlane.kubeletPki.servingCertFile,
      '--kubelet-serving-key',
      options.controlPlane.kubeletPki.servingKeyFile,
      '--kubelet-client-ca',
      options.controlPlane.kubeletPki.caFile,
      ...(options.cacheDir ? ['--cache-dir', options.cacheDir] : []),
    ],
    env: options.env ?? process.env,
    logFile: join(options.dir, 'node-agent.log'),
  });
  const pidsDir = join(options.dir, 'pids');
  const livePodProcesses = async () => {
    const entries = await readdir(pidsDir).catch(() => [] as string[]);
    return entries.map(Number).filter((pid) => Number.isFinite(pid) && alive(pid));
  };
  const handle: NodeAgentHandle = {
    nodeName,
    dir: options.dir,
    process: proc,
    livePodProcesses,
    stop: async () => {
      await proc.stop(30_000);
      // A crashed or killed agent cannot stop its pods: end what its registry still lists.
      for (const pgid of await livePodProcesses()) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone
        }
        await rm(join(pidsDir, String(pgid)), { force: true });
      }
    },
  };
  try {
    await progress.step(`start node agent ${nodeName}`, () =>
      waitFor(
        `Node ${nodeName} Ready`,
        async () => {
          const ca = await readFile(options.controlPlane.caFile);
          const r = await httpsGet(`${options.controlPlane.server}/api/v1/nodes/${nodeName}`, {
            ca,
            token: options.controlPlane.adminToken,
          });
          if (r.status !== 200) return undefined;
          const node = JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } };
          return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
            ? true
            : undefined;
        },
        {
          timeoutMs: options.timeoutMs ?? 60_000,
          intervalMs: 300,
          abortIf: () => (proc.running ? undefined : `node agent exited; see ${proc.logFile}`),
        },
      ),
    );
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}
