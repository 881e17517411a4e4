import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { createLogger } from './logger.ts';
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
  /** Where client and accept errors go (a logger named health-server by default). */
  readonly log?: ServerErrorLog;
}

/** The part of a logger the servers use for their socket errors. */
export interface ServerErrorLog {
  debug(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/**
 * Keeps a listening server alive through the errors of its clients and of accept: an 'error' on a
 * client socket (ECONNRESET, EPIPE), a 'clientError' (malformed request, reset mid-request) and an
 * 'error' on the server itself once listening (accept failing with EMFILE/ENFILE: Node emits it and
 * keeps listening) are logged instead of thrown as unhandled 'error' events. Call after listen()
 * succeeded so a bind failure still rejects the start.
 */
export function keepServingOnSocketErrors(server: NetServer, log: () => ServerErrorLog, what: string): void {
  server.on('connection', (socket: Socket) => {
    socket.on('error', (err: NodeJS.ErrnoException) => {
      log().debug({ server: what, code: err.code, err: err.message }, 'client socket error');
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    log().debug({ server: what, code: err.code, err: err.message }, 'client error');
    if (err.code !== 'ECONNRESET' && socket.writable && !socket.writableEnded) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    } else {
      socket.destroy();
    }
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    log().warn({ server: what, code: err.code, err: err.message }, 'server error; still listening');
  });
}

/** A logger made only when a server without one first has something to say. */
export function lazyLogger(name: string, given?: ServerErrorLog): () => ServerErrorLog {
  let log = given;
  return () => (log ??= createLogger({ name }));
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
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  keepServingOnSocketErrors(server, lazyLogger('health-server', options.log), 'health');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
