// The lean supervisor bundle: src/cli/supervisor-main.ts and everything it imports, dependencies
// included, in one minified ES module (dist/supervisor.mjs), which bin/flinkvisor.js runs for
// `supervisor run`. One module instead of hundreds of files (@kubernetes/client-node alone is
// thousands) is what brings the supervisor's resident memory down (docs/performance.md).
// Built by the image's bundle stage and `npm run build:supervisor`, and before every local
// environment starts its node agent, so the e2e suite runs the bundle the image ships.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

export const SUPERVISOR_BUNDLE = join('dist', 'supervisor.mjs');

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

/**
 * Builds `<root>/dist/supervisor.mjs`, its source map, its licences and the list of the files it was
 * built from (`supervisor.mjs.inputs.json`, for supervisorBundleIsFresh). Each is written aside
 * and renamed into place, the bundle last, so a process starting meanwhile never reads half a file.
 */
/** The state visualizer's page, read at run time from beside the module that serves it. */
const VISUALIZER_PAGE_FILES = ['page.html', 'page.js'];

export async function buildSupervisorBundle(root: string = PROJECT_ROOT): Promise<string> {
  // esbuild is a devDependency: imported here, on demand, so the production CLI never needs it.
  const { build } = await import('esbuild');
  const outfile = join(root, SUPERVISOR_BUNDLE);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'cli', 'supervisor-main.ts')],
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
    // Licence comments go to supervisor.mjs.LEGAL.txt: one non-ASCII character among them (a
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
  // `new URL('./page.html', import.meta.url)`): in the bundle that module is supervisor.mjs, so
  // the files go beside it, and count as inputs.
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
export async function supervisorBundleIsFresh(root: string = PROJECT_ROOT): Promise<boolean> {
  const outfile = join(root, SUPERVISOR_BUNDLE);
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

/** The bundle, built unless it is fresh (a local environment starting: a rebuild costs seconds). */
export async function ensureSupervisorBundle(root: string = PROJECT_ROOT): Promise<string> {
  return (await supervisorBundleIsFresh(root)) ? join(root, SUPERVISOR_BUNDLE) : buildSupervisorBundle(root);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const outfile = await buildSupervisorBundle();
  process.stdout.write(`${outfile} (${Math.round(performance.now() - started)} ms)\n`);
}
