import { ApiException } from '@kubernetes/client-node';
import { FLINK_CLUSTER, FLINK_JOB, type KindNames } from '../../src/api/names.ts';
import { applyMergePatch } from '../../src/control-api/merge-patch.ts';
import type {
  CustomObject,
  CustomObjectList,
  CustomResourceClient,
} from '../../src/kube/custom-resource-client.ts';

/** A Kubernetes-shaped failure, as client-node throws it (src/kube/errors.ts reads these). */
export function apiError(code: number, reason: string, message: string): ApiException<string> {
  return new ApiException(code, message, JSON.stringify({ kind: 'Status', code, reason, message }), {});
}

export interface RecordedWrite {
  readonly op: 'create' | 'patch' | 'jsonPatch' | 'patchStatus' | 'replaceStatus' | 'delete' | 'scale';
  readonly kind: string;
  readonly name: string;
  readonly body?: unknown;
}

/**
 * The custom-resource client in memory, with the API server's rules that matter to its callers:
 * resourceVersion preconditions (409) on merge patches, JSON patch `test` ops and status
 * replaces; AlreadyExists; generation bumps on spec changes only; finalizers that turn a delete
 * into a deletionTimestamp until the last one is removed; the scale subresource writing
 * spec.taskManagers / spec.jobParallelism. Every write is recorded, so tests can assert that
 * nothing was written when nothing changed.
 */
export class InMemoryCustomResources implements CustomResourceClient {
  readonly objects = new Map<string, CustomObject>();
  readonly writes: RecordedWrite[] = [];
  /** Whether `writes` records each write (with a copy of its body); a long simulation does not read it. */
  recordWrites = true;
  #version = 1;
  #uid = 1;
  /** Called before each patch: tests change the object behind the writer's back. */
  beforePatch: ((kind: KindNames, name: string) => void) | undefined;
  /** Called after every change with the stored object (undefined once removed). */
  onChange:
    ((kind: KindNames, namespace: string, name: string, obj: CustomObject | undefined) => void) | undefined;
  /** Issues the next resourceVersion; a simulated API server shares one counter across every kind. */
  nextVersion: () => number = () => this.#version++;
  /** The time deletionTimestamp is set to. */
  now: () => Date = () => new Date('2026-11-20T10:00:00Z');

