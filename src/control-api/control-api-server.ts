import type { KubeConfig } from '@kubernetes/client-node';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { keepServingOnSocketErrors } from '../observability/health-server.ts';
import { DNS_LABEL_PATTERN, jobManagerServiceName, jobResourceName } from '../api/names.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { Clock } from '../kube/clock.ts';
import { hostUrl } from '../kube/pod-address.ts';
import {
  Authenticator,
  DEFAULT_TOKEN_AUDIENCE,
  firstAccepting,
  kubernetesTokenReviewer,
  type Caller,
  type TokenReviewer,
} from './authn.ts';
import { clientCertificateOf } from './client-certificates.ts';
import { authorize, kubernetesAccessReviewer, resourceAttributesFor, type AccessReviewer } from './authz.ts';
import { badRequest, HttpProblem, notFound, problemFromKubernetes, toProblem } from './errors.ts';
import type { HandlerDependencies } from './handler-context.ts';
import { createHandlers } from './handlers.ts';
import { findJob } from './job-lookup.ts';
import { openApiDocument } from './openapi.ts';
import { parseBody } from './request-bodies.ts';
import {
  KubernetesCustomResourceClient,
  type CustomObject,
  type CustomResourceClient,
} from '../kube/custom-resource-client.ts';
import { matchRoute, type PathParams } from './route-matching.ts';
import type { Route } from './routes.ts';

/**
 * The control REST API (ADR 0006): the toolbox's routes under /api/v1 with plain JSON bodies and
 * honest status codes. Every request needs a bearer token (TokenReview; audience-bound tokens, and
 * API server tokens unless refused, ADR 0022) or a client certificate signed by the client CA, and is
 * authorized with a SubjectAccessReview for the resource it touches; TLS is the default, plain HTTP
 * only when asked for explicitly. It runs inside the operator; it reads no environment, everything
 * comes in here.
 */

export interface ControlApiTls {
  /** PEM of the serving certificate (chain) and its key. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /**
   * PEM of the CA(s) client certificates are verified against. The server then asks every client
   * for a certificate; a verified one identifies a caller who sends no token (CN: user, O: groups).
   */
  readonly clientCa?: string | Buffer;
  /** Refuse TLS connections without a client certificate signed by clientCa (mTLS). */
  readonly requireClientCertificate: boolean;
}

export interface ControlApiOptions {
  /** The control API's own credentials: TokenReview, SubjectAccessReview and the resource writes. */
  readonly kubeConfig: KubeConfig;
  /** The namespaces it serves; a request for another is 404. */
  readonly namespaces: readonly string[] | 'all';
  /** The namespace of a request without `?namespace=`: the first served one, else the kubeconfig's. */
  readonly defaultNamespace?: string;
  readonly host: string;
  /** 0 picks a free port (see the returned `port`). */
  readonly port: number;
  readonly tls?: ControlApiTls;
  /**
   * Serve plain HTTP. Only for a local environment: bearer tokens then travel in clear. Without
   * it, `tls` is required. Tokens are required either way.
   */
  readonly insecureHttp?: boolean;
  /** A Flink REST client for a base URL (the caller owns dispatchers, timeouts and retries). */
  readonly flinkClient: (baseUrl: string) => FlinkRestClient;
  /** The JobManager REST URL of a cluster; default `http://jobmanager-<cluster>.<namespace>:8081`. */
  readonly flinkUrl?: (namespace: string, cluster: string) => string | Promise<string>;
  readonly log: Logger;
  readonly clock: Clock;
  /** Audiences of the audience-bound tokens it accepts (TokenReview spec.audiences); `flinkvisor` by default. */
  readonly audiences?: readonly string[];
  /**
   * Also accept tokens issued for the API server itself (default true, for callers whose
   * credentials cannot get an audience-bound token: OIDC users, static tokens); false accepts
   * audience-bound tokens only (ADR 0022).
   */
  readonly acceptApiServerTokens?: boolean;
  /** How long an accepted token is trusted without a new TokenReview (default 10 s). */
  readonly tokenCacheTtlMs?: number;
  readonly maxBodyBytes?: number;
  /** Registers request counters and durations (`flinkvisor_control_api_*`) when given. */
  readonly registry?: Registry;
  // Ports, for tests; the Kubernetes implementations by default.
  readonly tokenReviewer?: TokenReviewer;
  readonly accessReviewer?: AccessReviewer;
  readonly resources?: CustomResourceClient;
}

