import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../src/devenv/control-plane.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { devenvAssets } from '../support/devenv.ts';

// Its own control plane (etcd and kube-apiserver only): restarting the shared one would disturb
// the other files of the project.
let cp: ControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ assets: await devenvAssets(), controllers: false });
});
afterAll(async () => {
  await cp?.stop();
});

describe('restarting a control-plane process', () => {
  it('brings kube-apiserver back as a new process on the same address, certificates, token and data', async () => {
    const core = loadKubeConfig(cp.kubeconfigPath).makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'survives-restart' }, data: { k: 'v' } },
    });
    const before = cp.processes.find((p) => p.name === 'kube-apiserver');

    const after = await cp.restartProcess('kube-apiserver');

    expect(before?.running).toBe(false);
    expect(after.running).toBe(true);
    expect(after.pid).not.toBe(before?.pid);
    expect(cp.processes.find((p) => p.name === 'kube-apiserver')).toBe(after);
    // The same kubeconfig (address, CA, token) still works, and etcd kept the object.
    const cm = await core.readNamespacedConfigMap({ name: 'survives-restart', namespace: 'default' });
    expect(cm.data).toEqual({ k: 'v' });
  });

  it('refuses a process it did not start', async () => {
    await expect(cp.restartProcess('kubelet')).rejects.toThrow('no control-plane process kubelet');
  });
});
