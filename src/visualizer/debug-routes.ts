// The visualizer's HTTP surface, as one handler usable on its own server (debug-server.ts) or as
// the health server's `routes` hook:
//   GET  /debug/                                  the page (page.html + page.js)
//   GET  /debug/machines                          every machine: state, context, deadlines, transitions
//   GET  /debug/machines/:kind/:name              one machine (kind: cluster | job)
//   GET  /debug/machines/:kind/:name/diagram      SVG with the active state marked (?format=mermaid)
//   GET  /debug/events                            server-sent events: the same list on every change
//   POST /debug/machines/:kind/:name/predict      { event } → what the machine would do (pure)
// Everything shown passes the allow-lists of sanitize.ts. Requests whose Host header names
// something other than an IP address or localhost are refused (DNS rebinding), and POST requires
// JSON (a cross-site form cannot send it without a preflight we never answer).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  JournalEntry,
  MachineJournal,
  MachineView,
  RawMachineState,
  TransitionRecord,
} from './machine-journal.ts';
import { viewOf } from './machine-journal.ts';
import { renderActiveMermaid } from './mermaid-active.ts';
import { pageAssets } from './page.ts';
import type { MachineKind } from './sanitize.ts';
import { renderStatechartSvg } from './statechart-svg.ts';
import { MACHINES, WhatIfError, whatIf, whatIfRequest } from './what-if.ts';

/** The supervisor's live machines (Supervisor.machines()); authoritative for what is running now. */
export interface MachineSource {
  list(): readonly { readonly kind: MachineKind; readonly name: string; readonly snapshot: unknown }[];
}

export interface DebugRoutesOptions {
  readonly journal: MachineJournal;
  readonly machines?: MachineSource | undefined;
  /** Shown in the page title and the JSON (`{ namespace, cluster }`). */
  readonly supervisor?: { readonly namespace?: string; readonly cluster?: string } | undefined;
  readonly now?: (() => number) | undefined;
  /** Host names accepted besides IP addresses and localhost (e.g. a Service name). */
  readonly allowedHosts?: readonly string[] | undefined;
  /** How often live sources are re-read for event-stream clients (default 1000 ms). */
  readonly refreshMs?: number | undefined;
  /** At most this many event-stream clients at once (default 16). */
  readonly maxStreams?: number | undefined;
}

export interface MachineDetail extends MachineView {
  /** Run by this supervisor right now (false: history of a machine it no longer runs). */
  readonly live: boolean;
  /** Oldest first (the list and the event stream carry the latest LIST_TRANSITIONS only). */
  readonly transitions: readonly TransitionRecord[];
  /** Older transitions not in this answer (pushed out of the journal's ring, or not listed). */
  readonly dropped: number;
}

/** Transitions per machine in /debug/machines and the event stream (one machine's URL has all kept). */
export const LIST_TRANSITIONS = 25;

export interface MachinesPayload {
  readonly serverTime: number;
  readonly supervisor: { readonly namespace?: string; readonly cluster?: string };
  readonly machines: readonly MachineDetail[];
}

export interface DebugRoutes {
  /** Handles the request if it is one of ours (true), else leaves it alone (false). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The JSON of /debug/machines. */
  payload(): MachinesPayload;
  /** Ends every event stream. */
  close(): void;
}

const KINDS: readonly string[] = ['cluster', 'job'];
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const MAX_BODY = 16 * 1024;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': type, ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 2)}\n`);
}

function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.replace(/:\d+$/, '');
}

