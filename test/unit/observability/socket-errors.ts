// Shared checks for the listening servers (loopback only): client socket errors, client errors and
// accept errors must be logged, never thrown, and the server must keep answering.
import { request } from 'node:http';
import { connect, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';

export interface CapturedLog {
  readonly entries: { level: 'debug' | 'warn'; fields: Record<string, unknown>; msg: string }[];
  debug(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export function captureLog(): CapturedLog {
  const entries: CapturedLog['entries'] = [];
  return {
    entries,
    debug: (fields, msg) => void entries.push({ level: 'debug', fields, msg }),
    warn: (fields, msg) => void entries.push({ level: 'warn', fields, msg }),
  };
}

export function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function errno(message: string, code: string, syscall?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, ...(syscall ? { syscall } : {}) });
}

/** A real loopback connection and the server's side of it. */
async function connection(server: Server, port: number): Promise<{ client: Socket; serverSide: Socket }> {
  const serverSide = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  return { client, serverSide: await serverSide };
}

/** Emits the errors on the real server objects, then asks `path` and expects `status`. */
export async function expectSurvivesSocketErrors(
  server: Server,
  port: number,
  path: string,
  status: number,
): Promise<void> {
  // accept failing (EMFILE): Node emits 'error' on the server; unhandled, emit() would throw here.
  expect(() => server.emit('error', errno('accept EMFILE', 'EMFILE', 'accept'))).not.toThrow();
  expect(() => server.emit('error', errno('accept ENFILE', 'ENFILE', 'accept'))).not.toThrow();

  // a client socket erroring (peer reset)
  const a = await connection(server, port);
  expect(() => a.serverSide.emit('error', errno('read ECONNRESET', 'ECONNRESET', 'read'))).not.toThrow();
  a.client.destroy();

  // a clientError, both a reset and a parse error
  const b = await connection(server, port);
  expect(() =>
    server.emit('clientError', errno('read ECONNRESET', 'ECONNRESET'), b.serverSide),
  ).not.toThrow();
  b.client.destroy();
  const c = await connection(server, port);
  const answer = new Promise<string>((resolve) => {
    let text = '';
    c.client.setEncoding('utf8');
    c.client.on('data', (chunk: string) => (text += chunk));
    c.client.on('close', () => resolve(text));
  });
  c.client.write('NOT HTTP AT ALL\r\n\r\n');
  expect(await answer).toMatch(/^HTTP\/1\.1 400/);

  expect(server.listening).toBe(true);
  expect((await get(port, path)).status).toBe(status);
}
