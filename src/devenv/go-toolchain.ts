import { runCommand, ToolMissingError } from './run-command.ts';

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
