import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readDistributionConfig, renderConfig } from '../devenv/flink-config.ts';
import { planFlinkEntrypoint } from './flink-entrypoint.ts';
import type { ImageRuntime } from './image-resolver.ts';
import type { PodIdentity } from './service-account-identity.ts';
import { rewritePath, rewritePathsIn, type MountMapping } from './volume-paths.ts';

/** How to start one container as a local process. */
export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
}

export interface LaunchContext {
  readonly pod: V1Pod;
  readonly container: V1Container;
  readonly runtime: Exclude<ImageRuntime, { kind: 'unsupported' }>;
  /** The container's own directory (conf, logs, home). */
  readonly containerDir: string;
  readonly podIp: string;
  readonly mounts: readonly MountMapping[];
  /** Resolved container environment (env + envFrom). */
  readonly env: Readonly<Record<string, string>>;
  /** Environment every process gets (PATH, JAVA_HOME, LANG ...). */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly hostsFile: string;
  /** The pod's ServiceAccount identity; undefined when it has no token. */
  readonly identity: PodIdentity | undefined;
  readonly flinkHomes: Readonly<Record<string, string>>;
  readonly nodeBinary: string;
  readonly projectRoot: string;
}

/** Paths the official Flink image has, mapped onto the local distribution and the container's own dirs. */
function flinkImageMounts(home: string, containerDir: string): MountMapping[] {
  return [
    { mountPath: '/opt/flink/conf', hostPath: join(containerDir, 'conf'), readOnly: false },
    { mountPath: '/opt/flink/log', hostPath: join(containerDir, 'log'), readOnly: false },
    { mountPath: '/opt/flink/plugins', hostPath: join(containerDir, 'plugins'), readOnly: false },
    { mountPath: '/opt/flink', hostPath: home, readOnly: true },
  ];
}

async function preparePlugins(home: string, dir: string, enable: readonly string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of await readdir(join(home, 'plugins'))) {
    await symlink(join(home, 'plugins', entry), join(dir, entry)).catch(() => undefined);
  }
  for (const jar of enable) {
    const name = basename(jar, '.jar');
    await mkdir(join(dir, name), { recursive: true });
    await copyFile(join(home, 'opt', basename(jar)), join(dir, name, basename(jar)));
  }
}

