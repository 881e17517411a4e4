import { Option, type Command } from 'commander';
import type { RequestOptions } from 'node:https';
import { readFile } from 'node:fs/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { KubeConfig } from '@kubernetes/client-node';
import { bearerTokenOf, DEFAULT_TOKEN_AUDIENCE } from '../control-api/authn.ts';
import { API_PREFIX } from '../control-api/routes.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { hostUrl } from '../kube/pod-address.ts';
import { EXIT, ExitCodeError, UsageError } from './exit-codes.ts';
import { OUTPUT_FORMATS, parseOutputFormat, type OutputFormat } from './output.ts';
import { clockOf, type CliContext } from './context.ts';
import {
  audienceTokenSource,
  refusalOf,
  requestAudienceToken,
  serviceAccountOfToken,
  serviceAccountOfUser,
  whoAmI,
  type ServiceAccountRef,
} from './audience-token.ts';

/**
 * The client side of the control API (ADR 0006) for the client commands: connection options,
 * the caller's credential (an audience-bound token for a ServiceAccount, else the kubeconfig's
 * token, or a client certificate; ADR 0022), and one request function whose failures carry the
 * exit code of the HTTP status.
 */

export interface ControlApiTlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
}

export interface ControlApiConnection {
  /** `https://localhost:4444`: scheme, host and port, without the /api/v1 prefix. */
  readonly baseUrl: string;
  /** A fixed bearer token; none when a client certificate identifies the caller. */
  readonly token?: string;
  /** The token of each request (an audience-bound token, renewed); wins over `token`. */
  readonly tokenSource?: () => Promise<string | undefined>;
  /** Sent as `?namespace=`; the server's default namespace when absent. */
  readonly namespace?: string;
  readonly tls?: ControlApiTlsOptions;
  /** Per request (default 60 s). */
  readonly timeoutMs?: number;
}

/** The problem body of a failed request, as the server sends it. */
export interface ControlApiProblem {
  readonly error: string;
  readonly message: string;
  readonly fields?: readonly { path: string; message: string }[];
}

/** HTTP status → exit code: scripts tell a missing resource from a conflict from missing rights. */
export function exitCodeForStatus(status: number): number {
  switch (status) {
    case 400:
    case 413:
    case 415:
      return EXIT.usage;
    case 401:
      return EXIT.unauthorized;
    case 403:
      return EXIT.forbidden;
    case 404:
      return EXIT.notFound;
    case 409:
      return EXIT.conflict;
    default:
      return EXIT.failure;
  }
}

export class ControlApiError extends ExitCodeError {
  readonly status: number;
  readonly problem: ControlApiProblem;
  constructor(status: number, problem: ControlApiProblem) {
    const fields = (problem.fields ?? [])
      .map((f) => `\n  ${f.path ? `${f.path}: ` : ''}${f.message}`)
      .join('');
    super(`${problem.message} (HTTP ${status} ${problem.error})${fields}`, exitCodeForStatus(status));
    this.name = 'ControlApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** `apiPath('clusters', 'a b', 'status')` → `/clusters/a%20b/status`. */
export function apiPath(...segments: readonly string[]): string {
  return segments.map((s) => `/${encodeURIComponent(s)}`).join('');
}

export class ControlApiClient {
  readonly #connection: ControlApiConnection;
  readonly #dispatcher: Dispatcher;

  constructor(connection: ControlApiConnection) {
    this.#connection = connection;
    const tls = connection.tls;
    this.#dispatcher = new Agent({
      connect: {
        timeout: 10_000,
        ...(tls
          ? {
              rejectUnauthorized: tls.rejectUnauthorized,
              ...(tls.ca ? { ca: tls.ca } : {}),
              ...(tls.cert ? { cert: tls.cert } : {}),
              ...(tls.key ? { key: tls.key } : {}),
            }
          : {}),
      },
    });
  }

  get baseUrl(): string {
    return this.#connection.baseUrl;
  }

