import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { FLINKVISOR_NAME, FLINKVISOR_VERSION } from '../version.ts';

/**
 * /healthz (alive: e.g. the lease is renewed when leading), /readyz (caches synced), /metrics and
 * /version on one plain-HTTP monitoring port. Extra routes (the debug visualizer) plug in.
 */
export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly live: () => boolean;
  readonly ready: () => boolean;
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface HealthServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD' && !options.routes)
        return send(res, 405, 'text/plain', 'method not allowed\n');
      if (path === '/healthz' || path === '/livez')
        return send(res, options.live() ? 200 : 500, 'text/plain', options.live() ? 'ok\n' : 'unhealthy\n');
      if (path === '/readyz')
        return send(res, options.ready() ? 200 : 503, 'text/plain', options.ready() ? 'ok\n' : 'not ready\n');
      if (path === '/metrics')
        return send(res, 200, options.registry.contentType, await options.registry.metrics());
      if (path === '/version')
        return send(
          res,
          200,
          'application/json',
          JSON.stringify({ name: FLINKVISOR_NAME, version: FLINKVISOR_VERSION }),
        );
      if (options.routes && (await options.routes(req, res))) return;
      send(res, 404, 'text/plain', 'not found\n');
    })().catch(() => send(res, 500, 'text/plain', 'internal error\n'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
