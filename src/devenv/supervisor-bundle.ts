// The lean supervisor bundle: src/cli/supervisor-main.ts and everything it imports, dependencies
// included, in one minified ES module (dist/supervisor.mjs), which bin/flinkvisor.js runs for
// `supervisor run`. One module instead of hundreds of files (@kubernetes/client-node alone is
// thousands) is what brings the supervisor's resident memory down (docs/performance.md).
// Built by the image's bundle stage and `npm run build:supervisor`, and before every local
// environment starts its node agent, so the e2e suite runs the bundle the image ships.
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join } from 'node:path';
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
 * Builds `<root>/dist/supervisor.mjs` and its source map: written in a directory of their own, then
 * renamed into place, so a process starting meanwhile never reads half a file.
 */
export async function buildSupervisorBundle(root: string = PROJECT_ROOT): Promise<string> {
  // esbuild is a devDependency: imported here, on demand, so the production CLI never needs it.
  const { build } = await import('esbuild');
  const outfile = join(root, SUPERVISOR_BUNDLE);
  await mkdir(dirname(outfile), { recursive: true });
  const scratch = await mkdtemp(`${outfile}.`);
  try {
    await build({
      absWorkingDir: root,
      entryPoints: [join(root, 'src', 'cli', 'supervisor-main.ts')],
      outfile: join(scratch, basename(outfile)),
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
    // The bundle last: whoever sees it finds its map and licences beside it.
    const files = (await readdir(scratch)).sort(
      (a, b) => Number(a === basename(outfile)) - Number(b === basename(outfile)),
    );
    for (const file of files) await rename(join(scratch, file), join(dirname(outfile), file));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const outfile = await buildSupervisorBundle();
  process.stdout.write(`${outfile} (${Math.round(performance.now() - started)} ms)\n`);
}
