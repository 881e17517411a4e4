// The Flink dispatcher on Node's own HTTP client (for processes without WebAssembly, such as the
// supervisor in V8's lite mode): the real client over it against real local servers, with the
// contract of the undici pool it stands in for (keep-alive, the three clocks, typed failures).
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpensslCertificates } from '../../../src/devenv/openssl-certificates.ts';
import { FlinkNotFoundError, FlinkTimeoutError, FlinkUnavailableError } from '../../../src/flink/errors.ts';
import { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import { NodeHttpDispatcher } from '../../../src/flink/node-http-dispatcher.ts';
import { NO_RETRY } from '../../../src/flink/retry-policy.ts';
import { startSilentServer } from '../../support/fault-proxy.ts';
import { OVERVIEW } from './fixtures.ts';

const JOB = '0123456789abcdef0123456789abcdef';
const TRIGGER = 'fedcba9876543210fedcba9876543210';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A local server answering with `handler` (the request body read first), counting connections. */
async function serve(handler: Handler, server: Server = createServer()) {
  let connections = 0;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const scheme = 'key' in server ? 'https' : 'http';
  return { url: `${scheme}://127.0.0.1:${port}`, connections: () => connections };
}

function clientOf(
  url: string,
  options: { connectTimeoutMs?: number; bodyMs?: number; headersMs?: number } = {},
) {
  const dispatcher = new NodeHttpDispatcher(url, { connectTimeoutMs: options.connectTimeoutMs ?? 5_000 });
  cleanups.push(() => dispatcher.close());
  const timeouts = {
    ...(options.headersMs ? { headersMs: options.headersMs } : {}),
    ...(options.bodyMs ? { bodyMs: options.bodyMs } : {}),
    ...(options.connectTimeoutMs ? { connectMs: options.connectTimeoutMs } : {}),
  };
  return new FlinkRestClient({ baseUrl: url, dispatcher, flinkVersion: '1.20.5', retry: NO_RETRY, timeouts });
}

describe('NodeHttpDispatcher', () => {
  it('reads through one kept-alive connection', async () => {
    const server = await serve((_req, res) => json(res, 200, OVERVIEW));
    const client = clientOf(server.url);
    for (let i = 0; i < 20; i++) expect((await client.getOverview()).taskmanagers).toBe(1);
    expect(server.connections()).toBe(1);
  });

  it('sends a JSON body and reads the answer', async () => {
    const seen: Record<string, string | undefined>[] = [];
    const server = await serve((req, res, body) => {
      seen.push({ method: req.method, url: req.url, body, type: req.headers['content-type'] });
      json(res, 202, { 'request-id': TRIGGER });
    });
    const client = clientOf(server.url);
    const trigger = await client.triggerSavepoint(JOB, { triggerId: TRIGGER, targetDirectory: 'file:///sp' });
    expect(trigger).toEqual({ triggerId: TRIGGER });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: `/jobs/${JOB}/savepoints`,
        body: expect.stringContaining('"target-directory":"file:///sp"') as string,
        type: 'application/json',
      },
    ]);
  });

  it("answers Flink's errors as the typed errors of the client", async () => {
    const server = await serve((_req, res) => json(res, 404, { errors: ['Job could not be found.'] }));
    const err = await clientOf(server.url)
      .getJobStatus(JOB)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlinkNotFoundError);
  });

  it('fails a refused connection as unavailable and not sent', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await cleanups.pop()?.();
    const err = (await clientOf(url)
      .getOverview()
      .catch((e: unknown) => e)) as FlinkUnavailableError;
    expect(err).toBeInstanceOf(FlinkUnavailableError);
    expect(err.sent).toBe(false);
  });

  it('enforces its connect clock (a TLS handshake that never completes)', async () => {
    const silent = await startSilentServer();
    cleanups.push(() => silent.close());
    const err = (await clientOf(silent.url, { connectTimeoutMs: 100 })
      .getOverview()
      .catch((e: unknown) => e)) as FlinkTimeoutError;
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect(err.phase).toBe('connect');
    expect(err.sent).toBe(false);
  });

  it('enforces the headers clock (an answer that never comes)', async () => {
    const server = await serve(() => undefined);
    const err = (await clientOf(server.url, { headersMs: 100 })
      .getOverview()
      .catch((e: unknown) => e)) as FlinkTimeoutError;
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect(err.phase).toBe('headers');
  });

  it('enforces the body clock (an answer that stops halfway)', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
      res.write('{"taskmanagers":');
    });
    const err = (await clientOf(server.url, { bodyMs: 100 })
      .getOverview()
      .catch((e: unknown) => e)) as FlinkTimeoutError;
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect(err.phase).toBe('body');
  });

  it("is cancelled by the caller's signal", async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    const call = clientOf(server.url).getOverview({ signal: controller.signal });
    controller.abort(new Error('no longer needed'));
    await expect(call).rejects.toThrow('no longer needed');
  });

  it('speaks TLS with the CA it is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flinkvisor-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const certificates = new OpensslCertificates(dir);
    await certificates.ca('ca');
    await certificates.sign('server', '/CN=jobmanager', 'ca', 'subjectAltName=IP:127.0.0.1\n');
    const file = (name: string) => readFile(certificates.file(name));
    const server = await serve(
      (_req, res) => json(res, 200, OVERVIEW),
      createTlsServer({ cert: await file('server.crt'), key: await file('server.key') }),
    );
    const dispatcher = new NodeHttpDispatcher(server.url, {
      connectTimeoutMs: 5_000,
      tls: { ca: await file('ca.crt') },
    });
    cleanups.push(() => dispatcher.close());
    const client = new FlinkRestClient({ baseUrl: server.url, dispatcher, flinkVersion: '1.20.5' });
    for (let i = 0; i < 3; i++) expect((await client.getOverview()).taskmanagers).toBe(1);
    expect(server.connections()).toBe(1);
  });
});
