import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findInSimpleIndex } from '../../../src/devenv/download.ts';
import { withFileLock } from '../../../src/devenv/file-lock.ts';
import { parseGoVersion } from '../../../src/devenv/go-toolchain.ts';
import { parseJavaMajor } from '../../../src/devenv/java-runtime.ts';
import { stagingModules, versionLdflags, wrapperGoMod } from '../../../src/devenv/kubernetes-binaries.ts';
import { ensureCacheEntry } from '../../../src/devenv/cache-entry.ts';
import { silentProgress } from '../../../src/devenv/progress.ts';
import { flinkRelease } from '../../../src/devenv/versions.ts';

describe('the Kubernetes wrapper module', () => {
  const goMod = [
    'module k8s.io/kubernetes',
    'replace (',
    '\tk8s.io/api => ./staging/src/k8s.io/api',
    '\tk8s.io/client-go => ./staging/src/k8s.io/client-go',
    ')',
    'replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl',
    'replace github.com/x/y => github.com/x/y v1.0.0',
  ].join('\n');

  it('replaces every staging module with its published tag', () => {
    const staged = stagingModules(goMod);
    expect(staged).toEqual(['k8s.io/api', 'k8s.io/client-go', 'k8s.io/kubectl']);
    const mod = wrapperGoMod('1.35.4', staged);
    expect(mod).toContain('require k8s.io/kubernetes v1.35.4');
    expect(mod).toContain('\tk8s.io/client-go => k8s.io/client-go v0.35.4');
    expect(mod).not.toContain('github.com/x/y');
  });

  it('stamps the version as hack/lib/version.sh does', () => {
    const flags = versionLdflags('1.35.4');
    expect(flags).toContain('-X k8s.io/component-base/version.gitVersion=v1.35.4');
    expect(flags).toContain('-X k8s.io/client-go/pkg/version.gitMinor=35');
  });
});

describe('tool and index parsing', () => {
  it('reads Go and Java versions', () => {
    expect(parseGoVersion('go version go1.26.8 linux/amd64')).toEqual([1, 26]);
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
  });

  it('finds a file and its sha256 in a PEP 503 page', () => {
    const html =
      '<a href="https://files.example/p/apache_flink-1.20.5.tar.gz#sha256=' +
      'a'.repeat(64) +
      '">x</a><a href="https://files.example/p/apache_flink-1.20.50.tar.gz#sha256=' +
      'b'.repeat(64) +
      '">y</a>';
    expect(findInSimpleIndex(html, 'apache_flink-1.20.5.tar.gz')).toEqual({
      url: 'https://files.example/p/apache_flink-1.20.5.tar.gz',
      sha256: 'a'.repeat(64),
    });
    expect(findInSimpleIndex(html, 'apache_flink-9.tar.gz')).toBeUndefined();
  });

  it('names the known Flink releases when asked for an unknown one', () => {
    expect(flinkRelease('1.20').version).toBe('1.20.5');
    expect(() => flinkRelease('1.17')).toThrow(/known: 1.20 \(1.20.5\), 2.3 \(2.3.0\)/);
  });
});

describe('the cache', () => {
  it('builds an entry once, even when two callers race, and leaves no staging directory', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'fv-cache-'));
    let builds = 0;
    const entry = () =>
      ensureCacheEntry({
        cacheDir,
        key: 'thing-1',
        label: 'thing',
        progress: silentProgress,
        build: async () => {
          builds++;
          await new Promise((r) => setTimeout(r, 50));
        },
      });
    const [a, b] = await Promise.all([entry(), entry()]);
    expect(a).toBe(b);
    expect(builds).toBe(1);
    expect((await readdir(cacheDir)).sort()).toEqual(['locks', 'thing-1']);
    await rm(cacheDir, { recursive: true });
  });

  it('keeps nothing from a failed build', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'fv-cache-'));
    await expect(
      ensureCacheEntry({
        cacheDir,
        key: 'bad-1',
        label: 'bad',
        progress: silentProgress,
        build: () => Promise.reject(new Error('no go')),
      }),
    ).rejects.toThrow('no go');
    expect((await readdir(cacheDir)).filter((f) => f.startsWith('bad'))).toEqual([]);
    await rm(cacheDir, { recursive: true });
  });

  it('breaks a lock whose owner is dead', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fv-lock-'));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(dir, 'l'));
    await writeFile(join(dir, 'l', 'pid'), '999999');
    expect(await withFileLock(join(dir, 'l'), { timeoutMs: 2000 }, async () => 'ran')).toBe('ran');
    await rm(dir, { recursive: true });
  });
});

describe('loopback addresses', () => {
  it('hands out distinct addresses and quarantines a released one', async () => {
    const { allocateLoopbackAddress } = await import('../../../src/devenv/loopback-addresses.ts');
    const registryDir = await mkdtemp(join(tmpdir(), 'fv-loop-'));
    const a = await allocateLoopbackAddress({ registryDir, ports: [], first: 200, last: 202 });
    const b = await allocateLoopbackAddress({ registryDir, ports: [], first: 200, last: 202 });
    expect(a.address).not.toBe(b.address);
    await a.release();
    const c = await allocateLoopbackAddress({ registryDir, ports: [], first: 200, last: 202 });
    expect([a.address, b.address]).not.toContain(c.address);
    await c.release();
    await b.release();
    await expect(allocateLoopbackAddress({ registryDir, ports: [], first: 200, last: 202 })).rejects.toThrow(
      'no free loopback address',
    );
    const again = await allocateLoopbackAddress({
      registryDir,
      ports: [],
      first: 200,
      last: 202,
      quarantineMs: 0,
    });
    expect(again.address).toMatch(/^127\.0\.0\.20[0-2]$/);
    await rm(registryDir, { recursive: true });
  });
});