export interface ControlApi {
  /** The listening server (tests reach its sockets through it). */
  readonly server: Server;
  readonly port: number;
  /** `https://host:port` (or http), without the /api/v1 prefix. */
  readonly url: string;
  close(): Promise<void>;
}

/** The options cannot give a safe server (no TLS without insecureHttp, mTLS without a CA, ...). */
export class ControlApiConfigError extends Error {}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const MAX_FLINK_CLIENTS = 64;
const NAME = new RegExp(DNS_LABEL_PATTERN);

export function defaultFlinkUrl(namespace: string, cluster: string): string {
  return `http://${jobManagerServiceName(cluster)}.${namespace}:8081`;
}

function checkOptions(o: ControlApiOptions): void {
  if (o.tls && o.insecureHttp) throw new ControlApiConfigError('give either tls or insecureHttp, not both');
  if (!o.tls && !o.insecureHttp) {
    throw new ControlApiConfigError(
      'the control API needs TLS (a serving certificate and key); plain HTTP only with insecureHttp, for local environments',
    );
  }
  if (o.tls?.requireClientCertificate && !o.tls.clientCa) {
    throw new ControlApiConfigError(
      'requireClientCertificate needs clientCa, the CA client certificates are checked against',
    );
  }
  if (o.audiences?.length === 0) {
    throw new ControlApiConfigError('audiences: name at least one token audience');
  }
  if (o.namespaces !== 'all') {
    if (o.namespaces.length === 0) throw new ControlApiConfigError('namespaces: name at least one, or "all"');
    for (const ns of o.namespaces) {
      if (!NAME.test(ns)) throw new ControlApiConfigError(`namespaces: "${ns}" is not a namespace name`);
    }
  }
}

