import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { applyObjects } from '../install/apply.ts';
import { isNotFound } from '../kube/errors.ts';

/** The field manager of the operator's server-side applies (`kubectl get -o yaml --show-managed-fields`). */
export const OPERATOR_FIELD_MANAGER = 'flinkvisor-operator';

/**
 * The writes of supervisor Deployments (apps/v1), behind a port: the cluster reconciler applies
 * and deletes through it, and tests hand in one that records what it was asked.
 */
export interface SupervisorDeployments {
  /** Creates or updates the Deployment (server-side apply: one idempotent call). */
  apply(deployment: V1Deployment): Promise<void>;
  /** Deletes the Deployment; one that is gone already is success. */
  delete(namespace: string, name: string): Promise<void>;
}

export class KubernetesSupervisorDeployments implements SupervisorDeployments {
  readonly #kubeConfig: KubeConfig;
  readonly #apps: AppsV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.#kubeConfig = kubeConfig;
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
  }

  async apply(deployment: V1Deployment): Promise<void> {
    await applyObjects(this.#kubeConfig, [deployment], OPERATOR_FIELD_MANAGER);
  }

  async delete(namespace: string, name: string): Promise<void> {
    try {
      await this.#apps.deleteNamespacedDeployment({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/**
 * Fleet mode (`operator run --embedded-supervisors`): the supervisors run in the operator process,
 * one per FlinkCluster, instead of a Deployment each. The cluster reconciler drives them through
 * this port; src/supervisor implements it and the CLI wires the two.
 */
export interface SupervisorHost {
  /** Starts the cluster's supervisor unless it runs already. */
  ensure(namespace: string, name: string): void;
  /** Clean shutdown of the cluster's supervisor (drain, then release its Lease); a no-op when none runs. */
  stop(namespace: string, name: string): Promise<void>;
  has(namespace: string, name: string): boolean;
}

/** A host the operator process also stops on its own shutdown. */
export interface ClosableSupervisorHost extends SupervisorHost {
  shutdown(): Promise<void>;
}
