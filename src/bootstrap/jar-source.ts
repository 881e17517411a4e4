import { lookup as dnsLookup } from 'node:dns/promises';
import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { checkAddresses } from './address-policy.ts';

/** Where the job's jar comes from: a path inside the bootstrap image, or a URI (https, http, file). */
export type JarLocation =
  { readonly kind: 'path'; readonly path: string } | { readonly kind: 'uri'; readonly uri: URL };

export class JarSourceError extends Error {
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean, options?: ErrorOptions) {
    super(message, options);
    this.permanent = permanent;
  }
}

export function parseJarLocation(input: {
  jarPath?: string | undefined;
  jarURI?: string | undefined;
}): JarLocation {
  if (input.jarPath && input.jarURI)
    throw new JarSourceError('give either a jar path or a jar URI, not both', true);
  if (input.jarPath) return { kind: 'path', path: input.jarPath };
  if (!input.jarURI) throw new JarSourceError('no jar: give a jar path or a jar URI', true);
  let uri: URL;
  try {
    uri = new URL(input.jarURI);
  } catch {
    throw new JarSourceError(`jar URI is not a URL: ${input.jarURI}`, true);
  }
  if (!['https:', 'http:', 'file:'].includes(uri.protocol)) {
    throw new JarSourceError(`jar URI scheme ${uri.protocol} is not supported (https, http, file)`, true);
  }
  return { kind: 'uri', uri };
}

export interface ObtainOptions {
  readonly workDir: string;
  readonly allowPrivateNetworks: boolean;
  /** Size cap of a download; default 1 GiB. */
  readonly maxBytes?: number;
  /** Idle limits: for the response headers, and between two pieces of the body; default 60 s. */
  readonly timeoutMs?: number;
  /** Limit on the whole download, from resolving the host to the last byte; default 10 minutes. */
  readonly totalTimeoutMs?: number;
  readonly lookup?: (host: string) => Promise<string[]>;
  readonly signal?: AbortSignal;
}

export interface ObtainedJar {
  readonly path: string;
  readonly bytes: number;
  /** Removes a downloaded copy (never a jar that was already on disk). */
  cleanup(): Promise<void>;
}

async function localJar(path: string): Promise<ObtainedJar> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new JarSourceError(`jar not found or not readable: ${path}`, true);
  }
  const s = await stat(path);
  if (!s.isFile()) throw new JarSourceError(`jar path is not a file: ${path}`, true);
  return { path, bytes: s.size, cleanup: async () => undefined };
}

const defaultLookup = async (host: string) => (await dnsLookup(host, { all: true })).map((a) => a.address);

export const DEFAULT_TOTAL_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

/** Settles as `work` does, or rejects with the signal's reason when it aborts first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Where a redirect pointed, without its query (it may carry credentials, such as a signed URL's). */
function describeLocation(location: string | string[], base: URL): string {
  const raw = (Array.isArray(location) ? location[0] : location) ?? '';
  try {
    const target = new URL(raw, base);
    return `${target.origin}${target.pathname}`;
  } catch {
    return JSON.stringify(raw.slice(0, 200));
  }
}

/**
 * Puts the jar on local disk. Downloads stream to a file with a size cap and a total time limit;
 * the host is resolved once, every address it resolves to is checked against the address policy,
 * and the connection goes to the first of those checked addresses (no second lookup a DNS answer
 * could change in between). Redirects are not followed: their target would escape the check.
 */
export async function obtainJar(location: JarLocation, options: ObtainOptions): Promise<ObtainedJar> {
  if (location.kind === 'path') return localJar(location.path);
  const { uri } = location;
  if (uri.protocol === 'file:') return localJar(decodeURIComponent(uri.pathname));
  const totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(totalTimeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const what = `${uri.origin}${uri.pathname}`;
  const overTime = `downloading ${what} took longer than the total time limit of ${totalTimeoutMs} ms`;
  const timedOut = (err: unknown) =>
    deadline.aborted ? new JarSourceError(overTime, false, { cause: err }) : undefined;
  const host = uri.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = await untilAborted((options.lookup ?? defaultLookup)(host), signal);
  } catch (err) {
    throw (
      timedOut(err) ??
      new JarSourceError(`cannot resolve ${host}: ${(err as Error).message}`, false, { cause: err })
    );
  }
  if (addresses.length === 0) throw new JarSourceError(`cannot resolve ${host}`, false);
  try {
    checkAddresses(host, addresses, options.allowPrivateNetworks);
  } catch (err) {
    throw new JarSourceError((err as Error).message, true, { cause: err });
  }
  // Pinned to an address the check above has seen (all of them were checked).
  const pinned = addresses[0] as string;
  const agent = new Agent({
    connect: {
      lookup: (_hostname, _opts, callback) =>
        callback(null, [{ address: pinned, family: pinned.includes(':') ? 6 : 4 }]),
    },
    connectTimeout: 10_000,
    headersTimeout: options.timeoutMs ?? 60_000,
    bodyTimeout: options.timeoutMs ?? 60_000,
  });
  await mkdir(options.workDir, { recursive: true });
  const target = join(options.workDir, `job-${Date.now()}.jar`);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    const res = await request(uri, {
      dispatcher: agent,
      maxRedirections: 0,
      signal,
    } as Parameters<typeof request>[1]);
    if (res.statusCode >= 300 && res.statusCode < 400) {
      await res.body.dump();
      const { location } = res.headers;
      throw new JarSourceError(
        location === undefined
          ? `downloading ${what}: HTTP ${res.statusCode}`
          : `downloading ${what}: redirects are not followed: ${res.statusCode} to ${describeLocation(location, uri)}`,
        true,
      );
    }
    if (res.statusCode >= 400) {
      await res.body.dump();
      const permanent = res.statusCode < 500 && res.statusCode !== 429 && res.statusCode !== 408;
      throw new JarSourceError(`downloading ${what}: HTTP ${res.statusCode}`, permanent);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw new JarSourceError(`jar is larger than ${maxBytes} bytes (Content-Length ${declared})`, true);
    }
    let bytes = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) done(new JarSourceError(`jar is larger than ${maxBytes} bytes`, true));
        else done(null, chunk);
      },
    });
    await pipeline(res.body, cap, createWriteStream(target), { signal });
    return { path: target, bytes, cleanup: () => rm(target, { force: true }) };
  } catch (err) {
    await rm(target, { force: true });
    if (err instanceof JarSourceError) throw err;
    throw (
      timedOut(err) ??
      new JarSourceError(`downloading ${what} failed: ${(err as Error).message}`, false, { cause: err })
    );
  } finally {
    // destroy, not close: after a timeout or an abort, nothing of this download is worth waiting for.
    await agent.destroy();
  }
}
