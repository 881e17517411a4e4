/**
 * Without mount namespaces a process sees the host's filesystem, so a container's mount paths
 * (`/flink-data`, `/opt/flink/savepoints`) are mapped to per-pod or shared host directories and
 * every path the container is given (arguments, environment, Flink configuration) is rewritten
 * through this table: `file:///flink-data/sp` becomes `file:///<agent-dir>/shared/.../sp`.
 */
export interface MountMapping {
  readonly mountPath: string;
  readonly hostPath: string;
  readonly readOnly: boolean;
}

function normalize(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Rewrites a path-like value whose path starts at a mount path; other values pass unchanged. */
export function rewritePath(value: string, mounts: readonly MountMapping[]): string {
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const scheme of ['file://', 'file:', '']) {
    if (!value.startsWith(scheme)) continue;
    const path = value.slice(scheme.length);
    if (!path.startsWith('/')) continue;
    for (const m of sorted) {
      const mp = normalize(m.mountPath);
      if (path === mp || path.startsWith(`${mp}/`)) {
        return `${scheme}${normalize(m.hostPath)}${path.slice(mp.length)}`;
      }
    }
  }
  return value;
}

/** Rewrites every whitespace-, comma- or `=`-separated path inside a longer value (e.g. `-Dx=/data/y`). */
export function rewritePathsIn(value: string, mounts: readonly MountMapping[]): string {
  if (mounts.length === 0) return value;
  return value.replace(/(file:\/\/|file:)?\/[^\s,;=:"']*/g, (token) => rewritePath(token, mounts));
}
