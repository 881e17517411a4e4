import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomResourceClient } from '../kube/custom-resource-client.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import type { MachineJournal } from '../visualizer/machine-journal.ts';
import type { MachineImplementations } from './machine-hosts.ts';
import type { NetworkPolicySettings } from './network-policy.ts';
import type { OwnedObjectWriter } from './owned-objects.ts';
import type { CacheScope, SupervisorCaches } from './supervisor-caches.ts';
import type { SupervisorMetrics } from './supervisor-metrics.ts';

/** What one supervisor (supervisor.ts) is built with. */
export interface SupervisorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly clusterName: string;
  readonly clock: Clock;
  /** The work queue's backoff jitter (Math.random when absent; a seeded simulation injects its own). */
  readonly random?: () => number;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly metrics: SupervisorMetrics;
  /** A Flink REST client for a base URL (the CLI builds it with its dispatcher and metrics hook). */
  readonly flinkClient: (baseUrl: string) => FlinkRestClient;
  /** Flink REST base URL of the cluster; default http://jobmanager-<cluster>.<namespace>:8081. */
  readonly flinkUrl?: string;
  /** Overrides spec.supervisor.pollingInterval (tests). */
  readonly pollIntervalMs?: number;
  readonly allowPrivateNetworks?: boolean;
  /** Render the cluster's NetworkPolicy (ADR 0018); none when absent. */
  readonly networkPolicy?: NetworkPolicySettings;
  readonly flinkTimeoutMs?: number;
  /** Records every machine's transitions for the state visualizer (src/visualizer). */
  readonly journal?: MachineJournal;
  /** Reads and writes the custom resources; default: the API server of `kubeConfig`. */
  readonly resources?: CustomResourceClient;
  /** The watched caches; default: informers on the API server of `kubeConfig`. */
  readonly caches?: (scope: CacheScope) => SupervisorCaches;
  /** Creates and deletes the pods, Services and Jobs the machines own; default: the API server. */
  readonly objects?: OwnedObjectWriter;
  /** The cluster and job machines; default: the ones in src/machines (tests swap in faulty ones). */
  readonly machines?: MachineImplementations;
}
