import { CoreV1Api } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_ARTIFACT_SOURCES, type ArtifactSources } from '../../devenv/flink-distribution.ts';
import { PROJECT_ROOT } from '../../devenv/node-agent-process.ts';
import { startLocalEnvironment } from '../../devenv/local-environment.ts';
import { defaultCacheDir, prepareDevenv } from '../../devenv/prepare.ts';
import { consoleProgress, silentProgress } from '../../devenv/progress.ts';
import { KUBERNETES_VERSION } from '../../devenv/versions.ts';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';
import { DEFAULT_IMAGE_MAP } from '../../node-agent/image-resolver.ts';
import { NODE_AGENT_DIR_ANNOTATION } from '../../node-agent/node-registration.ts';
import { NodeAgent } from '../../node-agent/node-agent.ts';
import { createLogger } from '../../observability/logger.ts';
import { UsageError } from '../exit-codes.ts';
import { clockOf, type CliContext } from '../context.ts';

export function artifactSources(env: NodeJS.ProcessEnv): ArtifactSources {
  return {
    pypiIndex: env['FLINKVISOR_PYPI_INDEX'] ?? DEFAULT_ARTIFACT_SOURCES.pypiIndex,
    mavenRepository: env['FLINKVISOR_MAVEN_REPOSITORY'] ?? DEFAULT_ARTIFACT_SOURCES.mavenRepository,
  };
}

function waitForSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

