import { CustomObjectsApi, type KubeConfig, type V1ObjectMeta } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, type KindNames } from '../api/names.ts';
import { isNotFound } from './errors.ts';
import { jsonPatch, mergePatch } from './patch-options.ts';

/**
 * The one client that reads and writes flinkvisor.io resources, for the operator, the supervisor
 * and the control API alike. It is a port: `KubernetesCustomResourceClient` talks to the API
 * server; tests hand in an in-memory one with the same resourceVersion rules.
 *
 * The rule every caller follows: a write carries the resourceVersion it was computed from
 * (`metadata.resourceVersion` in a merge patch, a `test` op in a JSON patch, the body of a status
 * replace), so a 409 means the object changed since; the caller re-reads and decides again
 * (`retryOnConflict`), never re-applies the old decision.
 */
export interface CustomObject {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface CustomObjectList {
  readonly items: CustomObject[];
  readonly metadata?: { resourceVersion?: string };
}

export interface WriteOptions {
  /** Refuse unknown fields (kubectl's strict field validation) instead of pruning them silently. */
  readonly strict?: boolean;
}

export interface CustomResourceClient {
  /** The object, or undefined when it does not exist. */
  get(kind: KindNames, namespace: string, name: string): Promise<CustomObject | undefined>;
  /** Every object of a kind in a namespace, or in all namespaces when `namespace` is undefined. */
  list(kind: KindNames, namespace: string | undefined): Promise<CustomObjectList>;
  create(
    kind: KindNames,
    namespace: string,
    object: CustomObject,
    options?: WriteOptions,
  ): Promise<CustomObject>;
  /** A JSON merge patch of the object; `metadata.resourceVersion` in it is a precondition. */
  patch(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options?: WriteOptions,
  ): Promise<CustomObject>;
  /** A JSON patch (RFC 6902); a leading `test` of /metadata/resourceVersion is the precondition. */
  jsonPatch(kind: KindNames, namespace: string, name: string, operations: object[]): Promise<CustomObject>;
  /** A JSON merge patch of the status subresource; `metadata.resourceVersion` in it is a precondition. */
  patchStatus(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: { metadata?: { resourceVersion?: string }; status: Record<string, unknown> },
  ): Promise<CustomObject>;
  /**
   * Replaces the whole status (PUT /status) at `resourceVersion`: nested objects such as the machine
   * snapshot are replaced, not merged as a merge patch would.
   */
  replaceStatus(
    kind: KindNames,
    namespace: string,
    name: string,
    resourceVersion: string,
    status: Record<string, unknown>,
  ): Promise<CustomObject>;
  /** Deletes in the background (dependents are collected by the garbage collector). */
  delete(kind: KindNames, namespace: string, name: string): Promise<void>;
  /** Sets the scale subresource's spec.replicas (spec.taskManagers, spec.jobParallelism). */
  scale(kind: KindNames, namespace: string, name: string, replicas: number): Promise<void>;
}

/** Names an object in messages: `FlinkJob ns/name`. */
export function describeObject(kind: KindNames, namespace: string, name: string): string {
  return `${kind.kind} ${namespace}/${name}`;
}

export class KubernetesCustomResourceClient implements CustomResourceClient {
  readonly #api: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  #ref(kind: KindNames, namespace: string, name: string) {
    return { group: API_GROUP, version: API_VERSION, namespace, plural: kind.plural, name };
  }

  async get(kind: KindNames, namespace: string, name: string): Promise<CustomObject | undefined> {
    try {
      return (await this.#api.getNamespacedCustomObject(this.#ref(kind, namespace, name))) as CustomObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(kind: KindNames, namespace: string | undefined): Promise<CustomObjectList> {
    const scope = { group: API_GROUP, version: API_VERSION, plural: kind.plural };
    return (
      namespace === undefined
        ? await this.#api.listClusterCustomObject(scope)
        : await this.#api.listNamespacedCustomObject({ ...scope, namespace })
    ) as CustomObjectList;
  }

  async create(
    kind: KindNames,
    namespace: string,
    object: CustomObject,
    options: WriteOptions = {},
  ): Promise<CustomObject> {
    return (await this.#api.createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: kind.plural,
      body: object,
      ...(options.strict ? { fieldValidation: 'Strict' } : {}),
    })) as CustomObject;
  }

  async patch(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<CustomObject> {
    return (await this.#api.patchNamespacedCustomObject(
      {
        ...this.#ref(kind, namespace, name),
        body: patch,
        ...(options.strict ? { fieldValidation: 'Strict' } : {}),
      },
      mergePatch(),
    )) as CustomObject;
  }

  async jsonPatch(
    kind: KindNames,
    namespace: string,
    name: string,
    operations: object[],
  ): Promise<CustomObject> {
    return (await this.#api.patchNamespacedCustomObject(
      { ...this.#ref(kind, namespace, name), body: operations },
      jsonPatch(),
    )) as CustomObject;
  }

  async patchStatus(
    kind: KindNames,
    namespace: string,
    name: string,
    patch: { metadata?: { resourceVersion?: string }; status: Record<string, unknown> },
  ): Promise<CustomObject> {
    return (await this.#api.patchNamespacedCustomObjectStatus(
      { ...this.#ref(kind, namespace, name), body: patch },
      mergePatch(),
    )) as CustomObject;
  }

  async replaceStatus(
    kind: KindNames,
    namespace: string,
    name: string,
    resourceVersion: string,
    status: Record<string, unknown>,
  ): Promise<CustomObject> {
    return (await this.#api.replaceNamespacedCustomObjectStatus({
      ...this.#ref(kind, namespace, name),
      body: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: kind.kind,
        metadata: { name, namespace, resourceVersion },
        status,
      },
    })) as CustomObject;
  }

  async delete(kind: KindNames, namespace: string, name: string): Promise<void> {
    await this.#api.deleteNamespacedCustomObject({
      ...this.#ref(kind, namespace, name),
      propagationPolicy: 'Background',
    });
  }

  async scale(kind: KindNames, namespace: string, name: string, replicas: number): Promise<void> {
    await this.#api.patchNamespacedCustomObjectScale(
      { ...this.#ref(kind, namespace, name), body: { spec: { replicas } } },
      mergePatch(),
    );
  }
}
