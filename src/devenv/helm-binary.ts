import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { goWorkspace } from './go-toolchain.ts';
import type { Progress } from './progress.ts';

/**
 * Helm, for the chart tests (lint, template, install). Kept here rather than in versions.ts
 * because only the chart tests use it; bumping it changes the cache key like the others.
 */
export const HELM_VERSION = '3.22.0';

export interface HelmBinary {
  readonly version: string;
  readonly path: string;
}

const HELM_MODULE = 'helm.sh/helm/v3';

/**
 * The link-time stamps of helm's own Makefile: the release version, and the Kubernetes version
 * `helm template` and `helm lint` assume without a cluster (the client-go minor, plus one major).
 */
export function helmLdflags(version: string, clientGoVersion: string): string {
  const m = /^v0\.(\d+)\./.exec(clientGoVersion);
  if (!m) throw new Error(`unexpected k8s.io/client-go version ${clientGoVersion}`);
  const flags = ['-s', '-w'];
  flags.push(
    `-X ${HELM_MODULE}/internal/version.version=v${version}`,
    `-X ${HELM_MODULE}/internal/version.metadata=`,
    `-X ${HELM_MODULE}/internal/version.gitTreeState=clean`,
  );
  for (const pkg of ['pkg/lint/rules', 'pkg/chartutil']) {
    flags.push(
      `-X ${HELM_MODULE}/${pkg}.k8sVersionMajor=1`,
      `-X ${HELM_MODULE}/${pkg}.k8sVersionMinor=${m[1]}`,
    );
  }
  return flags.join(' ');
}

/**
 * helm v3's go.mod has no replace directives, so a wrapper module that requires it resolves the
 * same graph as helm's own build; `go build` of its cmd/helm then gives the release binary.
 */
export async function ensureHelmBinary(
  cacheDir: string,
  version: string,
  progress: Progress,
  env: NodeJS.ProcessEnv,
): Promise<HelmBinary> {
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `helm-${version}`,
    label: `build helm ${version} from the Go module proxy`,
    progress,
    build: async (staging) => {
      const ws = await goWorkspace(staging, env);
      await ws.writeGoMod('module local/flinkvisor-helm\n\ngo 1.26.0\n');
      await progress.step(`resolve ${HELM_MODULE}@v${version} (go get)`, () =>
        ws.go(['get', `${HELM_MODULE}/cmd/helm@v${version}`]),
      );
      const clientGo = await ws.go(['list', '-m', '-f', '{{.Version}}', 'k8s.io/client-go']);
      await progress.step('compile helm', () =>
        ws.build([`${HELM_MODULE}/cmd/helm`], {
          ldflags: helmLdflags(version, clientGo.stdout.trim()),
          output: join(staging, 'bin', 'helm'),
        }),
      );
    },
  });
  return { version, path: join(dir, 'bin', 'helm') };
}
