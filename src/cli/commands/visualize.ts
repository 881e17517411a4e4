// `flinkvisor visualize CLUSTER`: find the supervisor that leads the cluster (the holder of its
// Lease is a pod name) and give the user a URL of its state visualizer (src/visualizer/). A pod
// on a loopback address (our local environment: every pod has its own 127.0.0.N) is reached
// directly; anywhere else a port-forward through the API server carries the connections.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { CoreV1Api, PortForward } from '@kubernetes/client-node';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { isNotFound } from '../../kube/errors.ts';
import { keepServingOnSocketErrors } from '../../observability/health-server.ts';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';
import { KubeLeaseStore } from '../../kube/lease-store.ts';
import { canonicalPodAddress, hostUrl } from '../../kube/pod-address.ts';
import type { LeaseRecord } from '../../kube/lease-store.ts';
import { supervisorLeaseName } from '../../supervisor/supervisor-process.ts';
import { DEFAULT_DEBUG_PORT } from '../../visualizer/debug-server.ts';
import { podNameOfIdentity } from '../../kube/holder-identity.ts';
import { UsageError } from '../exit-codes.ts';
import { clockOf, type CliContext } from '../context.ts';

/** Nobody to connect to: no Lease, an expired one, or a holder that is not a running pod. */
export class NoLeadingSupervisorError extends Error {}

/** What the command reads from the cluster (a fake in unit tests). */
export interface SupervisorLookup {
  lease(): Promise<LeaseRecord | undefined>;
  pod(name: string): Promise<V1Pod | undefined>;
}

export interface LeadingSupervisor {
  readonly pod: string;
  readonly podIP: string | undefined;
}

