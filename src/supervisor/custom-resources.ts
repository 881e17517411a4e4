import { CustomObjectsApi, type KubeConfig, type V1ObjectMeta } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, type KindNames } from '../api/names.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import { mergePatch } from '../kube/patch-options.ts';

export interface CustomObject {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec?: unknown;
  status?: Record<string, unknown>;
}

/**
 * Reads and writes flinkvisor.io resources. Writes carry the resourceVersion they were computed
 * from (merge patches with `metadata.resourceVersion` are preconditions): a 409 means someone changed
 * the object since, and the caller re-reads and decides again.
 */
export class CustomResources {
  readonly #api: CustomObjectsApi;
  readonly #namespace: string;
  readonly #kind: KindNames;

  constructor(kubeConfig: KubeConfig, namespace: string, kind: KindNames) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#namespace = namespace;
    this.#kind = kind;
  }

  #ref(name: string) {
    return {
      group: API_GROUP,
      version: API_VERSION,
      namespace: this.#namespace,
      plural: this.#kind.plural,
      name,
    };
  }

  async get(name: string): Promise<CustomObject | undefined> {
    try {
      return (await this.#api.getNamespacedCustomObject(this.#ref(name))) as CustomObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(): Promise<{ items: CustomObject[]; metadata?: { resourceVersion?: string } }> {
    return (await this.#api.listNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace: this.#namespace,
      plural: this.#kind.plural,
    })) as { items: CustomObject[]; metadata?: { resourceVersion?: string } };
  }

  /**
   * Replaces the whole status (PUT /status), preconditioned on `resourceVersion`: nested objects
   * such as the machine snapshot are replaced, not merged as a merge patch would.
   */
  async replaceStatus(
    name: string,
    resourceVersion: string,
    status: Record<string, unknown>,
  ): Promise<CustomObject> {
    return (await this.#api.replaceNamespacedCustomObjectStatus({
      ...this.#ref(name),
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: this.#kind.kind,
        metadata: { name, namespace: this.#namespace, resourceVersion },
        status,
      },
    })) as CustomObject;
  }

  /** Merge-patches status, preconditioned on `resourceVersion`; returns the updated object. */
  async patchStatus(
    name: string,
    resourceVersion: string,
    status: Record<string, unknown>,
  ): Promise<CustomObject> {
    return (await this.#api.patchNamespacedCustomObjectStatus(
      { ...this.#ref(name), body: { metadata: { resourceVersion }, status } },
      mergePatch(),
    )) as CustomObject;
  }

  /** Merge-patches metadata (finalizers, annotations), preconditioned on `resourceVersion`. */
  async patchMetadata(
    name: string,
    resourceVersion: string,
    metadata: Record<string, unknown>,
  ): Promise<CustomObject> {
    return (await this.#api.patchNamespacedCustomObject(
      { ...this.#ref(name), body: { metadata: { ...metadata, resourceVersion } } },
      mergePatch(),
    )) as CustomObject;
  }

  /** Merge-patches the scale subresource (spec replicas). */
  async patchScale(name: string, replicas: number): Promise<void> {
    await this.#api.patchNamespacedCustomObjectScale(
      { ...this.#ref(name), body: { spec: { replicas } } },
      mergePatch(),
    );
  }

  /**
   * Applies `change` to the latest object until it sticks: re-reads on conflict (bounded). Returns
   * the written object, or undefined when the object is gone or `change` decided nothing is needed.
   */
  async updateWithRetry(
    name: string,
    change: (current: CustomObject) => Promise<CustomObject | undefined> | CustomObject | undefined,
    attempts = 5,
  ): Promise<CustomObject | undefined> {
    for (let i = 0; i < attempts; i++) {
      const current = await this.get(name);
      if (!current) return undefined;
      try {
        return await change(current);
      } catch (err) {
        if (!isConflict(err) || i === attempts - 1) throw err;
      }
    }
    return undefined;
  }
}
