// Fleet mode's keep-alive API connections reach into client-node's private agent factory: this
// checks that it still takes with the pinned client-node, and that a plain KubeConfig does not.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { keepApiConnectionsAlive, keepsConnectionsAlive } from '../../../src/kube/kubeconfig.ts';

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: false },
    { name: 'u', token: 'x' },
  );
  return kc;
}

describe('keep-alive connections to the API server', () => {
  it('client-node alone opens a connection per request; keepApiConnectionsAlive makes its agent keep them', async () => {
    expect(await keepsConnectionsAlive(kubeConfig())).toBe(false);
    expect(await keepsConnectionsAlive(keepApiConnectionsAlive(kubeConfig()))).toBe(true);
  });
});
