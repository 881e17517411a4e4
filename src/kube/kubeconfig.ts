import { KubeConfig } from '@kubernetes/client-node';

/** A KubeConfig from a file, or the in-cluster service account when no file is named. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

type AgentFactory = (cluster: unknown, agentOptions: Record<string, unknown>) => unknown;

/**
 * Keep-alive connections to the API server for every client made from `kc`. client-node 2.0 builds
 * one https.Agent per KubeConfig (cached) but without keep-alive, so each request that is not a
 * watch opens a TLS connection of its own. One supervisor renewing its Lease every 2 s barely
 * notices; a process hosting a hundred (fleet mode) handshakes a hundred times a second, the API
 * server with it. The agent factory is private in client-node: `keepsConnectionsAlive` tells
 * whether it took (a test checks it against the pinned version).
 */
export function keepApiConnectionsAlive(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createAgent?: AgentFactory };
  const original = target.createAgent;
  if (typeof original !== 'function') return kc;
  target.createAgent = function (this: unknown, cluster, agentOptions) {
    return original.call(this, cluster, { ...agentOptions, keepAlive: true });
  };
  return kc;
}

/** Whether the clients of `kc` keep their connections to the API server alive. */
export async function keepsConnectionsAlive(kc: KubeConfig): Promise<boolean> {
  const options: { agent?: { keepAlive?: boolean } } = {};
  await kc.applyToHTTPSOptions(options as never);
  return options.agent?.keepAlive === true;
}
