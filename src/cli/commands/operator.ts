import type { Command } from 'commander';
import { hostname } from 'node:os';
import { keepApiConnectionsAlive, loadKubeConfig } from '../../kube/kubeconfig.ts';
import { createLogger } from '../../observability/logger.ts';
import { readControlApiTls } from '../../control-api/tls-files.ts';
import { DEFAULT_TOKEN_AUDIENCE } from '../../control-api/authn.ts';
import { startOperatorProcess } from '../../operator/operator-process.ts';
import { systemClock } from '../../kube/clock.ts';
import { EmbeddedSupervisors, embeddedSupervisorSettings } from '../../supervisor/embedded-supervisors.ts';
import { UsageError } from '../exit-codes.ts';
import type { CliContext } from '../context.ts';
import { processIdentity } from '../../kube/holder-identity.ts';

interface OperatorRunOptions {
  namespaces?: string;
  allNamespaces?: boolean;
  kubeconfig?: string;
  monitoringPort: string;
  bindAddress?: string;
  supervisorArg: string[];
  forceDeletionAfter?: string;
  identity?: string;
  apiPort: string;
  apiTlsCert?: string;
  apiTlsKey?: string;
  apiClientCa?: string;
  apiRequireClientCertificate?: boolean;
  apiInsecureHttp?: boolean;
  apiTokenAudience: string[];
  apiTokenAudienceOnly?: boolean;
  embeddedSupervisors?: boolean;
}

export function registerOperatorCommands(program: Command, ctx: CliContext): void {
  const operator = program
    .command('operator')
    .description('the operator: FlinkDeployments, supervisors, control API');
  operator
    .command('run')
    .description('expand FlinkDeployments, run one supervisor per FlinkCluster (leader-elected on a Lease)')
    .option('--namespaces <list>', "comma-separated namespaces to watch (default: the operator's own)")
    .option('--all-namespaces', 'watch every namespace')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else in-cluster)')
    .option('--monitoring-port <port>', 'port of /healthz /readyz /metrics /version', '8080')
    .option('--bind-address <address>', 'bind address (default: $POD_IP, else 0.0.0.0)')
    .option(
      '--supervisor-arg <arg>',
      'extra argument for every supervisor (repeat)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--force-deletion-after <seconds>',
      "force finalizers off a deletion that has not finished after this long (default: from each cluster's taskTimeout: 2 x + 60 s for a FlinkJob, 4 x + 60 s for a FlinkCluster or FlinkDeployment)",
    )
    .option(
      '--embedded-supervisors',
      'fleet mode: run the supervisor of each FlinkCluster in this process (its own Lease, as a supervisor pod has) instead of a supervisor Deployment per cluster',
    )
    .option('--identity <id>', 'leader election identity (default: $POD_NAME, else host-pid)')
    .option('--api-port <port>', 'control REST API port (0: off)', '4444')
    .option('--api-tls-cert <file>', 'PEM certificate of the control API')
    .option('--api-tls-key <file>', 'PEM key of the control API')
    .option(
      '--api-client-ca <file>',
      'CA whose client certificates identify callers (CN: user, O: groups; authorized like tokens)',
    )
    .option(
      '--api-require-client-certificate',
      'refuse connections without a client certificate signed by --api-client-ca (mTLS)',
    )
    .option(
      '--api-token-audience <audience>',
      `audience of the bound tokens the API accepts (repeat for several; default ${DEFAULT_TOKEN_AUDIENCE})`,
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      '--api-token-audience-only',
      'refuse tokens issued for the API server itself: only audience-bound tokens (or client certificates) authenticate',
    )
    .option(
      '--api-insecure-http',
      'serve the API over plain HTTP (tokens are still required); for local use only',
    )
    .action(async (opts: OperatorRunOptions) => {
      const log = createLogger({ name: 'operator', level: ctx.env['LOG_LEVEL'] ?? 'info' });
      const own = ctx.env['POD_NAMESPACE'] ?? 'default';
      if (opts.allNamespaces && opts.namespaces)
        throw new UsageError('give either --namespaces or --all-namespaces');
      const namespaces = opts.allNamespaces
        ? 'all'
        : (opts.namespaces ?? own)
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean);
      const port = Number(opts.monitoringPort);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--monitoring-port must be a port number`);
      const forceAfter = opts.forceDeletionAfter === undefined ? undefined : Number(opts.forceDeletionAfter);
      if (forceAfter !== undefined && !(forceAfter > 0))
        throw new UsageError('--force-deletion-after must be a positive number of seconds');
      const apiPort = Number(opts.apiPort);
      if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535)
        throw new UsageError('--api-port must be a port number');
      if (apiPort > 0 && !opts.apiInsecureHttp && !(opts.apiTlsCert && opts.apiTlsKey)) {
        throw new UsageError(
          'the control API needs --api-tls-cert and --api-tls-key, or --api-insecure-http, or --api-port 0',
        );
      }
      const tls =
        opts.apiTlsCert && opts.apiTlsKey
          ? await readControlApiTls({
              certFile: opts.apiTlsCert,
              keyFile: opts.apiTlsKey,
              ...(opts.apiClientCa ? { clientCaFile: opts.apiClientCa } : {}),
              requireClientCertificate: opts.apiRequireClientCertificate ?? false,
            })
          : undefined;
      const host = opts.bindAddress ?? ctx.env['POD_IP'] ?? '0.0.0.0';
      const kubeConfig = loadKubeConfig(opts.kubeconfig ?? ctx.env['KUBECONFIG']);
      // Fleet mode renews a Lease per cluster every 2 s: reuse connections rather than handshake each time.
      if (opts.embeddedSupervisors) keepApiConnectionsAlive(kubeConfig);
      const identity = opts.identity ?? processIdentity(ctx.env['POD_NAME'] ?? hostname());
      const running = await startOperatorProcess({
        kubeConfig,
        namespaces,
        leaseNamespace: own,
        identity,
        log,
        monitoring: { host, port },
        ...(apiPort > 0
          ? {
              api: {
                host,
                port: apiPort,
                ...(tls ? { tls } : {}),
                ...(opts.apiInsecureHttp ? { insecureHttp: true } : {}),
                ...(opts.apiTokenAudience.length > 0 ? { audiences: opts.apiTokenAudience } : {}),
                acceptApiServerTokens: !opts.apiTokenAudienceOnly,
              },
            }
          : {}),
        supervisorArgs: opts.supervisorArg,
        ...(opts.embeddedSupervisors
          ? {
              embeddedSupervisors: (registry) =>
                new EmbeddedSupervisors({
                  kubeConfig,
                  identity,
                  log: log.child({ component: 'supervisor' }),
                  clock: systemClock,
                  registry,
                  ...embeddedSupervisorSettings(opts.supervisorArg),
                }),
            }
          : {}),
        ...(forceAfter === undefined ? {} : { forceDeletionAfterMs: forceAfter * 1000 }),
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
      await running.shutdown();
      process.exit(0);
    });
}
