import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFlinkDispatcher } from '../../../src/flink/dispatcher.ts';
import { FlinkTimeoutError } from '../../../src/flink/errors.ts';
import { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { NO_RETRY } from '../../../src/flink/retry-policy.ts';
import { startSilentServer } from '../../support/fault-proxy.ts';
import { OVERVIEW } from './fixtures.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function overviewServer(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server: Server = createServer((_req, res) => {
    const body = JSON.stringify(OVERVIEW);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections };
}

describe('createFlinkDispatcher', () => {
  it('keeps connections alive across requests', async () => {
    const server = await overviewServer();
    const dispatcher = createFlinkDispatcher(server.url);
    cleanups.push(() => dispatcher.close());
    const client = new FlinkRestClient({ baseUrl: server.url, dispatcher, flinkVersion: '2.3.0' });
    for (let i = 0; i < 20; i++) expect((await client.getOverview()).taskmanagers).toBe(1);
    // Sequential requests reuse a kept-alive connection (undici may open a second while the first
    // is being released), never one per request.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('enforces its connect timeout (here: a TLS handshake that never completes)', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const dispatcher = createFlinkDispatcher(silent.url, { connectTimeoutMs: 100 });
    cleanups.push(() => dispatcher.destroy());
    const client = new FlinkRestClient({
      baseUrl: silent.url,
      dispatcher,
      flinkVersion: '2.3.0',
      retry: NO_RETRY,
      timeouts: { connectMs: 100 },
    });
    const err = (await client.getOverview().catch((e: unknown) => e)) as FlinkTimeoutError;
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect(err.phase).toBe('connect');
    expect(err.sent).toBe(false);
    expect(err.message).toContain('timed out connecting after 100ms');
    expect(silent.connections).toBe(1);
  });
});
