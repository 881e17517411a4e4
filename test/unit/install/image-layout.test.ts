// The image without a container engine: the Dockerfile's runtime stage is replayed into a temporary
// directory (its COPY steps from the build context filtered by .dockerignore, the dependencies
// stage's `npm ci --omit=dev` run for real, the example jars taken from the local cache after
// checking the Dockerfile's checksums), then the CLI starts from that layout for every role.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_ARTIFACT_SOURCES,
  ensureFlinkDistribution,
  exampleJarUrl,
} from '../../../src/devenv/flink-distribution.ts';
import { PROJECT_ROOT } from '../../../src/devenv/node-agent-process.ts';
import { defaultCacheDir } from '../../../src/devenv/prepare.ts';
import { consoleProgress } from '../../../src/devenv/progress.ts';
import { runCommand } from '../../../src/devenv/run-command.ts';
import { FLINK_EXAMPLE_JOBS, FLINK_RELEASES } from '../../../src/devenv/versions.ts';
import { OPERATOR_CHART_DIRECTORY } from '../../../src/install/chart-files.ts';
import { parseDockerfile, type Dockerfile } from '../../../src/install/dockerfile.ts';
import { readDockerignore, reproduceStage, type StageLayout } from '../../../src/install/image-layout.ts';
import { FLINKVISOR_VERSION } from '../../../src/version.ts';

const NODE = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
let dockerfile: Dockerfile;
let out: string;
let layout: StageLayout;
let packageJson: { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The jar an `ADD <url>` fetches, from the local environment's cache (fetched and verified by devenv prepare). */
async function exampleJar(url: string, checksum: string | undefined): Promise<string> {
  for (const release of FLINK_RELEASES) {
    for (const job of FLINK_EXAMPLE_JOBS) {
      if (exampleJarUrl(DEFAULT_ARTIFACT_SOURCES, release.examplesVersion, job) !== url) continue;
      const flink = await ensureFlinkDistribution(
        defaultCacheDir(process.env),
        release,
        DEFAULT_ARTIFACT_SOURCES,
        consoleProgress((l) => process.stderr.write(`${l}\n`)),
      );
      const path = flink.examples[job];
      const sha256 = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      if (checksum !== `sha256:${sha256}`)
        throw new Error(`${url}: the Dockerfile says ${checksum}, the jar is sha256:${sha256}`);
      return path;
    }
  }
  throw new Error(`the Dockerfile ADDs ${url}, which is not a Flink example jar of versions.ts`);
}

async function flinkvisor(...args: string[]): Promise<string> {
  const [command, script] = layout.entrypoint ?? [];
  expect(command).toBe('node');
  // The base image's node is Node 26, like the project's own (checked below).
  const { stdout } = await runCommand(NODE, [layout.hostPath(script ?? ''), ...args], {
    cwd: out,
    env: { PATH: process.env['PATH'] ?? '', HOME: out, ...layout.env },
    timeoutMs: 60_000,
  });
  return stdout;
}

beforeAll(async () => {
  dockerfile = parseDockerfile(await readFile(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
  packageJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as typeof packageJson;
  out = await mkdtemp(join(tmpdir(), 'flinkvisor-image-'));
  layout = await reproduceStage(dockerfile, 'runtime', out, {
    contextDir: PROJECT_ROOT,
    dockerignore: await readDockerignore(PROJECT_ROOT),
    remoteFile: exampleJar,
    run: async (command, cwd, env) => {
      // The Dockerfile's own RUN line; npm prefers its cache, so a warm machine needs no registry.
      await runCommand('sh', ['-c', command], {
        cwd,
        env: {
          ...process.env,
          ...env,
          PATH: [dirname(NODE), process.env['PATH'] ?? ''].join(delimiter),
          npm_config_prefer_offline: 'true',
        },
        timeoutMs: 300_000,
      });
    },
  });
}, 600_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the Dockerfile', () => {
  it('builds dependencies, the supervisor bundle, examples and a runtime stage, all on one pinned Node 24+ slim base', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['dependencies', 'bundle', 'examples', 'runtime']);
    const [dependencies, bundle, , runtime] = dockerfile.stages;
    expect(runtime?.from).toBe(dependencies?.from);
    expect(bundle?.from).toBe(dependencies?.from);
    const m = /^node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/.exec(runtime?.from ?? '');
    expect(m, `runtime base ${runtime?.from} is pinned to an exact slim tag`).not.toBeNull();
    const major = Number(m?.[1]);
    expect(major).toBeGreaterThanOrEqual(24);
    // The image runs the Node the tests run (the `node` devDependency).
    expect(`${m?.[1]}.${m?.[2]}.${m?.[3]}`).toBe(packageJson.devDependencies['node']);
  });

  it('runs as a numeric non-root user, the UID the charts and supervisor pods run as', async () => {
    expect(layout.user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = (layout.user ?? '').split(':').map(Number);
    expect(uid).not.toBe(0);
    const values = parse(await readFile(join(OPERATOR_CHART_DIRECTORY, 'values.yaml'), 'utf8')) as {
      operator: { podSecurityContext: { runAsUser: number; runAsGroup: number } };
    };
    expect(values.operator.podSecurityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid });
  });
});

