import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDistributionConfig, renderConfig, type FlinkConfig } from './flink-config.ts';
import type { FlinkDistribution } from './flink-distribution.ts';
import { ManagedProcess } from './managed-process.ts';
import { silentProgress, type Progress } from './progress.ts';
import { waitFor } from './wait-for.ts';

export interface FlinkSessionClusterOptions {
  readonly distribution: FlinkDistribution;
  /** A loopback address of its own, e.g. 127.0.0.2: clusters side by side use the same ports. */
  readonly address: string;
  readonly taskManagers?: number;
  readonly slotsPerTaskManager?: number;
  readonly restPort?: number;
  readonly baseDir?: string;
  /** Extra Flink configuration, applied last. */
  readonly config?: FlinkConfig;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
  readonly startTimeoutMs?: number;
  readonly keepDir?: boolean;
}

export interface FlinkSessionCluster {
  readonly address: string;
  readonly restUrl: string;
  readonly dir: string;
  readonly savepointDir: string;
  readonly checkpointDir: string;
  readonly logDir: string;
  readonly jobManager: ManagedProcess;
  readonly taskManagers: readonly ManagedProcess[];
  stop(): Promise<void>;
}

interface Overview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
}

/** The configuration of one session cluster bound to its own loopback address. */
export function sessionClusterConfig(
  base: FlinkConfig,
  o: { address: string; restPort: number; slots: number; dir: string },
): FlinkConfig {
  return {
    'env.java.opts.all': base['env.java.opts.all'] ?? '',
    'jobmanager.rpc.address': o.address,
    'jobmanager.bind-host': o.address,
    'jobmanager.rpc.port': 6123,
    'jobmanager.memory.process.size': '1024m',
    'rest.address': o.address,
    'rest.bind-address': o.address,
    'rest.port': o.restPort,
    'blob.server.port': '0',
    'taskmanager.host': o.address,
    'taskmanager.bind-host': o.address,
    'taskmanager.rpc.port': '0',
    'taskmanager.numberOfTaskSlots': o.slots,
    'taskmanager.memory.process.size': '1280m',
    'taskmanager.memory.managed.size': '64m',
    'parallelism.default': 1,
    'io.tmp.dirs': join(o.dir, 'tmp'),
    'web.upload.dir': join(o.dir, 'upload'),
    'execution.checkpointing.savepoint-dir': `file://${join(o.dir, 'savepoints')}`,
    'execution.checkpointing.dir': `file://${join(o.dir, 'checkpoints')}`,
    'web.submit.enable': true,
    'web.cancel.enable': true,
  };
}

/**
 * A real Flink session cluster (JobManager + TaskManagers) from the cached distribution, started
 * with its own bin/ scripts, with config, logs, tmp and savepoint directories of its own.
 */
export async function startFlinkSessionCluster(
  options: FlinkSessionClusterOptions,
): Promise<FlinkSessionCluster> {
  const progress = options.progress ?? silentProgress;
  const restPort = options.restPort ?? 8081;
  const slots = options.slotsPerTaskManager ?? 2;
  const count = options.taskManagers ?? 1;
  const home = options.distribution.home;
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), `flink-${options.address}-`));
  const conf = join(dir, 'conf');
  const logDir = join(dir, 'log');
  for (const d of [
    conf,
    logDir,
    join(dir, 'tmp'),
    join(dir, 'upload'),
    join(dir, 'savepoints'),
    join(dir, 'checkpoints'),
    join(dir, 'pid'),
  ]) {
    await mkdir(d, { recursive: true });
  }
  const base = await readDistributionConfig(home);
  // The JobManager's jar-run handler uploads a job's files to its own BlobServer through `localhost`;
  // the BlobServer listens on the cluster's address only (jobmanager.bind-host), so the JVMs get a
  // hosts file in which localhost is that address, as inside a pod of its own.
  const hostsFile = join(dir, 'hosts');
  await writeFile(hostsFile, `${options.address} localhost ${hostname()}\n`);
  const config = {
    ...sessionClusterConfig(base, { address: options.address, restPort, slots, dir }),
    'env.java.opts.jobmanager': `-Djdk.net.hosts.file=${hostsFile}`,
    ...options.config,
  };
  await writeFile(join(conf, 'config.yaml'), renderConfig(config));
  for (const f of ['log4j-console.properties', 'logback-console.xml']) {
    await copyFile(join(home, 'conf', f), join(conf, f));
  }
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    FLINK_HOME: home,
    FLINK_CONF_DIR: conf,
    FLINK_LOG_DIR: logDir,
    FLINK_PID_DIR: join(dir, 'pid'),
  };
  const restUrl = `http://${options.address}:${restPort}`;
  const taskManagers: ManagedProcess[] = [];
  const jobManager = ManagedProcess.start({
    name: `jobmanager@${options.address}`,
    command: join(home, 'bin', 'jobmanager.sh'),
    args: ['start-foreground'],
    env,
    logFile: join(logDir, 'jobmanager.out'),
  });
  const stop = async () => {
    await Promise.all([...taskManagers, jobManager].map((p) => p.stop(10_000)));
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      taskManagers.push(
        ManagedProcess.start({
          name: `taskmanager-${i}@${options.address}`,
          command: join(home, 'bin', 'taskmanager.sh'),
          args: ['start-foreground'],
          env,
          logFile: join(logDir, `taskmanager-${i}.out`),
        }),
      );
    }
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    await progress.step(`start Flink ${options.distribution.release.version} at ${restUrl}`, () =>
      waitFor(
        `Flink at ${restUrl} with ${count} TaskManager(s)`,
        async () => {
          const r = await fetch(`${restUrl}/overview`, { signal: AbortSignal.timeout(2000) });
          if (!r.ok) return undefined;
          const o = (await r.json()) as Overview;
          return o.taskmanagers >= count && o['slots-available'] > 0 ? o : undefined;
        },
        {
          timeoutMs,
          intervalMs: 500,
          abortIf: () => {
            const dead = [jobManager, ...taskManagers].find((p) => !p.running);
            return dead
              ? `${dead.name} exited (${JSON.stringify(dead.exitStatus)}); see ${logDir}`
              : undefined;
          },
        },
      ),
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    address: options.address,
    restUrl,
    dir,
    savepointDir: join(dir, 'savepoints'),
    checkpointDir: join(dir, 'checkpoints'),
    logDir,
    jobManager,
    taskManagers,
    stop,
  };
}
