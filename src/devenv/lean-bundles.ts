// The lean bundles: a long-running role's entry (src/cli/supervisor-main.ts, src/cli/operator-main.ts)
// and everything it imports, dependencies included, in one minified ES module (dist/supervisor.mjs,
// dist/operator.mjs), which bin/flinkvisor.js runs for `supervisor run` and `operator run`. One
// module instead of hundreds of files (@kubernetes/client-node alone is thousands) is what brings
// a supervisor's and the operator's resident memory down (docs/performance.md).
// Built by the image's bundle stage and `npm run build:bundles`, and before every local
// environment starts its node agent, so the e2e suite runs the bundles the image ships.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

/** Each lean bundle: its entry and the module built from it, relative to the project's root. */
export const LEAN_BUNDLES = {
  supervisor: { entry: join('src', 'cli', 'supervisor-main.ts'), outfile: join('dist', 'supervisor.mjs') },
  operator: { entry: join('src', 'cli', 'operator-main.ts'), outfile: join('dist', 'operator.mjs') },
} as const;
export type LeanBundle = keyof typeof LEAN_BUNDLES;

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Node's built-in modules, imported from ES modules, reached through `require` instead. An ES
 * import of a built-in reads every export of it, and some are lazy getters that load a great deal:
 * `import 'node:http'` loads Node's own copy of undici for http's WebSocket export (about 17 MiB
 * resident). `require` hands over the exports object and reads only what the code uses.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(build) {
    const names = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    build.onResolve({ filter: /^[a-z_:/0-9]+$/ }, (args) =>
      args.kind === 'import-statement' && names.has(args.path)
        ? { path: args.path, namespace: 'builtin-by-require' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** The state visualizer's page, read at run time from beside the module that serves it. */
const VISUALIZER_PAGE_FILES = ['page.html', 'page.js'];

/**
 * Builds a bundle (`<root>/dist/<name>.mjs`), its source map, its licences and the list of the files
 * it was built from (`<name>.mjs.inputs.json`, for leanBundleIsFresh). Each is written aside and
 * renamed into place, the bundle last, so a process starting meanwhile never reads half a file.
 */
export async function buildLeanBundle(name: LeanBundle, root: string = PROJECT_ROOT): Promise<string> {
  // esbuild is a devDependency: imported here, on demand, so the production CLI never needs it.
  const { build } = await import('esbuild');
  const outfile = join(root, LEAN_BUNDLES[name].outfile);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, LEAN_BUNDLES[name].entry)],
    outfile,
    write: false,
    metafile: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Minified identifiers too: 3 MiB less resident than whitespace and syntax alone; the source
    // map names the sources (Node reads it with --enable-source-maps).
    minify: true,
    sourcemap: 'linked',
    // Licence comments go to <name>.mjs.LEGAL.txt: one non-ASCII character among them (a
    // contributor's name) would make V8 hold the whole 3 MB source as two-byte characters.
    legalComments: 'external',
    charset: 'ascii',
    logLevel: 'warning',
    // The CommonJS dependencies `require` Node's built-ins; an ES module has no `require` of its own.
    plugins: [builtinsByRequire],
    banner: {
      js: "import { createRequire as flinkvisorRequire } from 'node:module'; const require = flinkvisorRequire(import.meta.url);",
    },
  });
  // The state visualizer reads its page from files beside its module (src/visualizer/page.ts,
  // `new URL('./page.html', import.meta.url)`): in a bundle that module is the bundle, so the files
  // go beside it, and count as inputs.
  const pageFiles = await Promise.all(
    VISUALIZER_PAGE_FILES.map(async (name) => ({
      path: join(dirname(outfile), name),
      contents: await readFile(join(root, 'src', 'visualizer', name)),
    })),
  );
  const inputs = [
    ...Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')),
    ...VISUALIZER_PAGE_FILES.map((name) => `src/visualizer/${name}`),
  ];
  const files = [
    ...pageFiles,
    { path: `${outfile}.inputs.json`, contents: `${JSON.stringify(inputs.sort(), null, 1)}\n` },
    ...result.outputFiles
      .map((f) => ({ path: f.path, contents: f.contents }))
      // The bundle last: whoever sees it finds the rest beside it.
      .sort((a, b) => Number(a.path === outfile) - Number(b.path === outfile)),
  ];
  await mkdir(dirname(outfile), { recursive: true });
  for (const file of files) {
    const partial = `${file.path}.${process.pid}.partial`;
    try {
      await writeFile(partial, file.contents);
      await rename(partial, file.path);
    } finally {
      await rm(partial, { force: true });
    }
  }
  return outfile;
}

/**
 * Whether the bundle is newer than everything it was built from: the files esbuild read, the
 * lock file (npm gives installed files a fixed old mtime, so an upgrade shows only there) and this
 * builder. Unreadable or missing means stale.
 */
export async function leanBundleIsFresh(name: LeanBundle, root: string = PROJECT_ROOT): Promise<boolean> {
  const outfile = join(root, LEAN_BUNDLES[name].outfile);
  try {
    const built = (await stat(outfile)).mtimeMs;
    const listed = JSON.parse(await readFile(`${outfile}.inputs.json`, 'utf8')) as unknown;
    if (!Array.isArray(listed) || listed.length === 0) return false;
    const inputs = [
      ...listed.map((input) => resolve(root, String(input))),
      join(root, 'package-lock.json'),
      fileURLToPath(import.meta.url),
    ];
    for (const input of inputs) if ((await stat(input)).mtimeMs >= built) return false;
    return true;
  } catch {
    return false;
  }
}

/** A bundle, built unless it is fresh (a local environment starting: a rebuild costs seconds). */
export async function ensureLeanBundle(name: LeanBundle, root: string = PROJECT_ROOT): Promise<string> {
  return (await leanBundleIsFresh(name, root))
    ? join(root, LEAN_BUNDLES[name].outfile)
    : buildLeanBundle(name, root);
}

/** Every lean bundle, each built unless it is fresh. */
export async function ensureLeanBundles(root: string = PROJECT_ROOT): Promise<string[]> {
  const built: string[] = [];
  for (const name of Object.keys(LEAN_BUNDLES) as LeanBundle[])
    built.push(await ensureLeanBundle(name, root));
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of Object.keys(LEAN_BUNDLES) as LeanBundle[]) {
    const started = performance.now();
    const outfile = await buildLeanBundle(name);
    process.stdout.write(`${outfile} (${Math.round(performance.now() - started)} ms)\n`);
  }
}