  /** `method /api/v1<path>`: the parsed JSON answer, or a ControlApiError carrying the status. */
  async request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const url = new URL(`${API_PREFIX}${path}`, this.#connection.baseUrl);
    if (this.#connection.namespace) url.searchParams.set('namespace', this.#connection.namespace);
    const timeout = this.#connection.timeoutMs ?? 60_000;
    const token = this.#connection.tokenSource
      ? await this.#connection.tokenSource()
      : this.#connection.token;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      const reason = err instanceof Error ? err.message : String(err);
      throw new ExitCodeError(
        `cannot reach the control API at ${this.#connection.baseUrl}: ${code && !reason.includes(code) ? `${code} ` : ''}${reason}`,
        EXIT.failure,
      );
    }
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return parsed as T;
    const problem =
      parsed && typeof parsed === 'object' && typeof (parsed as ControlApiProblem).message === 'string'
        ? (parsed as ControlApiProblem)
        : {
            error: `HTTP${response.statusCode}`,
            message: text.slice(0, 200) || `HTTP ${response.statusCode}`,
          };
    throw new ControlApiError(response.statusCode, problem);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

// ---- the options every client command takes

export interface ClientOptions {
  host: string;
  port: string;
  namespace?: string;
  token?: string;
  tokenAudience?: string;
  kubeconfig?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipTlsVerify?: boolean;
  plainHttp?: boolean;
  output: string;
}

/** Adds the connection and output options of §8 (`--host localhost`, `--port 4444`) and ours. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--host <host>', 'control API host', 'localhost')
    .option('--port <port>', 'control API port', '4444')
    .option(
      '-n, --namespace <namespace>',
      "namespace of the resources (default: the server's default namespace)",
    )
    .option(
      '--token <token>',
      `bearer token (default: for a ServiceAccount user of the kubeconfig, a 10-minute token for audience "${DEFAULT_TOKEN_AUDIENCE}" from TokenRequest; else, or when that is refused, with a warning, the kubeconfig user's token)`,
    )
    .option(
      '--token-audience <audience>',
      `audience of the TokenRequest token (default "${DEFAULT_TOKEN_AUDIENCE}"); asks for one even when the kubeconfig token does not name a ServiceAccount (a SelfSubjectReview tells who the user is)`,
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig to take the token from (default: $KUBECONFIG, else ~/.kube/config)',
    )
    .option('--ca-file <file>', 'PEM CA certificate(s) to verify the server with (default: the system CAs)')
    .option(
      '--cert-file <file>',
      'PEM client certificate: identifies you (CN: user, O: groups) to a server with a client CA; without --token no token is sent',
    )
    .option('--key-file <file>', 'PEM key of the client certificate')
    .option('--insecure-skip-tls-verify', 'do not verify the server certificate (testing only)')
    .option('--plain-http', 'use plain HTTP (a server started without TLS, local environments only)')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices([...OUTPUT_FORMATS]).default('table'),
    );
}

/** The bearer token of the kubeconfig's current user: a token, a token file, or an auth plugin's. */
export async function tokenFromKubeConfig(path: string | undefined): Promise<string | undefined> {
  return tokenOf(loadKubeConfig(path));
}

async function tokenOf(kubeConfig: KubeConfig): Promise<string | undefined> {
  const options: RequestOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const headers = (options.headers ?? {}) as Record<string, unknown>;
  const authorization = headers['Authorization'] ?? headers['authorization'];
  return typeof authorization === 'string' ? bearerTokenOf(authorization) : undefined;
}

async function readPem(path: string | undefined, what: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(
      `cannot read the ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * The credential from the kubeconfig (ADR 0022): for a ServiceAccount user, a source of tokens bound
 * to the control API's audience, falling back to the kubeconfig's token with one warning when the
 * TokenRequest is refused; for other users, the kubeconfig's token.
 */
async function kubeconfigCredential(
  opts: ClientOptions,
  ctx: CliContext,
): Promise<Pick<ControlApiConnection, 'token' | 'tokenSource'>> {
  const path = opts.kubeconfig ?? ctx.env['KUBECONFIG'];
  let kubeConfig: KubeConfig;
  let token: string | undefined;
  try {
    kubeConfig = loadKubeConfig(path && !path.includes(':') ? path : undefined);
    token = await tokenOf(kubeConfig);
  } catch (err) {
    throw new UsageError(
      `no --token, and no token from the kubeconfig: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const warn = (line: string) => void ctx.stderr.write(`${line}\n`);
  const audience = opts.tokenAudience ?? DEFAULT_TOKEN_AUDIENCE;
  let serviceAccount: ServiceAccountRef | undefined = serviceAccountOfToken(token);
  if (!serviceAccount && opts.tokenAudience !== undefined) {
    // Asked for an audience-bound token explicitly: find out whether the user is a ServiceAccount.
    try {
      const username = await whoAmI(kubeConfig);
      serviceAccount = serviceAccountOfUser(username);
      if (!serviceAccount) {
        warn(
          `warning: no token for audience "${audience}": the kubeconfig user "${username ?? ''}" is not a ServiceAccount (TokenRequest is for ServiceAccounts only); ` +
            (token ? "sending the kubeconfig's token instead" : 'sending no token'),
        );
      }
    } catch (err) {
      warn(
        `warning: no token for audience "${audience}": the SelfSubjectReview failed (${refusalOf(err)}); ` +
          (token ? "sending the kubeconfig's token instead" : 'sending no token'),
      );
    }
  }
  if (serviceAccount) {
    const sa = serviceAccount;
    const clock = clockOf(ctx);
    return {
      ...(token ? { token } : {}),
      tokenSource: audienceTokenSource({
        serviceAccount: sa,
        audience,
        clock,
        request: () => requestAudienceToken(kubeConfig, sa, audience, clock),
        fallback: token,
        warn,
      }),
    };
  }
  if (!token) {
    throw new UsageError(
      'no --token, and the kubeconfig user has no bearer token (give --token, or a client certificate with --cert-file and --key-file)',
    );
  }
  return { token };
}

export async function connectionFrom(opts: ClientOptions, ctx: CliContext): Promise<ControlApiConnection> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port must be a port number, got ${opts.port}`);
  if (opts.plainHttp && (opts.caFile || opts.certFile || opts.keyFile)) {
    throw new UsageError('--plain-http cannot be combined with --ca-file, --cert-file or --key-file');
  }
  if (Boolean(opts.certFile) !== Boolean(opts.keyFile))
    throw new UsageError('--cert-file and --key-file go together');
  const credential =
    opts.token !== undefined
      ? { token: opts.token }
      : opts.certFile && opts.tokenAudience === undefined
        ? {} // the client certificate identifies the caller
        : await kubeconfigCredential(opts, ctx);
  let tls: ControlApiTlsOptions | undefined;
  if (!opts.plainHttp) {
    const ca = await readPem(opts.caFile, 'CA file');
    const cert = await readPem(opts.certFile, 'certificate file');
    const key = await readPem(opts.keyFile, 'key file');
    tls = {
      rejectUnauthorized: !opts.insecureSkipTlsVerify,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    };
  }
  return {
    baseUrl: hostUrl(opts.plainHttp ? 'http' : 'https', opts.host, port),
    ...credential,
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** Runs `fn` with a client for the command's options, and closes it. */
export async function withClient<T>(
  opts: ClientOptions,
  ctx: CliContext,
  fn: (client: ControlApiClient, format: OutputFormat) => Promise<T>,
): Promise<T> {
  const format = parseOutputFormat(opts.output);
  const client = new ControlApiClient(await connectionFrom(opts, ctx));
  try {
    return await fn(client, format);
  } finally {
    await client.close();
  }
}