export async function planLaunch(ctx: LaunchContext): Promise<LaunchPlan> {
  const { container, runtime } = ctx;
  const mounts = [...ctx.mounts];
  const rewrite = (v: string) => rewritePathsIn(v, mounts);
  const userEnv = Object.fromEntries(Object.entries(ctx.env).map(([k, v]) => [k, rewrite(v)]));
  const env: Record<string, string> = {
    ...ctx.baseEnv,
    HOSTNAME: ctx.pod.metadata?.name ?? 'pod',
    HOME: ctx.containerDir,
    FLINKVISOR_HOSTS_FILE: ctx.hostsFile,
    FLINKVISOR_POD_IP: ctx.podIp,
    // The kubelet's in-cluster variables first, so a container's own env can still override them.
    ...(ctx.identity ? { ...ctx.identity.env, KUBECONFIG: ctx.identity.kubeconfig } : {}),
    ...userEnv,
  };
  const cwd = container.workingDir ? rewritePath(container.workingDir, mounts) : ctx.containerDir;
  const command = container.command ?? [];
  const args = container.args ?? [];

  if (runtime.kind === 'flink') {
    const home = ctx.flinkHomes[runtime.line];
    if (!home) throw new Error(`no Flink ${runtime.line} distribution`);
    mounts.push(...flinkImageMounts(home, ctx.containerDir));
    const conf = join(ctx.containerDir, 'conf');
    const log = join(ctx.containerDir, 'log');
    await mkdir(conf, { recursive: true });
    await mkdir(log, { recursive: true });
    const entry = command.length === 0 || /docker-entrypoint(\.sh)?$/.test(command[0] ?? '');
    const entryArgs = entry ? [...command.slice(1), ...args] : args;
    const plan = planFlinkEntrypoint({
      args: entryArgs,
      env: userEnv,
      distributionConfig: await readDistributionConfig(home),
      podIp: ctx.podIp,
    });
    const config = Object.fromEntries(
      Object.entries(plan.config).map(([k, v]) => [k, typeof v === 'string' ? rewritePathsIn(v, mounts) : v]),
    );
    // The JVM resolves names through the pod's hosts file only, with short caches so a restarted
    // JobManager's new address is picked up.
    const dns = `-Djdk.net.hosts.file=${ctx.hostsFile} -Dsun.net.inetaddr.ttl=1 -Dsun.net.inetaddr.negative.ttl=0`;
    config['env.java.opts.all'] = `${String(config['env.java.opts.all'] ?? '')} ${dns}`.trim();
    config['io.tmp.dirs'] ??= join(ctx.containerDir, 'tmp');
    await mkdir(join(ctx.containerDir, 'tmp'), { recursive: true });
    await writeFile(join(conf, 'config.yaml'), renderConfig(config));
    for (const f of ['log4j-console.properties', 'logback-console.xml', 'log4j-cli.properties']) {
      await copyFile(join(home, 'conf', f), join(conf, f)).catch(() => undefined);
    }
    await preparePlugins(home, join(ctx.containerDir, 'plugins'), plan.plugins);
    Object.assign(env, {
      FLINK_HOME: home,
      FLINK_CONF_DIR: conf,
      FLINK_LOG_DIR: log,
      FLINK_PID_DIR: ctx.containerDir,
      FLINK_PLUGINS_DIR: join(ctx.containerDir, 'plugins'),
    });
    if (plan.script) {
      return { command: join(home, 'bin', plan.script), args: plan.args.map(rewrite), env, cwd };
    }
    // Anything else runs as given, with the image's paths mapped (e.g. /opt/flink/bin/flink run ...).
    const [cmd, ...rest] = entry ? plan.args : [...command, ...args];
    if (!cmd) throw new Error('container has neither command nor arguments');
    return { command: rewrite(cmd), args: rest.map((a) => rewritePathsIn(a, mounts)), env, cwd };
  }

  const preload = ['--import', join(ctx.projectRoot, 'src', 'node-agent', 'dns-preload.ts')];
  if (runtime.kind === 'flinkvisor') {
    // The image carries the Flink example jobs at /opt/flinkvisor/examples/<line>/ (as the
    // official Flink image carries /opt/flink/examples): a bootstrap can use them by jarPath.
    for (const [line, home] of Object.entries(ctx.flinkHomes)) {
      mounts.push({
        mountPath: `/opt/flinkvisor/examples/${line}`,
        hostPath: join(home, '..', 'examples'),
        readOnly: true,
      });
    }
    // The image's entrypoint is the flinkvisor CLI; a `command` naming it is the same thing.
    const rest =
      command.length && /(^|\/)flinkvisor(\.js)?$/.test(command[0] ?? '')
        ? [...command.slice(1), ...args]
        : command.length
          ? null
          : args;
    if (rest === null)
      return {
        command: rewrite(command[0] ?? ''),
        args: [...command.slice(1), ...args].map(rewrite),
        env,
        cwd,
      };
    // The image's entrypoint itself: `supervisor run` then runs the lean bundle, as in the image
    // (the local environment builds it before the node agent starts).
    return {
      command: ctx.nodeBinary,
      args: [...preload, join(ctx.projectRoot, 'bin', 'flinkvisor.js'), ...rest.map(rewrite)],
      env,
      cwd,
    };
  }
  // node images: the entrypoint runs `node` with the arguments.
  const argv = command.length ? [...command, ...args] : ['node', ...args];
  const [cmd, ...rest] = argv;
  if (cmd === 'node' || cmd?.endsWith('/node')) {
    return { command: ctx.nodeBinary, args: [...preload, ...rest.map(rewrite)], env, cwd };
  }
  return { command: rewrite(cmd ?? ''), args: rest.map(rewrite), env, cwd };
}
