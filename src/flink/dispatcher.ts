import { Pool } from 'undici';
import type { FlinkDispatcher } from './http-transport.ts';
import { NodeHttpDispatcher } from './node-http-dispatcher.ts';

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

/**
 * The dispatcher this process can run: undici's pool where WebAssembly is (undici parses HTTP/1
 * with llhttp compiled to it), Node's own client where it is not (V8's lite mode, in which the
 * supervisor runs, and `--jitless`). The same options and failures either way.
 */
export function flinkDispatcherFor(baseUrl: string, options: FlinkDispatcherOptions = {}): FlinkDispatcher {
  return (globalThis as { WebAssembly?: unknown }).WebAssembly === undefined
    ? new NodeHttpDispatcher(baseUrl, {
        ...options,
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      })
    : createFlinkDispatcher(baseUrl, options);
}
