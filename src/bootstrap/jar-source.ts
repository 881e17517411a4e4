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
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
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

/**
 * Puts the jar on local disk. Downloads stream to a file with a size cap; the host is resolved once,
 * checked against the address policy, and the connection goes to that checked address (no second
 * lookup a DNS answer could change in between).
 */
export async function obtainJar(location: JarLocation, options: ObtainOptions): Promise<ObtainedJar> {
  if (location.kind === 'path') return localJar(location.path);
  const { uri } = location;
  if (uri.protocol === 'file:') return localJar(decodeURIComponent(uri.pathname));
  const host = uri.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = await (options.lookup ?? defaultLookup)(host);
  } catch (err) {
    throw new JarSourceError(`cannot resolve ${host}: ${(err as Error).message}`, false, { cause: err });
  }
  if (addresses.length === 0) throw new JarSourceError(`cannot resolve ${host}`, false);
  try {
    checkAddresses(host, addresses, options.allowPrivateNetworks);
  } catch (err) {
    throw new JarSourceError((err as Error).message, true, { cause: err });
  }
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
  const maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
  try {
    const res = await request(uri, {
      dispatcher: agent,
      maxRedirections: 0,
      ...(options.signal ? { signal: options.signal } : {}),
    } as Parameters<typeof request>[1]);
    if (res.statusCode >= 300) {
      await res.body.dump();
      const permanent =
        res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 429 && res.statusCode !== 408;
      throw new JarSourceError(`downloading ${uri.origin}${uri.pathname}: HTTP ${res.statusCode}`, permanent);
    }
    let bytes = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > maxBytes) done(new JarSourceError(`jar is larger than ${maxBytes} bytes`, true));
        else done(null, chunk);
      },
    });
    await pipeline(res.body, cap, createWriteStream(target));
    return { path: target, bytes, cleanup: () => rm(target, { force: true }) };
  } catch (err) {
    await rm(target, { force: true });
    if (err instanceof JarSourceError) throw err;
    throw new JarSourceError(
      `downloading ${uri.origin}${uri.pathname} failed: ${(err as Error).message}`,
      false,
      { cause: err },
    );
  } finally {
    await agent.close();
  }
}
