import type { Command } from 'commander';
import { hostname } from 'node:os';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';
import { createLogger } from '../../observability/logger.ts';
import { startSupervisorProcess } from '../../supervisor/supervisor-process.ts';
import type { CliContext } from '../context.ts';
import { processIdentity } from '../../kube/holder-identity.ts';

interface SupervisorRunOptions {
  namespace: string;
  clusterName: string;
  kubeconfig?: string;
  port: string;
  bindAddress?: string;
  flinkUrl?: string;
  pollingInterval?: string;
  identity?: string;
  allowPrivateNetworks?: boolean;
  networkPolicy?: boolean;
  networkPolicyOperatorNamespace?: string;
  networkPolicyScrapeNamespace?: string;
  debugPort: string;
  debugAddress: string;
}

/**
 * `supervisor run`. The lean supervisor entry (src/cli/supervisor-main.ts) registers this command
 * alone, so this module imports nothing of the other commands: bad usage is reported through
 * commander (printed, exit code 2) rather than the CLI's error classes.
 */
export function registerSupervisorCommands(program: Command, ctx: CliContext): void {
  const supervisor = program.command('supervisor').description('the per-cluster supervisor');
  const run = supervisor.command('run');
  const usage = (message: string): never => run.error(message, { exitCode: 2, code: 'flinkvisor.usage' });
  run
    .description('supervise one FlinkCluster and its FlinkJobs (leader-elected on a Lease)')
    .requiredOption('--namespace <ns>', 'namespace of the FlinkCluster')
    .requiredOption('--cluster-name <name>', 'the FlinkCluster')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else in-cluster)')
    .option('--port <port>', 'monitoring port: /healthz /readyz /metrics /version', '8080')
    .option('--bind-address <address>', 'monitoring bind address (default: $POD_IP, else 0.0.0.0)')
    .option('--flink-url <url>', 'Flink REST URL (default: http://jobmanager-<cluster>.<namespace>:8081)')
    .option('--polling-interval <seconds>', 'override spec.supervisor.pollingInterval')
    .option('--identity <id>', 'leader election identity (default: $POD_NAME, else host-pid)')
    .option('--allow-private-networks', 'let bootstrap Jobs download jars from private addresses')
    .option('--network-policy', "render a NetworkPolicy for the cluster's Flink pods (ADR 0018)")
    .option('--network-policy-operator-namespace <ns>', "with --network-policy: may reach Flink's REST port")
    .option('--network-policy-scrape-namespace <ns>', "with --network-policy: may reach Flink's metrics port")
    .option('--debug-port <port>', 'state visualizer port: /debug/ (0: off)', '8090')
    .option(
      '--debug-address <address>',
      'state visualizer bind address (reach it with kubectl port-forward)',
      'localhost',
    )
    .action(async (opts: SupervisorRunOptions) => {
      const log = createLogger({ name: 'supervisor', level: ctx.env['LOG_LEVEL'] ?? 'info' });
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        usage(`--port must be a port number, got ${opts.port}`);
      const debugPort = Number(opts.debugPort);
      if (!Number.isInteger(debugPort) || debugPort < 0 || debugPort > 65535)
        usage(`--debug-port must be a port number, got ${opts.debugPort}`);
      const poll = opts.pollingInterval === undefined ? undefined : Number(opts.pollingInterval);
      if (poll !== undefined && !(poll > 0)) usage(`--polling-interval must be a positive number of seconds`);
      const running = await startSupervisorProcess({
        kubeConfig: loadKubeConfig(opts.kubeconfig ?? ctx.env['KUBECONFIG']),
        namespace: opts.namespace,
        clusterName: opts.clusterName,
        identity: opts.identity ?? processIdentity(ctx.env['POD_NAME'] ?? hostname()),
        log,
        monitoring: { host: opts.bindAddress ?? ctx.env['POD_IP'] ?? '0.0.0.0', port },
        ...(opts.flinkUrl ? { flinkUrl: opts.flinkUrl } : {}),
        ...(poll ? { pollIntervalMs: poll * 1000 } : {}),
        ...(opts.allowPrivateNetworks ? { allowPrivateNetworks: true } : {}),
        ...(opts.networkPolicy
          ? {
              networkPolicy: {
                ...(opts.networkPolicyOperatorNamespace
                  ? { operatorNamespace: opts.networkPolicyOperatorNamespace }
                  : {}),
                ...(opts.networkPolicyScrapeNamespace
                  ? { scrapeNamespace: opts.networkPolicyScrapeNamespace }
                  : {}),
              },
            }
          : {}),
        ...(debugPort > 0 ? { debug: { host: opts.debugAddress, port: debugPort } } : {}),
      });
      const signalled = new Promise<'signal'>((resolve) => {
        process.once('SIGTERM', () => resolve('signal'));
        process.once('SIGINT', () => resolve('signal'));
      });
      const outcome = await Promise.race([running.done, signalled]);
      if (outcome === 'lost') {
        log.error('lost the lease; exiting so that nothing acts without it');
        process.exit(1);
      }
      log.info('shutting down');
      await running.shutdown();
      process.exit(0);
    });
}
