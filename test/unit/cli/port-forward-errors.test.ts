import { KubeConfig } from '@kubernetes/client-node';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startPortForward, type PortForwarding } from '../../../src/cli/commands/visualize.ts';

let forwarding: PortForwarding | undefined;
afterEach(async () => {
  await forwarding?.close();
  forwarding = undefined;
});

function errno(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

describe("flinkvisor visualize's local port-forward listener", () => {
  it('keeps listening through accept errors (EMFILE) and reset connections', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const reported: string[] = [];
    forwarding = await startPortForward(
      kc,
      { namespace: 'ns', pod: 'p', port: 8090, localPort: 0 },
      (message) => void reported.push(message),
    );
    const server = forwarding.server;
    expect(() => server.emit('error', errno('accept EMFILE', 'EMFILE'))).not.toThrow();
    const serverSide = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(forwarding.port, '127.0.0.1');
    client.on('error', () => undefined);
    const socket = await serverSide;
    expect(() => socket.emit('error', errno('read ECONNRESET', 'ECONNRESET'))).not.toThrow();
    client.destroy();
    expect(server.listening).toBe(true);
    expect(reported.some((m) => m.includes('EMFILE'))).toBe(true);
  });
});