function defaultNamespaceOf(o: ControlApiOptions): string {
  if (o.defaultNamespace) return o.defaultNamespace;
  if (o.namespaces !== 'all' && o.namespaces[0]) return o.namespaces[0];
  return o.kubeConfig.getContextObject(o.kubeConfig.getCurrentContext())?.namespace ?? 'default';
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The JSON body, or undefined when there is none. 413, 415 and 400 problems otherwise. */
async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpProblem(413, 'BodyTooLarge', `the body is larger than ${maxBytes} bytes`, {
      headers: { connection: 'close' },
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      throw new HttpProblem(413, 'BodyTooLarge', `the body is larger than ${maxBytes} bytes`, {
        headers: { connection: 'close' },
      });
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  if (!isJson(req.headers['content-type'])) {
    throw new HttpProblem(
      415,
      'UnsupportedMediaType',
      'the body must be JSON (content-type: application/json)',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(
      'InvalidJson',
      `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function checkParams(params: PathParams): void {
  for (const key of ['deployment', 'cluster', 'job'] as const) {
    const value = params[key];
    if (value !== undefined && (value.length > 63 || !NAME.test(value))) {
      throw badRequest(
        'InvalidName',
        `${key} "${value}" is not a valid name (lower-case letters, digits and '-', at most 63 characters)`,
        [{ path: key, message: 'must be a DNS label' }],
      );
    }
  }
  const tm = params.taskmanager;
  if (tm !== undefined && (tm.length > 256 || /[\s/]/.test(tm))) {
    throw badRequest('InvalidName', `taskmanager "${tm}" is not a TaskManager id`, [
      { path: 'taskmanager', message: 'must be a Flink TaskManager id' },
    ]);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

interface RequestMetrics {
  readonly requests: Counter<'operation' | 'code'>;
  readonly duration: Histogram<'operation'>;
}

function requestMetrics(registry: Registry | undefined): RequestMetrics | undefined {
  if (!registry) return undefined;
  return {
    requests: new Counter({
      name: 'flinkvisor_control_api_requests_total',
      help: 'Control API requests by operation and HTTP status code.',
      labelNames: ['operation', 'code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'flinkvisor_control_api_request_duration_seconds',
      help: 'Time to answer a control API request.',
      labelNames: ['operation'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

/** Audience-bound tokens first; then, unless refused, tokens for the API server (ADR 0022). */
function tokenReviewerFor(o: ControlApiOptions): TokenReviewer {
  const audienceBound = kubernetesTokenReviewer(o.kubeConfig, o.audiences ?? [DEFAULT_TOKEN_AUDIENCE]);
  if (o.acceptApiServerTokens === false) return audienceBound;
  return firstAccepting(audienceBound, kubernetesTokenReviewer(o.kubeConfig));
}

export async function startControlApi(o: ControlApiOptions): Promise<ControlApi> {
  checkOptions(o);
  const log = o.log;
  const defaultNamespace = defaultNamespaceOf(o);
  const served = o.namespaces === 'all' ? undefined : new Set(o.namespaces);
  const store = o.resources ?? new KubernetesCustomResourceClient(o.kubeConfig);
  const authenticator = new Authenticator({
    review: o.tokenReviewer ?? tokenReviewerFor(o),
    clock: o.clock,
    ...(o.tokenCacheTtlMs === undefined ? {} : { acceptedTtlMs: o.tokenCacheTtlMs }),
  });
  const accessReviewer = o.accessReviewer ?? kubernetesAccessReviewer(o.kubeConfig);
  const flinkUrl = o.flinkUrl ?? defaultFlinkUrl;
  const flinkClients = new Map<string, FlinkRestClient>();
  const deps: HandlerDependencies = {
    store,
    clock: o.clock,
    flinkFor: async (namespace, cluster) => {
      const url = await flinkUrl(namespace, cluster);
      let client = flinkClients.get(url);
      if (!client) {
        client = o.flinkClient(url);
        flinkClients.set(url, client);
        const oldest = flinkClients.keys().next().value;
        if (flinkClients.size > MAX_FLINK_CLIENTS && oldest !== undefined) flinkClients.delete(oldest);
      }
      return client;
    },
  };
  let openApi: unknown;
  const handlers = createHandlers(deps, () => (openApi ??= openApiDocument()));
  const metrics = requestMetrics(o.registry);
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  function namespaceOf(url: URL): string {
    const requested = url.searchParams.get('namespace');
    const namespace = requested === null || requested === '' ? defaultNamespace : requested;
    if (!NAME.test(namespace)) {
      throw badRequest('InvalidName', `namespace "${namespace}" is not a namespace name`, [
        { path: 'namespace', message: 'must be a DNS label' },
      ]);
    }
    if (served && !served.has(namespace)) {
      throw notFound(`namespace ${namespace} is not served by this control API`, 'NamespaceNotServed');
    }
    return namespace;
  }

  /** Authorizes the request for the object it touches; for a job route, the job it resolves to. */
  async function authorizeRoute(route: Route, caller: Caller, namespace: string, params: PathParams) {
    if (route.authorization === 'authenticated') return undefined;
    const rule = route.authorization;
    let job: CustomObject | undefined;
    let objectName: string | undefined;
    if (rule.object === 'job') {
      const cluster = params.cluster ?? '';
      const jobName = params.job ?? '';
      try {
        job = await findJob(store, namespace, cluster, jobName);
      } catch (err) {
        throw problemFromKubernetes(err, `FlinkJob ${jobName} of cluster ${cluster}`);
      }
      objectName = job?.metadata.name ?? jobResourceName(cluster, jobName);
    } else if (rule.object !== 'none') {
      objectName = params[rule.object];
    }
    await authorize(accessReviewer, caller, resourceAttributesFor(rule, namespace, objectName));
    return job;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = o.clock.now();
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('the client went away'));
    });
    const url = new URL(req.url ?? '/', 'http://control-api.invalid');
    const method = req.method ?? 'GET';
    let operation = 'none';
    let user: string | undefined;
    let status: number;
    try {
      const caller = await authenticator.authenticate(
        req.headers.authorization,
        o.tls?.clientCa ? clientCertificateOf(req.socket) : { kind: 'none' },
      );
      user = caller.username;
      const match = matchRoute(method, url.pathname);
      if (match.kind === 'not-found') throw notFound(`no route ${method} ${url.pathname}`, 'NoSuchRoute');
      if (match.kind === 'bad-path')
        throw badRequest('InvalidPath', 'the path is not valid percent-encoding');
      if (match.kind === 'method-not-allowed') {
        throw new HttpProblem(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}`, {
          headers: { allow: match.allowed.join(', ') },
        });
      }
      const { route, params } = match;
      operation = route.operationId;
      checkParams(params);
      const namespace = route.authorization === 'authenticated' ? defaultNamespace : namespaceOf(url);
      const job = await authorizeRoute(route, caller, namespace, params);
      const raw = route.body === 'none' ? undefined : await readJsonBody(req, maxBodyBytes);
      const body = parseBody(route.body, raw);
      const result = await handlers[route.operationId]({
        namespace,
        params,
        body,
        caller,
        signal: abort.signal,
        job,
      });
      status = result.status;
      send(res, result.status, result.body);
    } catch (err) {
      const problem = toProblem(err);
      status = problem.status;
      if (problem.status >= 500) {
        log.warn(
          { operation, status, err: problem.message, cause: String(problem.cause ?? '') },
          'control API request failed',
        );
      }
      send(res, problem.status, problem.body(), problem.headers);
    }
    const ms = o.clock.now() - started;
    const entry = { method, path: url.pathname, operation, status, ms, ...(user ? { user } : {}) };
    if (method === 'GET' && status < 400) log.debug(entry, 'control API request');
    else log.info(entry, 'control API request');
    metrics?.requests.inc({ operation, code: String(status) });
    metrics?.duration.observe({ operation }, ms / 1000);
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: String(err) }, 'control API handler crashed');
      send(res, 500, { error: 'InternalError', message: 'internal error' });
    });
  };
  let server: Server;
  if (o.tls) {
    server = createHttpsServer(
      {
        cert: o.tls.cert,
        key: o.tls.key,
        ...(o.tls.clientCa ? { ca: o.tls.clientCa } : {}),
        requestCert: Boolean(o.tls.clientCa),
        rejectUnauthorized: o.tls.requireClientCertificate,
        minVersion: 'TLSv1.2',
      },
      listener,
    );
  } else {
    log.warn('the control API serves plain HTTP: bearer tokens travel in clear (local environments only)');
    server = createHttpServer(listener);
  }
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  keepServingOnSocketErrors(server, () => log, 'control-api');
  const port = (server.address() as AddressInfo).port;
  const scheme = o.tls ? 'https' : 'http';
  log.info(
    {
      port,
      tls: Boolean(o.tls),
      clientCertificates: o.tls?.clientCa
        ? o.tls.requireClientCertificate
          ? 'required'
          : 'accepted'
        : 'off',
      audiences: [...(o.audiences ?? [DEFAULT_TOKEN_AUDIENCE])],
      apiServerTokens: o.acceptApiServerTokens !== false,
      namespaces: o.namespaces === 'all' ? 'all' : [...o.namespaces],
    },
    'control API listening',
  );
  return {
    server,
    port,
    url: hostUrl(scheme, o.host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
