import type { V1Deployment } from '@kubernetes/client-node';
import { FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB, type KindNames } from '../../src/api/names.ts';
import type { CustomObject } from '../../src/kube/custom-resource-client.ts';
import { MemoryEventRecorder } from '../../src/kube/event-recorder.ts';
import { stableStringify } from '../../src/machines/ids.ts';
import type { OperatorCache } from '../../src/operator/operator-cache.ts';
import type { ReconcilerPorts } from '../../src/operator/reconcile-support.ts';
import type { SupervisorDeployments } from '../../src/operator/supervisor-deployments.ts';
import { InMemoryCustomResources } from './in-memory-custom-resources.ts';
import { ManualClock } from './manual-clock.ts';

/**
 * An object as the API server serves it: a JSON round trip with every object's keys sorted (Go's
 * encoding/json sorts map keys, and custom resources are maps), timestamps as strings. What the
 * operator wrote in its own key order never comes back in that order.
 */
export function asServed<T>(value: T): T {
  return JSON.parse(stableStringify(JSON.parse(JSON.stringify(value)))) as T;
}

/** The supervisor Deployments in memory: applies upsert, deletes remove; both are recorded. */
export class RecordingSupervisorDeployments implements SupervisorDeployments {
  readonly stored = new Map<string, V1Deployment>();
  readonly applied: V1Deployment[] = [];
  readonly deleted: { namespace: string; name: string }[] = [];

  async apply(deployment: V1Deployment): Promise<void> {
    this.applied.push(structuredClone(deployment));
    const key = `${deployment.metadata?.namespace ?? ''}/${deployment.metadata?.name ?? ''}`;
    this.stored.set(key, structuredClone(deployment));
  }

  async delete(namespace: string, name: string): Promise<void> {
    this.deleted.push({ namespace, name });
    this.stored.delete(`${namespace}/${name}`);
  }
}

/**
 * The informers' caches over the in-memory stores, always current (as if every watch event had
 * arrived), serving objects as the API server would (`asServed`).
 */
export class InMemoryOperatorCache implements OperatorCache {
  readonly #resources: InMemoryCustomResources;
  readonly #deployments: RecordingSupervisorDeployments;

  constructor(resources: InMemoryCustomResources, deployments: RecordingSupervisorDeployments) {
    this.#resources = resources;
    this.#deployments = deployments;
  }

  #of(kind: KindNames): CustomObject[] {
    return [...this.#resources.objects.entries()]
      .filter(([key]) => key.startsWith(`${kind.plural}/`))
      .map(([, object]) => asServed(object));
  }

  deployments(): CustomObject[] {
    return this.#of(FLINK_DEPLOYMENT);
  }
  clusters(): CustomObject[] {
    return this.#of(FLINK_CLUSTER);
  }
  jobs(): CustomObject[] {
    return this.#of(FLINK_JOB);
  }
  supervisorDeployments(): V1Deployment[] {
    return [...this.#deployments.stored.values()].map((d) => asServed(d));
  }
}

/** Everything a reconciler needs, in memory. */
export interface OperatorWorld extends ReconcilerPorts {
  readonly resources: InMemoryCustomResources;
  readonly cache: InMemoryOperatorCache;
  readonly events: MemoryEventRecorder;
  readonly clock: ManualClock;
  readonly supervisorDeployments: RecordingSupervisorDeployments;
}

export function operatorWorld(): OperatorWorld {
  const clock = new ManualClock(Date.parse('2026-11-20T10:00:00Z'));
  const resources = new InMemoryCustomResources();
  resources.now = () => new Date(clock.now());
  const supervisorDeployments = new RecordingSupervisorDeployments();
  return {
    resources,
    cache: new InMemoryOperatorCache(resources, supervisorDeployments),
    events: new MemoryEventRecorder(),
    clock,
    supervisorDeployments,
  };
}
