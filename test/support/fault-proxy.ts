import { once } from 'node:events';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A loopback HTTP proxy in front of a real Flink REST endpoint that misbehaves on demand: it answers
 * 500/503 itself, delays, resets the connection (before or after Flink acted), or stalls before the
 * headers or in the middle of the body. Every request is recorded, so tests can count what reached
 * the proxy and what reached Flink.
 */
export type Fault =
  /** Answer this status without forwarding (Flink never sees the request). */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly body?: string;
      readonly headers?: Record<string, string>;
    }
  /** Wait, then forward ('before': Flink sees it late) or forward and hold the answer ('after'). */
  | { readonly kind: 'delay'; readonly ms: number; readonly where?: 'before' | 'after' }
  /** Read the request, then drop the connection without forwarding. */
  | { readonly kind: 'reset' }
  /** Forward, let Flink act and answer, then drop the connection instead of relaying the answer. */
  | { readonly kind: 'reset-after-forward' }
  /** Never answer; the connection stays open until the client gives up or the proxy closes. */
  | { readonly kind: 'stall' }
  /** Forward, relay the status, headers and `bytes` of the body, then go silent. */
  | { readonly kind: 'stall-body'; readonly bytes?: number };

export interface FaultRule {
  readonly method?: string;
  /** Matched against the path with its query. */
  readonly path?: string | RegExp;
  readonly fault: Fault;
  /** How many matching requests get the fault (default 1); `Infinity` for all of them. */
  readonly times?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** What the proxy did: the fault's kind, or `pass`. */
  readonly handling: Fault['kind'] | 'pass';
  /** Whether the request was passed on to Flink. */
  readonly forwarded: boolean;
}

export interface FaultProxy {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  inject(rule: FaultRule): void;
  clearFaults(): void;
  /** Requests recorded so far that match. */
  count(method: string, path: string | RegExp): number;
  close(): Promise<void>;
}

interface ActiveRule {
  readonly rule: FaultRule;
  left: number;
}

function matches(rule: { method?: string; path?: string | RegExp }, method: string, path: string): boolean {
  if (rule.method && rule.method !== method) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? rule.path === path.split('?')[0] : rule.path.test(path);
}

async function drain(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(options: { target: string; host?: string }): Promise<FaultProxy> {
  const target = new URL(options.target);
  const upstream = new Agent({ keepAlive: true, maxSockets: 8 });
  const rules: ActiveRule[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const forward = (req: IncomingMessage, body: Buffer): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: upstream,
        },
        resolve,
      );
      out.on('error', reject);
      out.end(body);
    });

  const relay = async (res: ServerResponse, from: IncomingMessage, holdMs = 0) => {
    const body = await drain(from);
    if (holdMs) await sleep(holdMs);
    res.writeHead(from.statusCode ?? 502, from.headers);
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const active = rules.find((r) => r.left > 0 && matches(r.rule, method, path));
    if (active) active.left--;
    const fault = active?.rule.fault;
    const entry: { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] } = {
      method,
      path,
      handling: fault?.kind ?? 'pass',
      forwarded: false,
    };
    requests.push(entry);
    const body = await drain(req);
    const pass = () => {
      entry.forwarded = true;
      return forward(req, body);
    };
    if (!fault) return relay(res, await pass());
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? '{"errors":["injected by the fault proxy"]}');
        return;
      case 'delay':
        if (fault.where === 'after') return relay(res, await pass(), fault.ms);
        await sleep(fault.ms);
        // The client gave up meanwhile: Flink never sees the request.
        if (req.socket.destroyed) return;
        return relay(res, await pass());
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-after-forward':
        await drain(await pass());
        req.socket.destroy();
        return;
      case 'stall':
        return;
      case 'stall-body': {
        const from = await pass();
        const full = await drain(from);
        res.writeHead(from.statusCode ?? 502, { ...from.headers, 'content-length': String(full.length) });
        res.write(full.subarray(0, fault.bytes ?? 1));
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"errors":["fault proxy: upstream failed"]}');
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    requests,
    inject(rule) {
      rules.push({ rule, left: rule.times ?? 1 });
    },
    clearFaults() {
      rules.length = 0;
    },
    count(method, path) {
      return requests.filter((r) => matches({ method, path }, r.method, r.path)).length;
    },
    async close() {
      rules.length = 0;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
      upstream.destroy();
    },
  };
}

/**
 * A TCP listener that accepts and never says a word. An `https://` client pointed at it waits forever
 * for the TLS handshake, which is how a test makes a connect timeout fire on loopback.
 */
export async function startSilentServer(
  host = '127.0.0.1',
): Promise<{ url: string; readonly connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createTcpServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `https://${address}:${port}`,
    get connections() {
      return connections;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