export function registerDevenvCommands(program: Command, ctx: CliContext): void {
  const devenv = program
    .command('devenv')
    .description('the local environment: real Kubernetes and Flink, no containers');

  devenv
    .command('prepare')
    .description('build or fetch etcd, Kubernetes and Flink into the per-user cache (once per version)')
    .option('--cache-dir <dir>', 'cache directory', defaultCacheDir(ctx.env))
    .action(async (opts: { cacheDir: string }) => {
      const progress = consoleProgress((line) => ctx.stdout.write(`${line}\n`));
      const clock = clockOf(ctx);
      const started = clock.now();
      const assets = await prepareDevenv({
        cacheDir: opts.cacheDir,
        progress,
        env: ctx.env,
        sources: artifactSources(ctx.env),
      });
      progress.note(
        `ready in ${((clock.now() - started) / 1000).toFixed(1)}s: etcd ${assets.etcd.version}, Kubernetes ${assets.kubernetes.version}, Flink ${Object.values(
          assets.flink,
        )
          .map((f) => f.release.version)
          .join(
            ' and ',
          )}, helm ${assets.helm.version}, Chromium ${assets.chromium} (cache ${assets.cacheDir})`,
      );
    });

  devenv
    .command('up')
    .description('start a control plane and a node agent, print how to reach them, run until Ctrl-C')
    .option('--cache-dir <dir>', 'cache directory', defaultCacheDir(ctx.env))
    .option('--dir <dir>', 'parent directory for the environment (default: a new temporary directory)')
    .action(async (opts: { cacheDir: string; dir?: string }) => {
      const progress = consoleProgress((line) => ctx.stdout.write(`${line}\n`));
      const env = await startLocalEnvironment({
        cacheDir: opts.cacheDir,
        env: ctx.env,
        progress,
        ...(opts.dir ? { baseDir: opts.dir } : {}),
      });
      ctx.stdout.write(
        `\nexport KUBECONFIG=${env.controlPlane.kubeconfigPath}\nkubectl: ${env.assets.kubernetes.paths.kubectl}\nnode agent: ${env.nodeAgent.dir}\n`,
      );
      await waitForSignal();
      await env.stop();
    });

  devenv
    .command('node-agent')
    .description('run the node agent: a kubelet that runs the pods bound to its Node as local processes')
    .requiredOption('--kubeconfig <file>', 'kubeconfig with node-agent (admin) rights')
    .requiredOption('--dir <dir>', 'directory for pods, logs, hosts files and shared volumes')
    .option('--node-name <name>', 'Node name', 'flinkvisor-node')
    .option('--cache-dir <dir>', 'cache directory', defaultCacheDir(ctx.env))
    .option('--flink-image <image=line...>', 'extra image to Flink line mappings, e.g. my/flink:7=1.20', [])
    .option('--exit-with-parent', 'stop every pod and exit when the process that started the agent is gone')
    .option(
      '--kubelet-serving-cert <file>',
      'serve the kubelet API (container logs, for `kubectl logs`) on 127.0.0.1 with this certificate',
    )
    .option('--kubelet-serving-key <file>', 'the key of --kubelet-serving-cert')
    .option(
      '--kubelet-client-ca <file>',
      "CA of the API server's client certificate (the only accepted client)",
    )
    .action(
      async (opts: {
        kubeconfig: string;
        dir: string;
        nodeName: string;
        cacheDir: string;
        flinkImage: string[];
        exitWithParent?: boolean;
        kubeletServingCert?: string;
        kubeletServingKey?: string;
        kubeletClientCa?: string;
      }) => {
        const log = createLogger({ name: 'node-agent', level: ctx.env['LOG_LEVEL'] ?? 'info' });
        const assets = await prepareDevenv({
          cacheDir: opts.cacheDir,
          progress: silentProgress,
          env: ctx.env,
          sources: artifactSources(ctx.env),
        });
        const kc = loadKubeConfig(opts.kubeconfig);
        const cluster = kc.getCurrentCluster();
        if (!cluster?.server || !cluster.caFile)
          throw new UsageError('the kubeconfig must name a server and a certificate-authority file');
        const flinkImages: Record<string, string> = {};
        for (const m of opts.flinkImage) {
          const [image, line] = m.split('=');
          if (!image || !line) throw new UsageError(`--flink-image expects image=line, got ${m}`);
          flinkImages[image] = line;
        }
        const tlsFiles = [opts.kubeletServingCert, opts.kubeletServingKey, opts.kubeletClientCa];
        if (tlsFiles.some((f) => f !== undefined) && !tlsFiles.every((f) => f !== undefined))
          throw new UsageError(
            '--kubelet-serving-cert, --kubelet-serving-key and --kubelet-client-ca go together',
          );
        const kubeletApi =
          opts.kubeletServingCert && opts.kubeletServingKey && opts.kubeletClientCa
            ? {
                cert: await readFile(opts.kubeletServingCert),
                key: await readFile(opts.kubeletServingKey),
                clientCa: await readFile(opts.kubeletClientCa),
              }
            : undefined;
        const pick = (k: string) => (ctx.env[k] !== undefined ? { [k]: ctx.env[k] as string } : {});
        const agent = new NodeAgent({
          kubeConfig: kc,
          nodeName: opts.nodeName,
          dir: opts.dir,
          apiServer: cluster.server,
          caFile: cluster.caFile,
          imageMap: { ...DEFAULT_IMAGE_MAP, flinkImages, flinkLines: Object.keys(assets.flink) },
          flinkHomes: Object.fromEntries(Object.entries(assets.flink).map(([line, d]) => [line, d.home])),
          nodeBinary: process.execPath,
          projectRoot: PROJECT_ROOT,
          baseEnv: {
            PATH: ctx.env['PATH'] ?? '/usr/bin:/bin',
            LANG: ctx.env['LANG'] ?? 'C.UTF-8',
            ...pick('JAVA_HOME'),
            ...pick('TZ'),
          },
          kubeletVersion: `v${KUBERNETES_VERSION}`,
          ...(kubeletApi ? { kubeletApi } : {}),
          log: (message, fields) => log.info(fields ?? {}, message),
        });
        await agent.start();
        const parent = process.ppid;
        let parentWatch: NodeJS.Timeout | undefined;
        await Promise.race([
          waitForSignal(),
          // A harness killed with SIGKILL cannot stop us: notice it, so no pod process outlives it.
          ...(opts.exitWithParent
            ? [
                new Promise<void>((resolve) => {
                  parentWatch = setInterval(() => {
                    if (process.ppid !== parent) resolve();
                  }, 1000);
                }),
              ]
            : []),
        ]);
        // Left running after a signal, the watch kept the process alive past its stop until the
        // harness's 30 s kill: every e2e file's teardown waited those 30 s.
        clearInterval(parentWatch);
        log.info('stopping: ending every pod process');
        await agent.stop();
      },
    );

  devenv
    .command('logs')
    .description("print a pod's container log (written by the node agent)")
    .argument('<pod>', 'pod name')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-c, --container <name>', 'container (default: the first)')
    .option('--kubeconfig <file>', 'kubeconfig', ctx.env['KUBECONFIG'])
    .action(async (podName: string, opts: { namespace: string; container?: string; kubeconfig?: string }) => {
      const kc = loadKubeConfig(opts.kubeconfig);
      const core = kc.makeApiClient(CoreV1Api);
      const pod = await core.readNamespacedPod({ name: podName, namespace: opts.namespace });
      const nodeName = pod.spec?.nodeName;
      if (!nodeName) throw new UsageError(`pod ${opts.namespace}/${podName} is not bound to a node yet`);
      const node = await core.readNode({ name: nodeName });
      const dir = node.metadata?.annotations?.[NODE_AGENT_DIR_ANNOTATION];
      if (!dir) throw new UsageError(`node ${nodeName} is not run by a flinkvisor node agent`);
      const container = opts.container ?? pod.spec?.containers[0]?.name ?? '';
      const file = join(dir, 'pods', `${opts.namespace}_${podName}_${pod.metadata?.uid}`, `${container}.log`);
      ctx.stdout.write(await readFile(file, 'utf8'));
    });
}
