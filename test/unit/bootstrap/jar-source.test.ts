import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../src/bootstrap/address-policy.ts';
import { JarSourceError, obtainJar, parseJarLocation } from '../../../src/bootstrap/jar-source.ts';

describe('the download address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.20.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.100.0.1', 'carrier-grade NAT'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique local'],
    ['::ffff:10.0.0.1', 'private'],
  ])('refuses %s (%s)', (ip, label) => {
    expect(classifyAddress(ip)).toBe(label);
  });

  it.each(['1.1.1.1', '151.101.0.1', '2606:4700::1111', '172.32.0.1'])('allows public %s', (ip) => {
    expect(classifyAddress(ip)).toBeUndefined();
  });
});

describe('jar locations', () => {
  it('takes exactly one of path and URI, with a supported scheme', () => {
    expect(parseJarLocation({ jarPath: '/jars/a.jar' })).toEqual({ kind: 'path', path: '/jars/a.jar' });
    expect(parseJarLocation({ jarURI: 'https://x.example/a.jar' }).kind).toBe('uri');
    expect(() => parseJarLocation({ jarPath: '/a', jarURI: 'https://x/a' })).toThrow('not both');
    expect(() => parseJarLocation({})).toThrow('no jar');
    expect(() => parseJarLocation({ jarURI: 's3://b/a.jar' })).toThrow('scheme s3: is not supported');
  });
});

describe('obtaining a jar', () => {
  let server: Server;
  let base: string;
  let workDir: string;
  const payload = Buffer.alloc(300_000, 7);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'fv-jar-'));
    server = createServer((req, res) => {
      if (req.url === '/job.jar') {
        res.writeHead(200, { 'content-type': 'application/java-archive' });
        res.end(payload);
      } else if (req.url === '/redirect.jar') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest' });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://fixture.test:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const lookup = async () => ['127.0.0.1'];

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

  it('does not follow redirects, and says whether a failure is permanent', async () => {
    const redirect = await obtainJar(parseJarLocation({ jarURI: `${base}/redirect.jar` }), {
      workDir,
      allowPrivateNetworks: true,
      lookup,
    }).catch((e: unknown) => e as JarSourceError);
    expect(redirect).toBeInstanceOf(JarSourceError);
    const missing = await obtainJar(parseJarLocation({ jarURI: `${base}/nope.jar` }), {
      workDir,
      allowPrivateNetworks: true,
      lookup,
    }).catch((e: unknown) => e as JarSourceError);
    expect((missing as JarSourceError).permanent).toBe(true);
    expect((missing as Error).message).toContain('HTTP 404');
  });

  it('caps the size of a download', async () => {
    const err = await obtainJar(parseJarLocation({ jarURI: `${base}/job.jar` }), {
      workDir,
      allowPrivateNetworks: true,
      lookup,
      maxBytes: 1000,
    }).catch((e: unknown) => e as JarSourceError);
    expect((err as Error).message).toContain('larger than 1000 bytes');
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