/** IP literals and localhost name this machine; any other name could be a rebinding attacker's. */
export function hostAllowed(header: string | undefined, extra: readonly string[] = []): boolean {
  if (header === undefined || header === '') return true;
  const host = hostName(header.trim().toLowerCase());
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return true;
  if (/^\[[0-9a-f:.]+\]$/.test(host)) return true;
  return extra.some((allowed) => allowed.toLowerCase() === host);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) throw new WhatIfError(`request body larger than ${MAX_BODY} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface Route {
  readonly kind: MachineKind;
  readonly name: string;
  readonly rest: string;
}

function machineRoute(path: string): Route | null {
  const match = /^\/debug\/machines\/([^/]+)\/([^/]+)(\/[a-z]+)?$/.exec(path);
  if (match === null) return null;
  const kind = match[1] ?? '';
  let name: string;
  try {
    name = decodeURIComponent(match[2] ?? '');
  } catch {
    return null;
  }
  if (!KINDS.includes(kind) || !NAME.test(name)) return null;
  return { kind: kind as MachineKind, name, rest: match[3] ?? '' };
}

export function createDebugRoutes(options: DebugRoutesOptions): DebugRoutes {
  const { journal } = options;
  const now = options.now ?? Date.now;
  const refreshMs = options.refreshMs ?? 1000;
  const maxStreams = options.maxStreams ?? 16;
  const streams = new Set<ServerResponse>();
  let lastSent = '';
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let refreshTimer: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;

  function details(limit = Number.POSITIVE_INFINITY): MachineDetail[] {
    const at = now();
    const entries = new Map(
      journal.entries().map((entry) => [`${entry.view.kind}/${entry.view.name}`, entry]),
    );
    const live = options.machines?.list();
    const out: MachineDetail[] = [];
    const detail = (view: MachineView, entry: JournalEntry | undefined, isLive: boolean): MachineDetail => {
      const transitions = entry?.transitions ?? [];
      const shown = transitions.length > limit ? transitions.slice(transitions.length - limit) : transitions;
      return {
        ...view,
        live: isLive,
        transitions: shown,
        dropped: (entry?.dropped ?? 0) + transitions.length - shown.length,
      };
    };
    if (live !== undefined) {
      for (const machine of live) {
        const key = `${machine.kind}/${machine.name}`;
        const entry = entries.get(key);
        entries.delete(key);
        out.push(
          detail(
            viewOf(machine.kind, machine.name, machine.snapshot, entry?.view.updatedAt ?? at),
            entry,
            true,
          ),
        );
      }
    }
    for (const entry of entries.values()) {
      out.push(detail(entry.view, entry, live === undefined && entry.view.status === 'active'));
    }
    return out.sort((a, b) =>
      a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'cluster' ? -1 : 1,
    );
  }

  function payload(): MachinesPayload {
    return { serverTime: now(), supervisor: { ...options.supervisor }, machines: details(LIST_TRANSITIONS) };
  }

  function rawState(kind: MachineKind, name: string): RawMachineState | undefined {
    const live = options.machines?.list().find((machine) => machine.kind === kind && machine.name === name);
    if (live !== undefined) {
      const snapshot = live.snapshot as { value?: unknown; context?: unknown } | null;
      if (snapshot !== null && snapshot.value !== undefined) {
        return { value: snapshot.value as RawMachineState['value'], context: snapshot.context };
      }
    }
    return journal.latest(kind, name);
  }

  // ------------------------------------------------------------- event stream

  function flush(): void {
    flushTimer = undefined;
    if (streams.size === 0) return;
    const current = payload();
    const comparable = JSON.stringify({ ...current, serverTime: 0 });
    if (comparable === lastSent) return;
    lastSent = comparable;
    const message = `event: machines\ndata: ${JSON.stringify(current)}\n\n`;
    for (const stream of streams) stream.write(message);
  }

  function schedule(): void {
    // Snapshots come in bursts (one step of a machine is several of them): send once per burst.
    flushTimer ??= setTimeout(() => flush(), 25);
  }

  function stopTimers(): void {
    if (flushTimer !== undefined) clearTimeout(flushTimer);
    if (refreshTimer !== undefined) clearInterval(refreshTimer);
    unsubscribe?.();
    flushTimer = undefined;
    refreshTimer = undefined;
    unsubscribe = undefined;
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    if (streams.size >= maxStreams) {
      send(res, 503, 'text/plain; charset=utf-8', 'too many event streams\n', { 'retry-after': '5' });
      return;
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    streams.add(res);
    if (unsubscribe === undefined) unsubscribe = journal.subscribe(schedule);
    // Live sources change without telling the journal (and keepalives hold proxies open).
    refreshTimer ??= setInterval(() => {
      for (const stream of streams) stream.write(': keepalive\n\n');
      schedule();
    }, refreshMs);
    refreshTimer.unref?.();
    const message = `event: machines\ndata: ${JSON.stringify(payload())}\n\n`;
    res.write(message);
    const close = () => {
      streams.delete(res);
      if (streams.size === 0) stopTimers();
    };
    req.on('close', close);
    res.on('error', close);
  }

  // ------------------------------------------------------------- requests

  async function predictRoute(req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      sendJson(res, 415, { error: 'send the event as application/json: { "event": { "type": ... } }' });
      return;
    }
    const state = rawState(route.kind, route.name);
    if (state === undefined) {
      sendJson(res, 404, { error: `no ${route.kind} machine named ${route.name}` });
      return;
    }
    try {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (err) {
        if (err instanceof WhatIfError) throw err;
        throw new WhatIfError('the body is not JSON');
      }
      const parsed = whatIfRequest.safeParse(body);
      if (!parsed.success) throw new WhatIfError('the body must be { "event": { "type": ... } }');
      sendJson(res, 200, whatIf(route.kind, route.name, state, parsed.data.event, now()));
    } catch (err) {
      if (!(err instanceof WhatIfError)) throw err;
      sendJson(res, 400, { error: err.message });
    }
  }

  function machineGet(res: ServerResponse, route: Route, url: URL): void {
    const found = details().find((machine) => machine.kind === route.kind && machine.name === route.name);
    if (found === undefined) {
      sendJson(res, 404, { error: `no ${route.kind} machine named ${route.name}` });
      return;
    }
    if (route.rest === '') {
      sendJson(res, 200, found);
      return;
    }
    const machine = MACHINES[route.kind];
    if (url.searchParams.get('format') === 'mermaid') {
      send(res, 200, 'text/plain; charset=utf-8', renderActiveMermaid(machine, found.path));
      return;
    }
    const last = found.transitions.at(-1);
    const svg = renderStatechartSvg(machine, {
      active: found.path,
      previous: last !== undefined && last.from !== last.to ? last.from : undefined,
      via: last?.via,
      title: `${found.kind} ${found.name}: ${found.path}`,
    });
    send(res, 200, 'image/svg+xml; charset=utf-8', svg, {
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path !== '/debug' && !path.startsWith('/debug/')) return false;
    if (!hostAllowed(req.headers.host, options.allowedHosts)) {
      send(res, 421, 'text/plain; charset=utf-8', 'unexpected Host header: use localhost or an IP address\n');
      return true;
    }
    const method = req.method ?? 'GET';
    const route = machineRoute(path);
    if (method === 'POST' && route?.rest === '/predict') {
      await predictRoute(req, res, route);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/debug') {
      res.writeHead(302, { ...COMMON_HEADERS, location: '/debug/' });
      res.end();
      return true;
    }
    if (path === '/debug/') {
      const page = pageAssets();
      send(res, 200, 'text/html; charset=utf-8', page.html, {
        'content-security-policy': page.contentSecurityPolicy,
      });
      return true;
    }
    if (path === '/debug/page.js') {
      send(res, 200, 'text/javascript; charset=utf-8', pageAssets().script);
      return true;
    }
    if (path === '/debug/favicon.svg') {
      send(res, 200, 'image/svg+xml', pageAssets().favicon);
      return true;
    }
    if (path === '/debug/machines') {
      sendJson(res, 200, payload());
      return true;
    }
    if (path === '/debug/events') {
      openStream(req, res);
      return true;
    }
    if (route !== null && (route.rest === '' || route.rest === '/diagram')) {
      machineGet(res, route, url);
      return true;
    }
    sendJson(res, 404, { error: 'not found' });
    return true;
  }

  return {
    handle,
    payload,
    close() {
      stopTimers();
      for (const stream of streams) stream.end();
      streams.clear();
    },
  };
}
