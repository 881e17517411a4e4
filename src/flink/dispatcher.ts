import { Pool } from 'undici';

/**
 * The connection pool for one Flink REST endpoint. The client takes any undici Dispatcher (tests
 * inject a MockAgent); this is the one production code uses: a few keep-alive connections, and the
 * connect clock, which undici enforces at the connection rather than per request.
 */
export interface FlinkDispatcherOptions {
  /** TCP (and TLS) connect timeout. */
  readonly connectTimeoutMs?: number;
  /** Parallel connections to the JobManager. */
  readonly connections?: number;
  /** Idle keep-alive connections close after this long (Flink's own idle timeout is 5 minutes). */
  readonly keepAliveTimeoutMs?: number;
  /** CA, client certificate etc. for a JobManager with `security.ssl.rest.enabled`. */
  readonly tls?: {
    readonly ca?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
  };
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function createFlinkDispatcher(baseUrl: string, options: FlinkDispatcherOptions = {}): Pool {
  const keepAlive = options.keepAliveTimeoutMs ?? 30_000;
  return new Pool(new URL(baseUrl).origin, {
    connections: options.connections ?? 4,
    pipelining: 1,
    keepAliveTimeout: keepAlive,
    keepAliveMaxTimeout: keepAlive,
    connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, ...options.tls },
  });
}
