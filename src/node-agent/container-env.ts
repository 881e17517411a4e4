import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { VolumeSources } from './volumes.ts';

export class EnvError extends Error {}

export interface PodFacts {
  readonly podIp: string;
  readonly nodeName: string;
  readonly hostIp: string;
}

function fieldValue(pod: V1Pod, facts: PodFacts, fieldPath: string): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const [, which, key] = labelOrAnnotation;
    const bag = which === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return bag?.[key ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return facts.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return facts.podIp;
    case 'status.hostIP':
      return facts.hostIp;
    case 'status.podIPs':
      return facts.podIp;
    default:
      throw new EnvError(`unsupported fieldRef ${fieldPath}`);
  }
}

/** Kubernetes' `$(VAR)` expansion: known names expand, `$$` escapes, unknown references stay as written. */
export function expandReferences(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in env ? (env[name] ?? '') : match;
  });
}

/** The container's environment as the kubelet builds it: envFrom first, then env in order. */
export async function containerEnvironment(
  pod: V1Pod,
  container: V1Container,
  facts: PodFacts,
  sources: VolumeSources,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const data = await sources.configMap(namespace, from.configMapRef.name ?? '');
      if (!data && !from.configMapRef.optional)
        throw new EnvError(`configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(data ?? {})) env[`${prefix}${k}`] = v;
    }
    if (from.secretRef) {
      const data = await sources.secret(namespace, from.secretRef.name ?? '');
      if (!data && !from.secretRef.optional) throw new EnvError(`secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(data ?? {})) env[`${prefix}${k}`] = v;
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = expandReferences(e.value, env);
      continue;
    }
    const from = e.valueFrom;
    if (!from) {
      env[e.name] = '';
    } else if (from.fieldRef) {
      env[e.name] = fieldValue(pod, facts, from.fieldRef.fieldPath);
    } else if (from.configMapKeyRef) {
      const data = await sources.configMap(namespace, from.configMapKeyRef.name ?? '');
      const v = data?.[from.configMapKeyRef.key];
      if (v === undefined && !from.configMapKeyRef.optional) {
        throw new EnvError(
          `configmap key ${from.configMapKeyRef.name}/${from.configMapKeyRef.key} not found`,
        );
      }
      if (v !== undefined) env[e.name] = v;
    } else if (from.secretKeyRef) {
      const data = await sources.secret(namespace, from.secretKeyRef.name ?? '');
      const v = data?.[from.secretKeyRef.key];
      if (v === undefined && !from.secretKeyRef.optional) {
        throw new EnvError(`secret key ${from.secretKeyRef.name}/${from.secretKeyRef.key} not found`);
      }
      if (v !== undefined) env[e.name] = v;
    } else if (from.resourceFieldRef) {
      env[e.name] = '0';
    }
  }
  return env;
}
