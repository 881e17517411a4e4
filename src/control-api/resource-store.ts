import { CustomObjectsApi, type KubeConfig, type V1ObjectMeta } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, type KindNames } from '../api/names.ts';
import { isNotFound } from '../kube/errors.ts';
import { mergePatch } from '../kube/patch-options.ts';

/** A flinkvisor.io object as the API server returns it. */
export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/**
 * What the control API reads and writes, as a port: the Kubernetes API in production, an
 * in-memory map in unit tests. Reads go to the API server (not a cache): a request right after a
 * write sees it, and the pending-action check of ADR 0006 reads the resourceVersion it then writes
 * against.
 */
export interface ResourceStore {
  get(kind: KindNames, namespace: string, name: string): Promise<StoredObject | undefined>;
  list(kind: KindNames, namespace: string): Promise<StoredObject[]>;
  /** Unknown fields are refused (strict field validation, as kubectl does), not silently dropped. */
  create(kind: KindNames, namespace: string, object: StoredObject): Promise<StoredObject>;
  /** A JSON merge patch; `metadata.resourceVersion` in it is a precondition (409 when stale). */
  patch(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<StoredObject>;
  delete(kind: KindNames, namespace: string, name: string): Promise<void>;
  /** Sets the scale subresource's spec.replicas (spec.taskManagers, spec.jobParallelism). */
  scale(kind: KindNames, namespace: string, name: string, replicas: number): Promise<void>;
}

export class KubernetesResourceStore implements ResourceStore {
  readonly #api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  #ref(kind: KindNames, namespace: string) {
    return { group: API_GROUP, version: API_VERSION, namespace, plural: kind.plural };
  }

  async get(kind: KindNames, namespace: string, name: string): Promise<StoredObject | undefined> {
    try {
      return (await this.#api.getNamespacedCustomObject({
        ...this.#ref(kind, namespace),
        name,
      })) as StoredObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(kind: KindNames, namespace: string): Promise<StoredObject[]> {
    const list = (await this.#api.listNamespacedCustomObject(this.#ref(kind, namespace))) as {
      items?: StoredObject[];
    };
    return (list.items ?? []).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }

  async create(kind: KindNames, namespace: string, object: StoredObject): Promise<StoredObject> {
    return (await this.#api.createNamespacedCustomObject({
      ...this.#ref(kind, namespace),
      body: object,
      fieldValidation: 'Strict',
    })) as StoredObject;
  }

  async patch(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
  ): Promise<StoredObject> {
    return (await this.#api.patchNamespacedCustomObject(
      { ...this.#ref(kind, namespace), name, body: patch, fieldValidation: 'Strict' },
      mergePatch(),
    )) as StoredObject;
  }

  async delete(kind: KindNames, namespace: string, name: string): Promise<void> {
    await this.#api.deleteNamespacedCustomObject({
      ...this.#ref(kind, namespace),
      name,
      propagationPolicy: 'Background',
    });
  }

  async scale(kind: KindNames, namespace: string, name: string, replicas: number): Promise<void> {
    await this.#api.patchNamespacedCustomObjectScale(
      { ...this.#ref(kind, namespace), name, body: { spec: { replicas } } },
      mergePatch(),
    );
  }
}
