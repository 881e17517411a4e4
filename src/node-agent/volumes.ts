import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { MountMapping } from './volume-paths.ts';

/** Reads what volumes reference; the node agent backs it with its API client. */
export interface VolumeSources {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** A token for the pod's ServiceAccount (projected serviceAccountToken sources). */
  serviceAccountToken(
    pod: V1Pod,
    audience: string | undefined,
    expirationSeconds: number | undefined,
  ): Promise<string | undefined>;
}

export class VolumeError extends Error {}

function safeJoin(root: string, relative: string): string {
  const target = normalize(join(root, relative));
  if (!target.startsWith(`${normalize(root)}/`) && target !== normalize(root)) {
    throw new VolumeError(`path ${relative} escapes its volume`);
  }
  return target;
}

async function writeItems(
  dir: string,
  data: Record<string, string>,
  items: readonly { key: string; path: string }[] | undefined,
  mode: number,
): Promise<void> {
  const pairs = items?.length ? items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
  for (const [path, value] of pairs) {
    if (value === undefined) continue;
    const file = safeJoin(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, value, { mode });
  }
}

export interface VolumeLayout {
  /** This pod's private directory. */
  readonly podDir: string;
  /** Shared by every pod on the node: hostPath volumes live under it, so they outlive pods. */
  readonly sharedDir: string;
}

/** Where each volume lives on the host; content is materialized for configMap, secret and projected volumes. */
export async function materializeVolumes(
  pod: V1Pod,
  layout: VolumeLayout,
  sources: VolumeSources,
): Promise<Map<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const dirs = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    dirs.set(volume.name, await materializeVolume(volume, namespace, pod, layout, sources));
  }
  return dirs;
}

async function materializeVolume(
  volume: V1Volume,
  namespace: string,
  pod: V1Pod,
  layout: VolumeLayout,
  sources: VolumeSources,
): Promise<string> {
  const own = join(layout.podDir, 'volumes', volume.name);
  if (volume.hostPath) {
    const dir = safeJoin(join(layout.sharedDir, 'host'), volume.hostPath.path);
    await mkdir(dir, { recursive: true });
    return dir;
  }
  if (volume.persistentVolumeClaim) {
    const dir = join(layout.sharedDir, 'pvc', namespace, volume.persistentVolumeClaim.claimName);
    await mkdir(dir, { recursive: true });
    return dir;
  }
  await mkdir(own, { recursive: true });
  if (volume.configMap) {
    const data = await sources.configMap(namespace, volume.configMap.name ?? '');
    if (!data && !volume.configMap.optional)
      throw new VolumeError(`configmap "${volume.configMap.name}" not found`);
    await writeItems(own, data ?? {}, volume.configMap.items, 0o644);
  } else if (volume.secret) {
    const data = await sources.secret(namespace, volume.secret.secretName ?? '');
    if (!data && !volume.secret.optional)
      throw new VolumeError(`secret "${volume.secret.secretName}" not found`);
    await chmod(own, 0o700);
    await writeItems(own, data ?? {}, volume.secret.items, 0o600);
  } else if (volume.projected) {
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const token = await sources.serviceAccountToken(
          pod,
          source.serviceAccountToken.audience,
          source.serviceAccountToken.expirationSeconds,
        );
        if (token) await writeItems(own, { [source.serviceAccountToken.path]: token }, undefined, 0o600);
      } else if (source.configMap) {
        const data = await sources.configMap(namespace, source.configMap.name ?? '');
        await writeItems(own, data ?? {}, source.configMap.items, 0o644);
      } else if (source.secret) {
        const data = await sources.secret(namespace, source.secret.name ?? '');
        await writeItems(own, data ?? {}, source.secret.items, 0o600);
      } else if (source.downwardAPI) {
        const data: Record<string, string> = {};
        for (const item of source.downwardAPI.items ?? []) {
          if (item.fieldRef?.fieldPath === 'metadata.namespace') data[item.path] = namespace;
          if (item.fieldRef?.fieldPath === 'metadata.name') data[item.path] = pod.metadata?.name ?? '';
        }
        await writeItems(own, data, undefined, 0o644);
      }
    }
  }
  return own;
}

/** The mounts of one container, resolved to host directories (subPath honoured). */
export function containerMounts(
  container: V1Container,
  volumeDirs: ReadonlyMap<string, string>,
): MountMapping[] {
  const mounts: MountMapping[] = [];
  for (const m of container.volumeMounts ?? []) {
    const dir = volumeDirs.get(m.name);
    if (!dir) throw new VolumeError(`container ${container.name} mounts unknown volume "${m.name}"`);
    mounts.push({
      mountPath: m.mountPath,
      hostPath: m.subPath ? safeJoin(dir, m.subPath) : dir,
      readOnly: m.readOnly ?? false,
    });
  }
  return mounts;
}
