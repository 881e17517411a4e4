import { ApiException } from '@kubernetes/client-node';
import { FLINK_CLUSTER, FLINK_JOB, type KindNames } from '../../../src/api/names.ts';
import { applyMergePatch } from '../../../src/control-api/merge-patch.ts';
import type { ResourceStore, StoredObject } from '../../../src/control-api/resource-store.ts';

/** A Kubernetes-shaped failure, as client-node throws it (src/kube/errors.ts reads these). */
export function apiError(code: number, reason: string, message: string): ApiException<string> {
  return new ApiException(code, message, JSON.stringify({ kind: 'Status', code, reason, message }), {});
}

/**
 * The control API's ResourceStore in memory, with the API server's rules that matter here:
 * resourceVersion preconditions (409), AlreadyExists, generation bumps on spec changes, merge
 * patches, and the scale subresource writing spec.taskManagers / spec.jobParallelism.
 */
export class MemoryStore implements ResourceStore {
  readonly objects = new Map<string, StoredObject>();
  readonly writes: { op: string; kind: string; name: string; body?: unknown }[] = [];
  #version = 1;
  /** Called before each patch: tests change the object behind the writer's back. */
  beforePatch: ((kind: KindNames, name: string) => void) | undefined;

  #key(kind: KindNames, namespace: string, name: string): string {
    return `${kind.plural}/${namespace}/${name}`;
  }

  put(kind: KindNames, namespace: string, obj: StoredObject): StoredObject {
    const name = obj.metadata.name ?? '';
    const stored: StoredObject = structuredClone({
      ...obj,
      metadata: {
        generation: 1,
        creationTimestamp: '2026-11-20T10:00:00Z' as unknown as Date,
        ...obj.metadata,
        name,
        namespace,
        resourceVersion: String(this.#version++),
      },
    });
    this.objects.set(this.#key(kind, namespace, name), stored);
    return structuredClone(stored);
  }

  async get(kind: KindNames, namespace: string, name: string): Promise<StoredObject | undefined> {
    const obj = this.objects.get(this.#key(kind, namespace, name));
    return obj ? structuredClone(obj) : undefined;
  }

  async list(kind: KindNames, namespace: string): Promise<StoredObject[]> {
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${kind.plural}/${namespace}/`))
      .map(([, obj]) => structuredClone(obj));
  }

  async create(kind: KindNames, namespace: string, object: StoredObject): Promise<StoredObject> {
    const name = object.metadata.name ?? '';
    this.writes.push({ op: 'create', kind: kind.kind, name, body: object });
    if (this.objects.has(this.#key(kind, namespace, name))) {
      throw apiError(409, 'AlreadyExists', `${kind.plural}.flinkvisor.io "${name}" already exists`);
    }
    return this.put(kind, namespace, object);
  }

  async patch(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<StoredObject> {
    this.beforePatch?.(kind, name);
    this.writes.push({ op: 'patch', kind: kind.kind, name, body: structuredClone(patch) });
    return this.#apply(kind, namespace, name, patch);
  }

  #apply(kind: KindNames, namespace: string, name: string, patch: Record<string, unknown>): StoredObject {
    const current = this.objects.get(this.#key(kind, namespace, name));
    if (!current) throw apiError(404, 'NotFound', `${kind.plural}.flinkvisor.io "${name}" not found`);
    const precondition = (patch['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (precondition !== undefined && precondition !== current.metadata.resourceVersion) {
      throw apiError(
        409,
        'Conflict',
        'the object has been modified; please apply your changes to the latest version',
      );
    }
    const { metadata, ...rest } = patch;
    const { resourceVersion: _rv, ...metadataPatch } = (metadata ?? {}) as Record<string, unknown>;
    const next = applyMergePatch(current, { ...rest, metadata: metadataPatch }) as StoredObject;
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
    next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    next.metadata.resourceVersion = String(this.#version++);
    this.objects.set(this.#key(kind, namespace, name), next);
    return structuredClone(next);
  }

  async delete(kind: KindNames, namespace: string, name: string): Promise<void> {
    this.writes.push({ op: 'delete', kind: kind.kind, name });
    if (!this.objects.delete(this.#key(kind, namespace, name))) {
      throw apiError(404, 'NotFound', `${kind.plural}.flinkvisor.io "${name}" not found`);
    }
  }

  async scale(kind: KindNames, namespace: string, name: string, replicas: number): Promise<void> {
    const field = kind === FLINK_CLUSTER ? 'taskManagers' : kind === FLINK_JOB ? 'jobParallelism' : undefined;
    if (!field) throw apiError(404, 'NotFound', 'the server could not find the requested resource');
    this.writes.push({ op: 'scale', kind: kind.kind, name, body: replicas });
    const current = this.objects.get(this.#key(kind, namespace, name));
    if (!current) throw apiError(404, 'NotFound', `${kind.plural}.flinkvisor.io "${name}" not found`);
    this.#apply(kind, namespace, name, { spec: { [field]: replicas } });
  }
}