export function kubeSupervisorLookup(kc: KubeConfig, namespace: string, cluster: string): SupervisorLookup {
  const store = new KubeLeaseStore(kc, namespace, supervisorLeaseName(cluster));
  const core = kc.makeApiClient(CoreV1Api);
  return {
    lease: async () => (await store.get())?.record,
    pod: async (name) => {
      try {
        return await core.readNamespacedPod({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  };
}

/** The pod holding the supervisor Lease of `cluster`, if its hold is current and the pod runs. */
export async function findLeadingSupervisor(
  lookup: SupervisorLookup,
  where: { namespace: string; cluster: string },
  now: number,
): Promise<LeadingSupervisor> {
  const lease = await lookup.lease();
  const leaseName = `${where.namespace}/${supervisorLeaseName(where.cluster)}`;
  if (lease === undefined) {
    throw new NoLeadingSupervisorError(
      `no Lease ${leaseName}: is FlinkCluster ${where.cluster} supervised (and is the namespace right)?`,
    );
  }
  if (lease.holderIdentity === '') {
    throw new NoLeadingSupervisorError(`Lease ${leaseName} has no holder: no supervisor leads right now`);
  }
  const expiresAt = lease.renewTime + lease.leaseDurationSeconds * 1000;
  if (expiresAt < now) {
    throw new NoLeadingSupervisorError(
      `Lease ${leaseName} expired at ${new Date(expiresAt).toISOString()} (holder ${lease.holderIdentity}): no supervisor leads right now`,
    );
  }
  // The holder is `<pod>_<process suffix>` (see holder-identity.ts).
  const podName = podNameOfIdentity(lease.holderIdentity);
  const pod = await lookup.pod(podName);
  if (pod === undefined) {
    throw new NoLeadingSupervisorError(
      `the Lease holder "${lease.holderIdentity}" is not a pod in namespace ${where.namespace} (no pod ${podName})`,
    );
  }
  if (pod.status?.phase !== 'Running') {
    throw new NoLeadingSupervisorError(`supervisor pod ${podName} is ${pod.status?.phase ?? 'not running'}`);
  }
  return { pod: podName, podIP: pod.status.podIP };
}

/** 127.0.0.0/8 and ::1 (also IPv4-mapped): addresses this host reaches without a port-forward. */
export function isLoopbackAddress(ip: string | undefined): boolean {
  const address = canonicalPodAddress(ip);
  return address !== undefined && (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === '::1');
}

export function visualizerUrl(host: string, port: number): string {
  return hostUrl('http', host, port, '/debug/');
}

/** Fails with a readable message when nothing answers the visualizer's JSON at `url`. */
export async function checkVisualizer(url: string, timeoutMs = 5000): Promise<void> {
  let response: Response;
  try {
    response = await fetch(new URL('machines', url), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new NoLeadingSupervisorError(
      `nothing answers at ${url} (${err instanceof Error ? err.message : String(err)}): does the supervisor run with --debug-port?`,
    );
  }
  await response.body?.cancel();
  if (!response.ok) throw new NoLeadingSupervisorError(`${url} answered HTTP ${response.status}`);
}

export interface PortForwarding {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** A local listener whose every connection is forwarded to `port` of the pod through the API server. */
export async function startPortForward(
  kc: KubeConfig,
  target: { namespace: string; pod: string; port: number; localPort: number },
  onError: (message: string) => void,
): Promise<PortForwarding> {
  const forward = new PortForward(kc);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    forward
      .portForward(target.namespace, target.pod, [target.port], socket, null, socket)
      .then((connection) => {
        const ws = typeof connection === 'function' ? connection() : connection;
        socket.on('close', () => ws?.close());
      })
      .catch((err: unknown) => {
        onError(`port-forward to ${target.pod}:${target.port} failed: ${String(err)}`);
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(target.localPort, '127.0.0.1', () => resolve());
  });
  // Listening: an accept failure (EMFILE) or a reset browser connection must not end the command.
  keepServingOnSocketErrors(
    server,
    () => ({ debug: () => undefined, warn: (fields, msg) => onError(`${msg}: ${JSON.stringify(fields)}`) }),
    'port-forward',
  );
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function openInBrowser(url: string, ctx: CliContext): void {
  const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
  child.on('error', (err) => ctx.stderr.write(`could not open a browser (${err.message}); open ${url}\n`));
  child.unref();
}

function portOption(value: string, name: string, allowZero: boolean): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new UsageError(`${name} must be a port number, got ${value}`);
  }
  return port;
}

interface VisualizeOptions {
  namespace?: string;
  kubeconfig?: string;
  port: string;
  localPort: string;
  open?: boolean;
}

export function registerVisualizeCommands(program: Command, ctx: CliContext): void {
  program
    .command('visualize')
    .description("show the live state machines of a FlinkCluster's supervisor: prints (or opens) the URL")
    .argument('<cluster>', 'the FlinkCluster')
    .option(
      '-n, --namespace <ns>',
      'namespace of the FlinkCluster (default: the kubeconfig context, else default)',
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else in-cluster)')
    .option(
      '--port <port>',
      'the supervisor debug port (supervisor run --debug-port)',
      String(DEFAULT_DEBUG_PORT),
    )
    .option('--local-port <port>', 'local port of the port-forward (0: any free port)', '0')
    .option('--open', 'open the URL in a browser (xdg-open)')
    .action(async (cluster: string, opts: VisualizeOptions) => {
      const port = portOption(opts.port, '--port', false);
      const localPort = portOption(opts.localPort, '--local-port', true);
      const kc = loadKubeConfig(opts.kubeconfig ?? ctx.env['KUBECONFIG']);
      const namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
      const leader = await findLeadingSupervisor(
        kubeSupervisorLookup(kc, namespace, cluster),
        { namespace, cluster },
        clockOf(ctx).now(),
      );
      if (isLoopbackAddress(leader.podIP)) {
        // Local environment: the pod's own loopback address is reachable from here.
        const url = visualizerUrl(leader.podIP ?? '127.0.0.1', port);
        await checkVisualizer(url);
        ctx.stdout.write(`${url}\n`);
        if (opts.open === true) openInBrowser(url, ctx);
        return;
      }
      const forwarding = await startPortForward(
        kc,
        { namespace, pod: leader.pod, port, localPort },
        (message) => ctx.stderr.write(`${message}\n`),
      );
      const url = visualizerUrl('localhost', forwarding.port);
      ctx.stdout.write(`${url}\n`);
      ctx.stderr.write(`forwarding to ${namespace}/${leader.pod}:${port}; press Ctrl-C to stop\n`);
      // The forward itself works even when the supervisor serves no visualizer: say so early.
      await checkVisualizer(url).catch((err: unknown) =>
        ctx.stderr.write(`warning: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      if (opts.open === true) openInBrowser(url, ctx);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await forwarding.close();
    });
}