describe('the runtime layout', () => {
  it('holds the production dependencies, the CLI sources, the lean bundles and the example jobs, and nothing else', async () => {
    const root = layout.hostPath(layout.workdir);
    expect((await readdir(root)).sort()).toEqual([
      'bin',
      'dist',
      'examples',
      'node_modules',
      'package.json',
      'src',
    ]);
    expect((await readdir(join(root, 'dist'))).sort()).toEqual([
      'operator.mjs',
      'operator.mjs.LEGAL.txt',
      'operator.mjs.inputs.json',
      'operator.mjs.map',
      'page.html',
      'page.js',
      'supervisor.mjs',
      'supervisor.mjs.LEGAL.txt',
      'supervisor.mjs.inputs.json',
      'supervisor.mjs.map',
    ]);
    // Exactly the production closure of package-lock.json: every package npm marks dev-only is absent.
    const lock = JSON.parse(await readFile(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const installed = (path: string) => existsSync(join(root, path, 'package.json'));
    let production = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.startsWith('node_modules/') || entry.optional || entry.devOptional) continue;
      expect(installed(path), path).toBe(!entry.dev);
      if (!entry.dev) production += 1;
    }
    expect(production).toBeGreaterThan(Object.keys(packageJson.dependencies).length);
    for (const dev of ['vitest', 'typescript', 'eslint', 'prettier', 'node']) {
      expect(installed(`node_modules/${dev}`), dev).toBe(false);
    }
    for (const release of FLINK_RELEASES) {
      expect((await readdir(join(root, 'examples', release.line))).sort()).toEqual(
        FLINK_EXAMPLE_JOBS.map((j) => `${j}.jar`).sort(),
      );
    }
    expect(layout.env['NODE_ENV']).toBe('production');
  });

  it('starts `flinkvisor --version`', async () => {
    expect((await flinkvisor('--version')).trim()).toBe(FLINKVISOR_VERSION);
  }, 60_000);

  it('starts `flinkvisor operator run --help`, and the supervisor and bootstrap commands of the same image', async () => {
    const operator = await flinkvisor('operator', 'run', '--help');
    for (const flag of [
      '--namespaces',
      '--all-namespaces',
      '--api-tls-cert',
      '--api-insecure-http',
      '--supervisor-arg',
    ]) {
      expect(operator).toContain(flag);
    }
    expect(await flinkvisor('supervisor', 'run', '--help')).toContain('--cluster-name');
    expect(await flinkvisor('bootstrap', 'run', '--help')).toContain('--jar-path');
  }, 120_000);

  it('runs `supervisor run` and `operator run` from their bundles alone: without the sources and node_modules they still start, the rest of the CLI does not', async () => {
    const root = layout.hostPath(layout.workdir);
    const aside = `${root}-aside`;
    await mkdir(aside);
    await rename(join(root, 'src'), join(aside, 'src'));
    await rename(join(root, 'node_modules'), join(aside, 'node_modules'));
    try {
      expect(await flinkvisor('supervisor', 'run', '--help')).toContain('--cluster-name');
      expect(await flinkvisor('operator', 'run', '--help')).toContain('--embedded-supervisors');
      await expect(flinkvisor('bootstrap', 'run', '--help')).rejects.toThrow();
    } finally {
      await rename(join(aside, 'src'), join(root, 'src'));
      await rename(join(aside, 'node_modules'), join(root, 'node_modules'));
      await rm(aside, { recursive: true, force: true });
    }
  }, 120_000);
});
