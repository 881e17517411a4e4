import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, ToolMissingError, type RunResult } from './run-command.ts';

/** The Go toolchain the Kubernetes and etcd builds need, checked before any work starts. */
export const MINIMUM_GO = [1, 24] as const;

export function parseGoVersion(output: string): [number, number] | undefined {
  const m = /go(\d+)\.(\d+)/.exec(output);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export async function requireGo(env: NodeJS.ProcessEnv): Promise<string> {
  let out: string;
  try {
    out = (await runCommand('go', ['version'], { env })).stdout;
  } catch (err) {
    if (err instanceof ToolMissingError) {
      throw new ToolMissingError(
        `Go ${MINIMUM_GO.join('.')} or newer is needed to build etcd and Kubernetes from the Go module proxy, and "go" is not on PATH`,
      );
    }
    throw err;
  }
  const v = parseGoVersion(out);
  if (!v || v[0] < MINIMUM_GO[0] || (v[0] === MINIMUM_GO[0] && v[1] < MINIMUM_GO[1])) {
    throw new ToolMissingError(`Go ${MINIMUM_GO.join('.')} or newer is needed; found: ${out.trim()}`);
  }
  return out.trim();
}

/** Environment for module-mode builds of static binaries from the module proxy. */
export function goBuildEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOTOOLCHAIN: base['GOTOOLCHAIN'] ?? 'local' };
}

/** A wrapper Go module inside a cache entry's staging directory, with `go` run in it and logged. */
export interface GoWorkspace {
  readonly moduleDir: string;
  /** Runs `go <args>` in the module (or in `cwd`), appending its output to the entry's build.log. */
  go(args: readonly string[], cwd?: string): Promise<RunResult>;
  writeGoMod(content: string): Promise<void>;
  /**
   * `go build -p 2 -trimpath -ldflags <ldflags> -o <output> <packages>`: static, reproducible paths,
   * and at most two packages compiled at once, which bounds the memory a Kubernetes build takes.
   */
  build(packages: readonly string[], options: { ldflags: string; output: string }): Promise<RunResult>;
}

/** Checks the toolchain and prepares `<staging>/module`; the binaries are built into `<staging>/bin`. */
export async function goWorkspace(staging: string, env: NodeJS.ProcessEnv): Promise<GoWorkspace> {
  await requireGo(env);
  const buildEnv = goBuildEnv(env);
  const logFile = join(staging, 'build.log');
  const moduleDir = join(staging, 'module');
  await mkdir(moduleDir, { recursive: true });
  await mkdir(join(staging, 'bin'), { recursive: true });
  return {
    moduleDir,
    go: (args, cwd = moduleDir) => runCommand('go', [...args], { cwd, env: buildEnv, logFile }),
    writeGoMod: (content) => writeFile(join(moduleDir, 'go.mod'), content),
    build: (packages, { ldflags, output }) =>
      runCommand('go', ['build', '-p', '2', '-trimpath', '-ldflags', ldflags, '-o', output, ...packages], {
        cwd: moduleDir,
        env: buildEnv,
        logFile,
      }),
  };
}
