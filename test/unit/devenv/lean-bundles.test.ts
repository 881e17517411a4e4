// The lean bundles, built by esbuild from a small stand-in project: what they run, what they leave
// out of memory, and when a local environment rebuilds them.
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/devenv/node-agent-process.ts';
import { runCommand } from '../../../src/devenv/run-command.ts';
import {
  buildLeanBundle,
  ensureLeanBundle,
  ensureLeanBundles,
  LEAN_BUNDLES,
  leanBundleIsFresh,
} from '../../../src/devenv/lean-bundles.ts';

const NODE = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
// Stands for src/cli/supervisor-main.ts: an ES import of node:http, a licence comment and a string
// with non-ASCII characters, an import of a sibling module.
const ENTRY = `/*! stand-in. MIT License. Jimmy Wärting */
import { STATUS_CODES } from 'node:http';
import { greeting } from './greeting.ts';
import { page } from '../visualizer/page.ts';
const undici = process.moduleLoadList.includes('NativeModule internal/deps/undici/undici');
console.log(JSON.stringify({ status: STATUS_CODES[404], greeting, undici, page: page() }));
`;
// Stands for src/cli/operator-main.ts: it shares a module with the supervisor's entry.
const OPERATOR_ENTRY = `import { greeting } from './greeting.ts';
console.log(JSON.stringify({ role: 'operator', greeting }));
`;
// Stands for src/visualizer/page.ts: it reads its page from files beside its module.
const PAGE = `import { readFileSync } from 'node:fs';
export const page = () =>
  readFileSync(new URL('./page.html', import.meta.url), 'utf8') + readFileSync(new URL('./page.js', import.meta.url), 'utf8');
`;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'flinkvisor-bundle-'));
  await mkdir(join(root, 'src', 'cli'), { recursive: true });
  await writeFile(join(root, 'src', 'cli', 'supervisor-main.ts'), ENTRY);
  await writeFile(join(root, 'src', 'cli', 'operator-main.ts'), OPERATOR_ENTRY);
  await writeFile(
    join(root, 'src', 'cli', 'greeting.ts'),
    "export const greeting: string = 'hello → world';\n",
  );
  await mkdir(join(root, 'src', 'visualizer'), { recursive: true });
  await writeFile(join(root, 'src', 'visualizer', 'page.ts'), PAGE);
  await writeFile(join(root, 'src', 'visualizer', 'page.html'), '<p>machines</p>');
  await writeFile(join(root, 'src', 'visualizer', 'page.js'), '// live');
  await writeFile(join(root, 'package-lock.json'), '{}\n');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Moves a file's mtime `seconds` into the future, as an edit after the build would. */
async function touch(path: string, seconds = 60): Promise<void> {
  const later = new Date(Date.now() + seconds * 1000);
  await utimes(path, later, later);
}

describe('buildLeanBundle', () => {
  it('bundles the entry and its imports into one ASCII-only module, licences and map beside it', async () => {
    const outfile = await buildLeanBundle('supervisor', root);
    expect(outfile).toBe(join(root, LEAN_BUNDLES.supervisor.outfile));
    const { stdout } = await runCommand(NODE, [outfile], { cwd: root, timeoutMs: 30_000 });
    const ran = JSON.parse(stdout) as { status: string; greeting: string; undici: boolean; page: string };
    // The visualizer's page files travel beside the bundle, where its module now is.
    expect(ran).toMatchObject({
      status: 'Not Found',
      greeting: 'hello → world',
      page: '<p>machines</p>// live',
    });
    // node:http reached through require: Node's own undici (http's lazy WebSocket export) stays unloaded.
    expect(ran.undici).toBe(false);
    // One non-ASCII character would make V8 hold the whole source as two-byte characters.
    expect([...(await readFile(outfile))].every((byte) => byte < 0x80)).toBe(true);
    expect(await readFile(`${outfile}.LEGAL.txt`, 'utf8')).toContain('Jimmy Wärting');
    expect(JSON.parse(await readFile(`${outfile}.map`, 'utf8'))).toMatchObject({
      sources: expect.arrayContaining(['../src/cli/supervisor-main.ts']),
    });
    expect(JSON.parse(await readFile(`${outfile}.inputs.json`, 'utf8'))).toEqual([
      'src/cli/greeting.ts',
      'src/cli/supervisor-main.ts',
      'src/visualizer/page.html',
      'src/visualizer/page.js',
      'src/visualizer/page.ts',
    ]);
  }, 60_000);
});

describe('ensureLeanBundle', () => {
  it('rebuilds only when a source, the lock file or nothing at all says the bundle is stale', async () => {
    expect(await leanBundleIsFresh('supervisor', root)).toBe(false);
    const outfile = await ensureLeanBundle('supervisor', root);
    expect(await leanBundleIsFresh('supervisor', root)).toBe(true);
    const built = await readFile(outfile, 'utf8');

    await writeFile(join(root, 'src', 'cli', 'greeting.ts'), "export const greeting: string = 'changed';\n");
    await touch(join(root, 'src', 'cli', 'greeting.ts'));
    expect(await leanBundleIsFresh('supervisor', root)).toBe(false);
    await ensureLeanBundle('supervisor', root);
    const rebuilt = await readFile(outfile, 'utf8');
    expect(rebuilt).not.toBe(built);
    expect(rebuilt).toContain('changed');

    // A dependency upgraded: npm gives its files an old fixed mtime; only the lock file is newer.
    await touch(outfile, 60);
    expect(await leanBundleIsFresh('supervisor', root)).toBe(true);
    await touch(join(root, 'package-lock.json'), 120);
    expect(await leanBundleIsFresh('supervisor', root)).toBe(false);

    await ensureLeanBundle('supervisor', root);
    await rm(`${outfile}.inputs.json`);
    expect(await leanBundleIsFresh('supervisor', root)).toBe(false);
  }, 60_000);
});

describe('ensureLeanBundles', () => {
  it('builds each role its own bundle from its own entry; a change to a shared module makes both stale', async () => {
    const [supervisor, operator] = await ensureLeanBundles(root);
    expect([supervisor, operator]).toEqual([
      join(root, LEAN_BUNDLES.supervisor.outfile),
      join(root, LEAN_BUNDLES.operator.outfile),
    ]);
    const { stdout } = await runCommand(NODE, [operator ?? ''], { cwd: root, timeoutMs: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ role: 'operator', greeting: 'hello → world' });
    // Its own entry, not the supervisor's (the visualizer's page files go beside every bundle).
    expect(JSON.parse(await readFile(`${operator}.inputs.json`, 'utf8'))).toEqual([
      'src/cli/greeting.ts',
      'src/cli/operator-main.ts',
      'src/visualizer/page.html',
      'src/visualizer/page.js',
    ]);
    expect(await leanBundleIsFresh('operator', root)).toBe(true);
    await touch(join(root, 'src', 'cli', 'greeting.ts'));
    expect(await leanBundleIsFresh('operator', root)).toBe(false);
    expect(await leanBundleIsFresh('supervisor', root)).toBe(false);
  }, 60_000);
});
