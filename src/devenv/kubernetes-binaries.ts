import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { goWorkspace } from './go-toolchain.ts';
import type { Progress } from './progress.ts';

export const KUBERNETES_COMMANDS = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
] as const;
export type KubernetesCommand = (typeof KUBERNETES_COMMANDS)[number];

export interface KubernetesBinaries {
  readonly version: string;
  readonly paths: Readonly<Record<KubernetesCommand, string>>;
}

/**
 * `k8s.io/kubernetes` requires its staging modules at v0.0.0 and replaces them with local paths,
 * so it cannot be `go install`ed. A wrapper module requires it and replaces every staging module
 * with its published v0.<minor>.<patch> tag. The list comes from the module's own go.mod, so it
 * follows whichever staging modules a release has.
 */
export function stagingModules(kubernetesGoMod: string): string[] {
  const modules = new Set<string>();
  for (const line of kubernetesGoMod.split('\n')) {
    const m = /^\s*(?:replace\s+)?(k8s\.io\/[^\s]+)\s+=>\s+\.\/staging\/src\//.exec(line);
    if (m?.[1]) modules.add(m[1]);
  }
  return [...modules].sort();
}

export function wrapperGoMod(version: string, staging: readonly string[]): string {
  const stagingTag = `v0.${version.split('.').slice(1).join('.')}`;
  return [
    'module local/flinkvisor-kubernetes',
    '',
    'go 1.25.0',
    '',
    `require k8s.io/kubernetes v${version}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${stagingTag}`),
    ')',
    '',
  ].join('\n');
}

/** Version stamping as kubernetes' hack/lib/version.sh does it, so /version reports the real release. */
export function versionLdflags(version: string): string {
  const minor = version.split('.')[1] ?? '0';
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=v${version}`,
      `-X ${pkg}.gitMajor=1`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
  }
  return flags.join(' ');
}

export async function ensureKubernetesBinaries(
  cacheDir: string,
  version: string,
  progress: Progress,
  env: NodeJS.ProcessEnv,
): Promise<KubernetesBinaries> {
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `kubernetes-${version}`,
    label: `build Kubernetes ${version} (${KUBERNETES_COMMANDS.join(', ')}) from the Go module proxy`,
    progress,
    build: async (staging) => {
      const ws = await goWorkspace(staging, env);
      // Ask for k8s.io/kubernetes' own go.mod outside any module, so no module graph is loaded yet.
      const scratch = await mkdtemp(join(tmpdir(), 'flinkvisor-gomod-'));
      const info = await progress.step(`download k8s.io/kubernetes@v${version} module`, () =>
        ws.go(['mod', 'download', '-json', `k8s.io/kubernetes@v${version}`], scratch),
      );
      await rm(scratch, { recursive: true, force: true });
      const goModPath = (JSON.parse(info.stdout) as { GoMod: string }).GoMod;
      const staged = stagingModules(await readFile(goModPath, 'utf8'));
      if (staged.length < 20) throw new Error(`found only ${staged.length} staging modules in ${goModPath}`);
      await ws.writeGoMod(wrapperGoMod(version, staged));
      const packages = KUBERNETES_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`);
      await progress.step('resolve the dependency graph (go get)', () =>
        ws.go(['get', ...packages.map((p) => `${p}@v${version}`)]),
      );
      await progress.step(`compile ${KUBERNETES_COMMANDS.join(', ')}`, () =>
        ws.build(packages, { ldflags: versionLdflags(version), output: `${join(staging, 'bin')}/` }),
      );
    },
  });
  const paths = Object.fromEntries(KUBERNETES_COMMANDS.map((c) => [c, join(dir, 'bin', c)])) as Record<
    KubernetesCommand,
    string
  >;
  return { version, paths };
}
