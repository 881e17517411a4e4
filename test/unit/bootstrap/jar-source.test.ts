import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TOTAL_TIMEOUT_MS,
  JarSourceError,
  obtainJar,
  parseJarLocation,
} from '../../../src/bootstrap/jar-source.ts';

describe('jar locations', () => {
  it('takes exactly one of path and URI, with a supported scheme', () => {
    expect(parseJarLocation({ jarPath: '/jars/a.jar' })).toEqual({ kind: 'path', path: '/jars/a.jar' });
    expect(parseJarLocation({ jarURI: 'https://x.example/a.jar' }).kind).toBe('uri');
    expect(() => parseJarLocation({ jarPath: '/a', jarURI: 'https://x/a' })).toThrow('not both');
    expect(() => parseJarLocation({})).toThrow('no jar');
    expect(() => parseJarLocation({ jarURI: 's3://b/a.jar' })).toThrow('scheme s3: is not supported');
  });
});

/** The JarSourceError a download fails with; fails the test when the download succeeds. */
async function failure(download: Promise<unknown>): Promise<JarSourceError> {
  const err = await download.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JarSourceError);
  return err as JarSourceError;
}

describe('obtaining a jar', () => {
  let server: Server;
  let base: string;
  let workDir: string;
  const payload = Buffer.alloc(300_000, 7);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'fv-jar-'));
    server = createServer((req, res) => {
      if (req.url === '/job.jar') {
        res.writeHead(200, { 'content-type': 'application/java-archive', 'content-length': payload.length });
        res.end(payload);
      } else if (req.url === '/chunked.jar') {
        // no Content-Length: only the streaming cap can stop it
        res.writeHead(200, { 'content-type': 'application/java-archive' });
        res.write(payload.subarray(0, 600));
        setTimeout(() => res.end(payload.subarray(600, 1500)), 20);
      } else if (req.url === '/redirect.jar') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest?token=secret' });
        res.end();
      } else if (req.url === '/moved.jar') {
        res.writeHead(301, { location: '/elsewhere.jar' });
        res.end();
      } else if (req.url === '/drip.jar') {
        // a byte every 50 ms: never idle long enough for the idle timeouts
        res.writeHead(200, { 'content-type': 'application/java-archive' });
        const drip = setInterval(() => res.write('x'), 50);
        res.on('close', () => clearInterval(drip));
      } else if (req.url === '/stall.jar') {
        // never answers
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://fixture.test:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  const lookup = async () => ['127.0.0.1'];
  const leftovers = async (dir: string) => (await readdir(dir)).filter((f) => f.startsWith('job-'));

  it('downloads over http when private networks are allowed, and removes the copy on cleanup', async () => {
    const jar = await obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
      workDir,
      allowPrivateNetworks: true,
      lookup,
    });
    expect(jar.bytes).toBe(payload.length);
    expect((await readFile(jar.path)).equals(payload)).toBe(true);
    await jar.cleanup();
    await expect(readFile(jar.path)).rejects.toThrow();
  });

  it('refuses a host that resolves to a loopback address by default, permanently', async () => {
    const err = await obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
      workDir,
      allowPrivateNetworks: false,
      lookup,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JarSourceError);
    expect((err as JarSourceError).permanent).toBe(true);
    expect((err as Error).message).toContain('127.0.0.1 (loopback)');
  });

  it('does not follow redirects, says where they pointed (without the query), permanently', async () => {
    const redirect = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/redirect.jar` }), {
        workDir,
        allowPrivateNetworks: true,
        lookup,
      }),
    );
    expect(redirect).toBeInstanceOf(JarSourceError);
    expect(redirect.message).toBe(
      `downloading ${base}/redirect.jar: redirects are not followed: 302 to http://169.254.169.254/latest`,
    );
    expect(redirect.permanent).toBe(true);
    const moved = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/moved.jar` }), {
        workDir,
        allowPrivateNetworks: true,
        lookup,
      }),
    );
    expect(moved.message).toContain(`redirects are not followed: 301 to ${base}/elsewhere.jar`);
    expect(moved.permanent).toBe(true);
  });

  it('says whether an HTTP failure is permanent', async () => {
    const missing = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/nope.jar` }), {
        workDir,
        allowPrivateNetworks: true,
        lookup,
      }),
    );
    expect((missing as JarSourceError).permanent).toBe(true);
    expect((missing as Error).message).toContain('HTTP 404');
  });

  it('refuses a download whose Content-Length is over the size cap, before reading it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fv-jar-cap-'));
    const err = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
        workDir: dir,
        allowPrivateNetworks: true,
        lookup,
        maxBytes: 1000,
      }),
    );
    expect(err.message).toBe(`jar is larger than 1000 bytes (Content-Length ${payload.length})`);
    expect(err.permanent).toBe(true);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('caps the size of a download without a Content-Length, and removes the partial copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fv-jar-cap-'));
    const err = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/chunked.jar` }), {
        workDir: dir,
        allowPrivateNetworks: true,
        lookup,
        maxBytes: 1000,
      }),
    );
    expect(err.message).toBe('jar is larger than 1000 bytes');
    expect(err.permanent).toBe(true);
    expect(await leftovers(dir)).toEqual([]);
    const within = await obtainJar(parseJarLocation({ jarURI: `${base}/chunked.jar` }), {
      workDir: dir,
      allowPrivateNetworks: true,
      lookup,
      maxBytes: 1500,
    });
    expect(within.bytes).toBe(1500);
    await within.cleanup();
  });

  it('limits the whole download in time (10 minutes by default), even when bytes keep trickling in', async () => {
    expect(DEFAULT_TOTAL_TIMEOUT_MS).toBe(600_000);
    const dir = await mkdtemp(join(tmpdir(), 'fv-jar-slow-'));
    const started = Date.now();
    const err = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/drip.jar` }), {
        workDir: dir,
        allowPrivateNetworks: true,
        lookup,
        timeoutMs: 30_000,
        totalTimeoutMs: 400,
      }),
    );
    expect(err).toBeInstanceOf(JarSourceError);
    expect(err.message).toBe(`downloading ${base}/drip.jar took longer than the total time limit of 400 ms`);
    expect(err.permanent).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('limits the time to the response headers and to the lookup by the same total limit', async () => {
    const stalled = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/stall.jar` }), {
        workDir,
        allowPrivateNetworks: true,
        lookup,
        timeoutMs: 30_000,
        totalTimeoutMs: 300,
      }),
    );
    expect(stalled.message).toContain('took longer than the total time limit of 300 ms');
    const slowLookup = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
        workDir,
        allowPrivateNetworks: true,
        lookup: () => new Promise<string[]>(() => undefined),
        totalTimeoutMs: 300,
      }),
    );
    expect(slowLookup.message).toContain('took longer than the total time limit of 300 ms');
    expect(slowLookup.permanent).toBe(false);
  });

  it('checks every resolved address: a public one first and a private one after is refused', async () => {
    const err = await failure(
      obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
        workDir,
        allowPrivateNetworks: false,
        lookup: async () => ['93.184.215.14', '10.0.0.5'],
      }),
    );
    expect(err.message).toContain('it resolves to 10.0.0.5 (private)');
    expect(err.permanent).toBe(true);
  });

  it('resolves once and connects to the checked address, not to a second lookup', async () => {
    // fixture.test does not resolve; the download works only if it goes to what the lookup said
    const seen: string[] = [];
    const jar = await obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
      workDir,
      allowPrivateNetworks: true,
      lookup: async (host) => {
        seen.push(host);
        return ['127.0.0.1', '127.0.0.2'];
      },
    });
    expect(seen).toEqual(['fixture.test']);
    expect(jar.bytes).toBe(payload.length);
    await jar.cleanup();
  });

  it('uses a file: URI or an image path in place', async () => {
    const file = join(workDir, 'local.jar');
    await writeFile(file, 'jar');
    const viaUri = await obtainJar(parseJarLocation({ jarURI: `file://${file}` }), {
      workDir,
      allowPrivateNetworks: false,
    });
    expect(viaUri.path).toBe(file);
    await viaUri.cleanup();
    expect(await readFile(file, 'utf8')).toBe('jar');
    await expect(
      obtainJar(parseJarLocation({ jarPath: join(workDir, 'absent.jar') }), {
        workDir,
        allowPrivateNetworks: false,
      }),
    ).rejects.toThrow('jar not found');
  });
});
