import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { logSegment, readRange, readRunStarts, tailLines } from './container-logs.ts';

/** A pod this node runs, as the kubelet API needs it. */
export interface LocatedPod {
  readonly dir: string;
  readonly containers: readonly string[];
  /** Whether the container's process runs now (a followed log ends when it exits). */
  running(container: string): boolean;
}

export interface KubeletApiOptions {
  /** Serving certificate and key (PEM) for 127.0.0.1. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The only clients accepted are those with a certificate from this CA: the API server. */
  readonly clientCa: Buffer;
  locate(namespace: string, pod: string): LocatedPod | undefined;
  log(message: string, fields?: Record<string, unknown>): void;
  /** How often a followed log looks for new output. */
  readonly followIntervalMs?: number;
}

export interface KubeletApi {
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface LogQuery {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly tailLines: number | undefined;
  readonly limitBytes: number | undefined;
}

function parseLogQuery(params: URLSearchParams): LogQuery {
  for (const unsupported of ['timestamps', 'sinceSeconds', 'sinceTime'])
    if (params.has(unsupported) && params.get(unsupported) !== 'false')
      throw new HttpError(
        400,
        `${unsupported} is not supported by the flinkvisor node agent: its container logs carry no per-line times`,
      );
  const flag = (name: string) => params.get(name) === 'true';
  const count = (name: string) => {
    const raw = params.get(name);
    if (raw === null) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) throw new HttpError(400, `${name} must be a non-negative integer`);
    return n;
  };
  return {
    follow: flag('follow'),
    previous: flag('previous'),
    tailLines: count('tailLines'),
    limitBytes: count('limitBytes'),
  };
}

/**
 * The part of the kubelet API the API server proxies `kubectl logs` to:
 * `GET /containerLogs/{namespace}/{pod}/{container}` with `follow`, `previous`, `tailLines` and
 * `limitBytes`, served over mutual TLS on 127.0.0.1 (the port the Node advertises in
 * status.daemonEndpoints.kubeletEndpoint).
 */
export async function startKubeletApi(options: KubeletApiOptions): Promise<KubeletApi> {
  const open = new Set<ServerResponse>();
  const server: Server = createServer(
    {
      cert: options.cert,
      key: options.key,
      ca: options.clientCa,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      handle(req, res, options).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        if (status === 500) options.log('kubelet API request failed', { url: req.url, err: String(err) });
        if (!res.headersSent) {
          res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(err instanceof Error ? err.message : String(err));
        } else res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: KubeletApiOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (!m) throw new HttpError(404, `${url.pathname} is not served by the flinkvisor node agent`);
  if (req.method !== 'GET') throw new HttpError(405, 'only GET');
  const [namespace, podName, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ''));
  const query = parseLogQuery(url.searchParams);
  const pod = o.locate(namespace ?? '', podName ?? '');
  if (!pod) throw new HttpError(404, `pod ${namespace}/${podName} is not running on this node`);
  if (!pod.containers.includes(container ?? ''))
    throw new HttpError(404, `container ${container} is not in pod ${namespace}/${podName}`);
  const logFile = join(pod.dir, `${container}.log`);
  const segment = logSegment(await readRunStarts(logFile), query.previous);
  if (!segment)
    throw new HttpError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
  const size = (await stat(logFile).catch(() => undefined))?.size;
  if (size === undefined)
    throw new HttpError(400, `container "${container}" in pod "${podName}" has not started yet`);
  let budget = query.limitBytes ?? Number.POSITIVE_INFINITY;
  const send = (chunk: Buffer): boolean => {
    const part = chunk.subarray(0, Math.min(chunk.length, budget));
    budget -= part.length;
    if (part.length > 0) res.write(part);
    return budget > 0;
  };
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
  const end = segment.end ?? size;
  let position = segment.start;
  if (query.tailLines !== undefined) {
    const text = tailLines((await readRange(logFile, segment.start, end)).toString('utf8'), query.tailLines);
    position = end;
    if (!send(Buffer.from(text, 'utf8'))) return void res.end();
  }
  // Whole files in 1 MiB reads: a long-running JobManager's log is not held in memory at once.
  const copyUpTo = async (limit: number): Promise<boolean> => {
    while (position < limit) {
      const chunk = await readRange(logFile, position, Math.min(limit, position + 1024 * 1024));
      if (chunk.length === 0) return true;
      position += chunk.length;
      if (!send(chunk)) return false;
    }
    return true;
  };
  if (!(await copyUpTo(end))) return void res.end();
  if (!query.follow || query.previous) return void res.end();
  const interval = o.followIntervalMs ?? 250;
  const runsBefore = (await readRunStarts(logFile)).length;
  for (;;) {
    if (res.destroyed) return;
    const running = pod.running(container ?? '');
    const now = (await stat(logFile).catch(() => undefined))?.size ?? position;
    // A new run began: the followed container instance has ended; stop at its last byte.
    const starts = await readRunStarts(logFile);
    const limit = starts.length > runsBefore ? (starts[runsBefore] ?? now) : now;
    if (!(await copyUpTo(limit))) return void res.end();
    if (starts.length > runsBefore) return void res.end();
    await new Promise((resolve) => setTimeout(resolve, interval));
    if (!running) {
      // The process has exited: its last output may still have been on its way to the file.
      await copyUpTo((await stat(logFile).catch(() => undefined))?.size ?? position);
      return void res.end();
    }
  }
}
