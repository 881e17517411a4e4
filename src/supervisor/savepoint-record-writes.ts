// Every write of a cluster's FlinkSavepoint records (savepoint-history.ts decides them): each is
// preconditioned on the resourceVersion it was decided from and counted; a conflict or a record
// gone returns undefined, so the next pass decides again from the object as it is then. The
// records as last written stand for the watch cache's copies until the cache moves past them (K14).
import { API_GROUP_VERSION, FLINK_JOB, FLINK_SAVEPOINT } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.ts';
import type { EventRecorder, EventType } from '../kube/event-recorder.ts';
import { FresherReads } from './fresher-reads.ts';

export interface SavepointRecordWritesOptions {
  readonly namespace: string;
  readonly resources: CustomResourceClient;
  readonly events: EventRecorder;
  /** The cluster's FlinkSavepoint objects as watched. */
  readonly savepoints: () => readonly CustomObject[];
  readonly written: () => void;
}

export class SavepointRecordWrites {
  readonly #o: SavepointRecordWritesOptions;
  readonly #written = new FresherReads();

  constructor(options: SavepointRecordWritesOptions) {
    this.#o = options;
  }

  /** The record as this writer last wrote it when the cached copy is older, else the cached one. */
  latest(cached: CustomObject): CustomObject {
    return this.#written.pick(cached.metadata.name ?? '', cached) ?? cached;
  }

  /** `updated` was written: it stands for the cached record until the cache moves past it. */
  #wrote(updated: CustomObject): CustomObject {
    const name = updated.metadata.name ?? '';
    const cached = this.#o.savepoints().find((o) => o.metadata.name === name);
    this.#written.remember(name, updated, cached);
    return updated;
  }

  /** A merge patch of the object's spec at its resourceVersion; undefined after a conflict. */
  async patchSpec(object: CustomObject, spec: Record<string, unknown>): Promise<CustomObject | undefined> {
    try {
      const updated = await this.#o.resources.patch(
        FLINK_SAVEPOINT,
        this.#o.namespace,
        object.metadata.name ?? '',
        {
          metadata: { resourceVersion: object.metadata.resourceVersion ?? '' },
          spec,
        },
      );
      this.#o.written();
      return this.#wrote(updated);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** A merge patch of the object's metadata at its resourceVersion; undefined after a conflict. */
  async patchObject(
    object: CustomObject,
    metadata: Record<string, unknown>,
  ): Promise<CustomObject | undefined> {
    try {
      const name = object.metadata.name ?? '';
      const updated = await this.#o.resources.patch(FLINK_SAVEPOINT, this.#o.namespace, name, {
        metadata: { resourceVersion: object.metadata.resourceVersion ?? '', ...metadata },
      });
      this.#o.written();
      return this.#wrote(updated);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(object: CustomObject): Promise<CustomObject | undefined> {
    const name = object.metadata.name ?? '';
    try {
      const created = await this.#o.resources.create(FLINK_SAVEPOINT, this.#o.namespace, object);
      this.#o.written();
      return created;
    } catch (err) {
      // Created by an earlier pass the watch has not shown yet.
      if (isAlreadyExists(err)) return this.#o.resources.get(FLINK_SAVEPOINT, this.#o.namespace, name);
      throw err;
    }
  }

  /** A merge patch of the status at the object's resourceVersion; undefined after a conflict. */
  async patchStatus(
    object: CustomObject,
    status: Record<string, unknown>,
  ): Promise<CustomObject | undefined> {
    try {
      const updated = await this.#o.resources.patchStatus(
        FLINK_SAVEPOINT,
        this.#o.namespace,
        object.metadata.name ?? '',
        { metadata: { resourceVersion: object.metadata.resourceVersion ?? '' }, status },
      );
      this.#o.written();
      return this.#wrote(updated);
    } catch (err) {
      // Changed since the watch showed it: the next pass decides again from the new object.
      if (isConflict(err) || isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.#o.resources.delete(FLINK_SAVEPOINT, this.#o.namespace, name);
      this.#o.written();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  event(object: CustomObject, type: EventType, reason: string, message: string): void {
    const subject = (kind: string, name: string, uid: string | undefined) => ({
      apiVersion: API_GROUP_VERSION,
      kind,
      namespace: this.#o.namespace,
      name,
      ...(uid ? { uid } : {}),
    });
    const job = object.metadata.ownerReferences?.find((r) => r.kind === FLINK_JOB.kind);
    void this.#o.events.record(
      subject(FLINK_SAVEPOINT.kind, object.metadata.name ?? '', object.metadata.uid),
      type,
      reason,
      message,
    );
    if (job) void this.#o.events.record(subject(FLINK_JOB.kind, job.name, job.uid), type, reason, message);
  }
}
