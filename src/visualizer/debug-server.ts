// The supervisor's debug port: the visualizer page and its JSON (debug-routes.ts) on their own
// plain-HTTP server, bound to localhost unless told otherwise; reach it with `kubectl port-forward`
// or `flinkvisor visualize CLUSTER`.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  keepServingOnSocketErrors,
  lazyLogger,
  type ServerErrorLog,
} from '../observability/health-server.ts';
import { createDebugRoutes } from './debug-routes.ts';
import type { DebugRoutesOptions } from './debug-routes.ts';

export const DEFAULT_DEBUG_PORT = 8090;
export const DEFAULT_DEBUG_ADDRESS = 'localhost';

export interface DebugServerOptions extends DebugRoutesOptions {
  /** Bind address (default localhost: only port-forwards and the pod itself reach it). */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Where client and accept errors go (a logger named debug-server by default). */
  readonly log?: ServerErrorLog;
}

export interface DebugServer {
  readonly server: Server;
  readonly port: number;
  /** Ends event streams and stops listening. */
  close(): Promise<void>;
}

export async function startDebugServer(options: DebugServerOptions): Promise<DebugServer> {
  const routes = createDebugRoutes(options);
  const server = createServer((req, res) => {
    routes
      .handle(req, res)
      .then((handled) => {
        if (handled) return;
        if (req.method === 'GET' && (req.url === '/' || req.url === '')) {
          res.writeHead(302, { location: '/debug/' });
          res.end();
          return;
        }
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found: the visualizer is at /debug/\n');
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? DEFAULT_DEBUG_ADDRESS, () => {
      server.off('error', reject);
      resolve();
    });
  });
  keepServingOnSocketErrors(server, lazyLogger('debug-server', options.log), 'debug');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      routes.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
