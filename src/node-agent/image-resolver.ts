/**
 * Which local runtime stands in for a container image. There are no container images on our
 * machines: Flink images run the cached Flink distribution of the same release line, the
 * Flinkvisor image runs this repository's CLI, `node` images run the project's Node.
 */
export type ImageRuntime =
  | { readonly kind: 'flink'; readonly line: string }
  | { readonly kind: 'flinkvisor' }
  | { readonly kind: 'node' }
  | { readonly kind: 'unsupported'; readonly reason: string };

export interface ImageMap {
  /** Repositories (without tag) that are Flink images, e.g. `flink`, `apache/flink`. */
  readonly flinkRepositories: readonly string[];
  /** Repositories that are the Flinkvisor image. */
  readonly flinkvisorRepositories: readonly string[];
  /** Exact image → Flink line overrides, e.g. `registry.local/my-flink:7` → `1.20`. */
  readonly flinkImages: Readonly<Record<string, string>>;
  /** Flink lines the cache holds, e.g. ['1.20', '2.3']. */
  readonly flinkLines: readonly string[];
}

export const DEFAULT_IMAGE_MAP: ImageMap = {
  flinkRepositories: ['flink', 'apache/flink', 'docker.io/library/flink', 'docker.io/apache/flink'],
  flinkvisorRepositories: ['flinkvisor', 'flinkvisor/flinkvisor', 'ghcr.io/flinkvisor/flinkvisor'],
  flinkImages: {},
  flinkLines: ['1.20', '2.3'],
};

export function splitImage(image: string): { repository: string; tag: string } {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

export function resolveImage(image: string, map: ImageMap): ImageRuntime {
  const override = map.flinkImages[image];
  if (override) return { kind: 'flink', line: override };
  const { repository, tag } = splitImage(image);
  if (map.flinkvisorRepositories.includes(repository)) return { kind: 'flinkvisor' };
  if (repository === 'node' || repository === 'docker.io/library/node') return { kind: 'node' };
  if (map.flinkRepositories.includes(repository)) {
    // Official tags: 1.20, 1.20.3, 1.20.3-scala_2.12-java17, 2.3-java17, latest ...
    const m = /^(\d+)\.(\d+)/.exec(tag);
    const line = m
      ? `${m[1]}.${m[2]}`
      : tag === 'latest'
        ? map.flinkLines[map.flinkLines.length - 1]
        : undefined;
    if (line && map.flinkLines.includes(line)) return { kind: 'flink', line };
    return {
      kind: 'unsupported',
      reason: `no local Flink distribution for ${image} (available lines: ${map.flinkLines.join(', ')})`,
    };
  }
  return { kind: 'unsupported', reason: `image ${image} is not runnable by the flinkvisor node agent` };
}
