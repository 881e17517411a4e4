// The lean supervisor bundle: src/cli/supervisor-main.ts and everything it imports, dependencies
// included, in one minified ES module (dist/supervisor.mjs), which bin/flinkvisor.js runs for
// `supervisor run`. One module instead of hundreds of files (@kubernetes/client-node alone is
// thousands) is what brings the supervisor's resident memory down (docs/performance.md).
// Built by the image's bundle stage and `npm run build:supervisor`, and before every local
// environment starts its node agent, so the e2e suite runs the bundle the image ships.
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SUPERVISOR_BUNDLE = join('dist', 'supervisor.mjs');

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
      logLevel: 'warning',
      // The CommonJS dependencies `require` Node's built-ins; an ES module has no `require` of its own.
      banner: {
        js: "import { createRequire as flinkvisorRequire } from 'node:module'; const require = flinkvisorRequire(import.meta.url);",
      },
    });
    await rename(join(scratch, `${basename(outfile)}.map`), `${outfile}.map`);
    await rename(join(scratch, basename(outfile)), outfile);
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
