import {
  BatchV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PolicyV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type V1Job,
  type V1NetworkPolicy,
  type V1Pod,
  type V1PodDisruptionBudget,
  type V1Service,
} from '@kubernetes/client-node';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.ts';

/** The field manager of the supervisor's server-side applies. */
export const SUPERVISOR_FIELD_MANAGER = 'flinkvisor-supervisor';

/**
 * The objects a supervisor owns, as its machines' effects create and delete them. Every call is
 * safe to repeat: creating what exists and deleting what is gone count as done. A port, so tests
 * hand in a recorder instead of an API server.
 */
export interface OwnedObjectWriter {
  createPod(pod: V1Pod): Promise<'created' | 'exists'>;
  deletePod(name: string, gracePeriodSeconds?: number): Promise<void>;
  createService(service: V1Service): Promise<'created' | 'exists'>;
  deleteService(name: string): Promise<void>;
  readJob(name: string): Promise<V1Job | undefined>;
  createJob(job: V1Job): Promise<'created' | 'exists'>;
  /** Deletes a Job in the foreground: it stays, being deleted, until its pods are gone. */
  deleteJob(name: string): Promise<void>;
  /**
   * Reads a ConfigMap (Flink's HA leader record); undefined when it does not exist. Optional: a
   * writer without it reports no HA leader.
   */
  readConfigMap?(name: string): Promise<V1ConfigMap | undefined>;
  /**
   * Deletes the ConfigMaps a label selector matches whose names start with `namePrefix` (Flink's
   * HA ConfigMaps of a deleted cluster) and says how many. Optional: a writer without it removes none.
   */
  deleteConfigMaps?(labelSelector: string, namePrefix: string): Promise<number>;
  /**
   * Creates or updates the cluster's NetworkPolicy (server-side apply). Optional: a writer without
   * it renders none.
   */
  applyNetworkPolicy?(policy: V1NetworkPolicy): Promise<void>;
  /**
   * The cluster's PodDisruptionBudgets (disruption-budgets.ts). Optional: a writer without them
   * (the simulator's) keeps no budgets. Replacing is preconditioned on the body's resourceVersion
   * and says false when another write came first (the next pass decides again).
   */
  createPodDisruptionBudget?(pdb: V1PodDisruptionBudget): Promise<'created' | 'exists'>;
  replacePodDisruptionBudget?(pdb: V1PodDisruptionBudget): Promise<boolean>;
  deletePodDisruptionBudget?(name: string): Promise<void>;
}

/**
 * The owned objects on the API server: creating what exists (409) and deleting what is gone (404)
 * count as done.
 */
export class OwnedObjects implements OwnedObjectWriter {
  readonly #core: CoreV1Api;
  readonly #batch: BatchV1Api;
  readonly #policy: PolicyV1Api;
  readonly #namespace: string;

  readonly #kubeConfig: KubeConfig;

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.#kubeConfig = kubeConfig;
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#batch = kubeConfig.makeApiClient(BatchV1Api);
    this.#policy = kubeConfig.makeApiClient(PolicyV1Api);
    this.#namespace = namespace;
  }

  async createPod(pod: V1Pod): Promise<'created' | 'exists'> {
    try {
      await this.#core.createNamespacedPod({ namespace: this.#namespace, body: pod });
      return 'created';
    } catch (err) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  async deletePod(name: string, gracePeriodSeconds?: number): Promise<void> {
    try {
      await this.#core.deleteNamespacedPod({
        name,
        namespace: this.#namespace,
        ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async createService(service: V1Service): Promise<'created' | 'exists'> {
    try {
      await this.#core.createNamespacedService({ namespace: this.#namespace, body: service });
      return 'created';
    } catch (err) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  async deleteService(name: string): Promise<void> {
    try {
      await this.#core.deleteNamespacedService({ name, namespace: this.#namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async applyNetworkPolicy(policy: V1NetworkPolicy): Promise<void> {
    // Server-side apply, forced: the supervisor owns every field it sets, and a repeat is a no-op.
    await KubernetesObjectApi.makeApiClient(this.#kubeConfig).patch(
      { ...policy, metadata: { ...policy.metadata, namespace: this.#namespace } },
      undefined,
      undefined,
      SUPERVISOR_FIELD_MANAGER,
      true,
      'application/apply-patch+yaml',
    );
  }

  async createPodDisruptionBudget(pdb: V1PodDisruptionBudget): Promise<'created' | 'exists'> {
    try {
      await this.#policy.createNamespacedPodDisruptionBudget({ namespace: this.#namespace, body: pdb });
      return 'created';
    } catch (err) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  async replacePodDisruptionBudget(pdb: V1PodDisruptionBudget): Promise<boolean> {
    try {
      await this.#policy.replaceNamespacedPodDisruptionBudget({
        name: pdb.metadata?.name ?? '',
        namespace: this.#namespace,
        body: pdb,
      });
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  async deletePodDisruptionBudget(name: string): Promise<void> {
    try {
      await this.#policy.deleteNamespacedPodDisruptionBudget({ name, namespace: this.#namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async readConfigMap(name: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.#core.readNamespacedConfigMap({ name, namespace: this.#namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async deleteConfigMaps(labelSelector: string, namePrefix: string): Promise<number> {
    const list = await this.#core.listNamespacedConfigMap({ namespace: this.#namespace, labelSelector });
    let deleted = 0;
    for (const cm of list.items.filter((c) => (c.metadata?.name ?? '').startsWith(namePrefix))) {
      try {
        await this.#core.deleteNamespacedConfigMap({
          name: cm.metadata?.name ?? '',
          namespace: this.#namespace,
        });
        deleted += 1;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return deleted;
  }

  async readJob(name: string): Promise<V1Job | undefined> {
    try {
      return await this.#batch.readNamespacedJob({ name, namespace: this.#namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async createJob(job: V1Job): Promise<'created' | 'exists'> {
    try {
      await this.#batch.createNamespacedJob({ namespace: this.#namespace, body: job });
      return 'created';
    } catch (err) {
      if (isAlreadyExists(err)) return 'exists';
      throw err;
    }
  }

  /**
   * Deletes a Job in the foreground: the Job stays (with a deletionTimestamp) until its pods are gone,
   * and a pod goes only once its kubelet has ended the process. A bootstrap pod that outlived its Job
   * could still submit a job after the supervisor decided none runs (bootstrap-observation.ts).
   */
  async deleteJob(name: string): Promise<void> {
    try {
      await this.#batch.deleteNamespacedJob({
        name,
        namespace: this.#namespace,
        propagationPolicy: 'Foreground',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
