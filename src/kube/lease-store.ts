import {
  CoordinationV1Api,
  V1MicroTime,
  type KubeConfig,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.ts';

/** The part of a Lease the elector reads and writes; times are epoch milliseconds. */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number;
  readonly renewTime: number;
  readonly leaseTransitions: number;
}

export class ConflictError extends Error {}

/** Where the elector keeps its Lease; the fake in unit tests honours resourceVersion like the API server. */
export interface LeaseStore {
  get(): Promise<{ record: LeaseRecord; resourceVersion: string } | undefined>;
  /** Returns the new resourceVersion; ConflictError when it already exists. */
  create(record: LeaseRecord): Promise<string>;
  /** Returns the new resourceVersion; ConflictError when `resourceVersion` is stale. */
  update(record: LeaseRecord, resourceVersion: string): Promise<string>;
}

// client-node returns MicroTime fields as strings despite their Date type; and writes need
// V1MicroTime, whose six fractional digits the API server requires.
function readTime(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const parsed = Date.parse(String(value ?? ''));
  return Number.isFinite(parsed) ? parsed : 0;
}

export function leaseToRecord(lease: V1Lease): LeaseRecord {
  return {
    holderIdentity: lease.spec?.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    acquireTime: readTime(lease.spec?.acquireTime),
    renewTime: readTime(lease.spec?.renewTime),
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
  };
}

function recordToSpec(record: LeaseRecord): V1LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: new V1MicroTime(record.acquireTime),
    renewTime: new V1MicroTime(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

export class KubeLeaseStore implements LeaseStore {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;
  readonly #labels: Record<string, string>;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string, labels: Record<string, string> = {}) {
    this.#api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
    this.#labels = labels;
  }

  async get() {
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace });
      return { record: leaseToRecord(lease), resourceVersion: lease.metadata?.resourceVersion ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<string> {
    try {
      const lease = await this.#api.createNamespacedLease({
        namespace: this.#namespace,
        body: { metadata: { name: this.#name, labels: this.#labels }, spec: recordToSpec(record) },
      });
      return lease.metadata?.resourceVersion ?? '';
    } catch (err) {
      if (isConflict(err)) throw new ConflictError('lease already exists', { cause: err });
      throw err;
    }
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<string> {
    try {
      const lease = await this.#api.replaceNamespacedLease({
        name: this.#name,
        namespace: this.#namespace,
        body: {
          metadata: { name: this.#name, namespace: this.#namespace, resourceVersion, labels: this.#labels },
          spec: recordToSpec(record),
        },
      });
      return lease.metadata?.resourceVersion ?? '';
    } catch (err) {
      if (isConflict(err)) throw new ConflictError('lease changed since read', { cause: err });
      throw err;
    }
  }
}