  #record(write: () => RecordedWrite): void {
    if (this.recordWrites) this.writes.push(write());
  }

  #key(kind: KindNames, namespace: string, name: string): string {
    return `${kind.plural}/${namespace}/${name}`;
  }

  #store(kind: KindNames, namespace: string, obj: CustomObject): CustomObject {
    const name = obj.metadata.name ?? '';
    obj.metadata.resourceVersion = String(this.nextVersion());
    this.objects.set(this.#key(kind, namespace, name), obj);
    this.onChange?.(kind, namespace, name, structuredClone(obj));
    return structuredClone(obj);
  }

  /** Stores an object as is (a test's starting state); not recorded as a write. */
  put(kind: KindNames, namespace: string, obj: CustomObject): CustomObject {
    const name = obj.metadata.name ?? '';
    return this.#store(
      kind,
      namespace,
      structuredClone({
        apiVersion: 'flinkvisor.io/v1',
        kind: kind.kind,
        ...obj,
        metadata: {
          generation: 1,
          uid: `uid-${this.#uid++}`,
          creationTimestamp: '2026-11-20T10:00:00Z' as unknown as Date,
          ...obj.metadata,
          name,
          namespace,
        },
      }),
    );
  }

  #current(kind: KindNames, namespace: string, name: string): CustomObject {
    const current = this.objects.get(this.#key(kind, namespace, name));
    if (!current) throw apiError(404, 'NotFound', `${kind.plural}.flinkvisor.io "${name}" not found`);
    return current;
  }

  #precondition(current: CustomObject, resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      throw apiError(
        409,
        'Conflict',
        'the object has been modified; please apply your changes to the latest version',
      );
    }
  }

  async get(kind: KindNames, namespace: string, name: string): Promise<CustomObject | undefined> {
    const obj = this.objects.get(this.#key(kind, namespace, name));
    return obj ? structuredClone(obj) : undefined;
  }

  async list(kind: KindNames, namespace: string | undefined): Promise<CustomObjectList> {
    const prefix = namespace === undefined ? `${kind.plural}/` : `${kind.plural}/${namespace}/`;
    return {
      items: [...this.objects.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .map(([, obj]) => structuredClone(obj)),
      metadata: { resourceVersion: String(this.#version) },
    };
  }

  async create(kind: KindNames, namespace: string, object: CustomObject): Promise<CustomObject> {
    const name = object.metadata.name ?? '';
    this.#record(() => ({ op: 'create', kind: kind.kind, name, body: structuredClone(object) }));
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
  ): Promise<CustomObject> {
    this.beforePatch?.(kind, name);
    this.#record(() => ({ op: 'patch', kind: kind.kind, name, body: structuredClone(patch) }));
    return this.#merge(kind, namespace, name, patch, 'object');
  }

  async patchStatus(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: { metadata?: { resourceVersion?: string }; status: Record<string, unknown> },
  ): Promise<CustomObject> {
    this.#record(() => ({ op: 'patchStatus', kind: kind.kind, name, body: structuredClone(patch) }));
    return this.#merge(kind, namespace, name, patch, 'status');
  }

  async replaceStatus(
    kind: KindNames,
    namespace: string,
    name: string,
    resourceVersion: string,
    status: Record<string, unknown>,
  ): Promise<CustomObject> {
    this.#record(() => ({ op: 'replaceStatus', kind: kind.kind, name, body: structuredClone(status) }));
    const current = this.#current(kind, namespace, name);
    this.#precondition(current, resourceVersion);
    // The old status is not copied only to be replaced (the key keeps its place).
    const next = structuredClone({ ...current, status: {} });
    next.status = structuredClone(status);
    return this.#store(kind, namespace, next);
  }

  async jsonPatch(
    kind: KindNames,
    namespace: string,
    name: string,
    operations: object[],
  ): Promise<CustomObject> {
    this.beforePatch?.(kind, name);
    this.#record(() => ({ op: 'jsonPatch', kind: kind.kind, name, body: structuredClone(operations) }));
    const current = this.#current(kind, namespace, name);
    const next = structuredClone(current) as unknown as Record<string, unknown>;
    for (const op of operations as { op: string; path: string; value?: unknown }[]) {
      const segments = op.path
        .split('/')
        .slice(1)
        .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
      const last = segments.pop() ?? '';
      let parent = next;
      for (const s of segments) parent = (parent[s] ??= {}) as Record<string, unknown>;
      if (op.op === 'test') {
        if (!(last in parent) || JSON.stringify(parent[last]) !== JSON.stringify(op.value))
          throw apiError(422, 'Invalid', `the test of ${op.path} failed`);
      } else if (op.op === 'remove') {
        if (!(last in parent)) throw apiError(422, 'Invalid', `nothing to remove at ${op.path}`);
        delete parent[last];
      } else parent[last] = structuredClone(op.value);
    }
    return this.#finish(kind, namespace, current, next as unknown as CustomObject);
  }

  #merge(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    part: 'object' | 'status',
  ): CustomObject {
    const current = this.#current(kind, namespace, name);
    const { metadata, ...rest } = patch;
    const { resourceVersion, ...metadataPatch } = (metadata ?? {}) as Record<string, unknown>;
    this.#precondition(current, resourceVersion as string | undefined);
    const merged =
      part === 'status'
        ? { ...structuredClone(current), status: applyMergePatch(current.status ?? {}, rest['status']) }
        : applyMergePatch(current, { ...rest, status: undefined, metadata: metadataPatch });
    const next = { ...(merged as CustomObject) };
    delete next.status;
    const status = part === 'object' ? current.status : (merged as CustomObject).status;
    if (status !== undefined) next.status = structuredClone(status);
    return this.#finish(kind, namespace, current, next);
  }

  #finish(kind: KindNames, namespace: string, current: CustomObject, next: CustomObject): CustomObject {
    const name = current.metadata.name ?? '';
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
    next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(this.#key(kind, namespace, name));
      this.onChange?.(kind, namespace, name, undefined);
      return structuredClone(next);
    }
    return this.#store(kind, namespace, next);
  }

  async delete(kind: KindNames, namespace: string, name: string): Promise<void> {
    this.#record(() => ({ op: 'delete', kind: kind.kind, name }));
    const current = this.#current(kind, namespace, name);
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (!current.metadata.deletionTimestamp)
        this.#store(kind, namespace, {
          ...structuredClone(current),
          metadata: { ...structuredClone(current.metadata), deletionTimestamp: this.now() },
        });
      return;
    }
    this.objects.delete(this.#key(kind, namespace, name));
    this.onChange?.(kind, namespace, name, undefined);
  }

  async scale(kind: KindNames, namespace: string, name: string, replicas: number): Promise<void> {
    const field = kind === FLINK_CLUSTER ? 'taskManagers' : kind === FLINK_JOB ? 'jobParallelism' : undefined;
    if (!field) throw apiError(404, 'NotFound', 'the server could not find the requested resource');
    this.#record(() => ({ op: 'scale', kind: kind.kind, name, body: replicas }));
    this.#merge(kind, namespace, name, { spec: { [field]: replicas } }, 'object');
  }
}
