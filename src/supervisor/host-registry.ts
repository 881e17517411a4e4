import type { Logger } from 'pino';
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { MachineFailures } from './machine-failures.ts';
import type { clusterEffects, jobEffects } from './machine-effects.ts';
import { restoreClusterHost, restoreJobHost, type HostFactory } from './machine-hosts.ts';
import { crKindOf, type CrKind, type Notices } from './notices.ts';
import type { AnyHost, ClusterHost, JobHost } from './resource-host.ts';
import type { SupervisorMetrics } from './supervisor-metrics.ts';

export interface HostRegistryOptions {
  readonly factory: HostFactory;
  readonly notices: Notices;
  readonly log: Logger;
  readonly metrics: SupervisorMetrics;
  readonly rawOf: (kind: CrKind, name: string) => CustomObject | undefined;
  /** Every snapshot of an attached machine. */
  readonly onSnapshot: (host: AnyHost) => void;
  /** Look again after `ms` (a failed machine's backoff). */
  readonly requeueAfter: (ms: number) => void;
}

/**
 * The supervisor's live machines: the cluster's and one per FlinkJob, each restored from its
 * stored status when first needed (machine-hosts.ts), attached to the supervisor's notifications,
 * and dropped when its resource goes, its status is superseded, or it throws. A machine that throws
 * is a bug; its resource is not left unsupervised: the machine is restored from the stored status
 * after a backoff (machine-failures.ts), and each failure is said in a log line, a metric and an Event.
 */
export class HostRegistry {
  readonly #o: HostRegistryOptions;
  readonly #failures: MachineFailures;
  #cluster: ClusterHost | undefined;
  readonly #jobs = new Map<string, JobHost>();

  constructor(options: HostRegistryOptions) {
    this.#o = options;
    this.#failures = new MachineFailures(options.factory.clock);
  }

  get cluster(): ClusterHost | undefined {
    return this.#cluster;
  }

  job(name: string): JobHost | undefined {
    return this.#jobs.get(name);
  }

  jobs(): JobHost[] {
    return [...this.#jobs.values()];
  }

  all(): AnyHost[] {
    return [...(this.#cluster ? [this.#cluster] : []), ...this.#jobs.values()];
  }

  /** The cluster's host; restored when there is none for this uid. */
  ensureCluster(cluster: FlinkCluster, raw: CustomObject, effects: () => ReturnType<typeof clusterEffects>) {
    if (this.#cluster?.uid === (cluster.metadata.uid ?? '')) return this.#cluster;
    this.#cluster?.actor.stop();
    const host = restoreClusterHost(this.#o.factory, cluster, raw, effects());
    this.#cluster = host;
    this.#attach(host, (observer) => host.actor.subscribe(observer));
    return host;
  }

  /** A FlinkJob's host; restored when there is none for this uid. */
  ensureJob(
    job: FlinkJob,
    cluster: FlinkCluster | undefined,
    raw: CustomObject,
    effects: () => ReturnType<typeof jobEffects>,
  ): JobHost {
    const name = job.metadata.name ?? '';
    const existing = this.#jobs.get(name);
    if (existing?.uid === (job.metadata.uid ?? '')) return existing;
    existing?.actor.stop();
    const host = restoreJobHost(this.#o.factory, job, cluster, raw, effects());
    this.#jobs.set(name, host);
    this.#attach(host, (observer) => host.actor.subscribe(observer));
    return host;
  }

  /** Whether the cluster machine threw and waits out its backoff; until when. */
  clusterHeld(name: string, now: number): number | undefined {
    return this.#cluster ? undefined : this.#failures.holding('cluster', name, now)?.retryAt;
  }

  /** Whether a job's machine threw and waits out its backoff (its Flink job stays managed). */
  jobHeld(name: string, now: number): boolean {
    return !this.#jobs.has(name) && this.#failures.holding('job', name, now) !== undefined;
  }

  /** End of a pass: the machines still here survived it (their backoff may start afresh). */
  passSurvived(now: number): void {
    for (const host of this.all()) this.#failures.survived(host.kind, host.name, now);
  }

  /** Stops a host's machine and forgets it; the next pass restores it from the stored status. */
  drop(host: AnyHost): void {
    host.actor.stop();
    if (host.kind === 'cluster' && this.#cluster === host) this.#cluster = undefined;
    if (host.kind === 'job' && this.#jobs.get(host.name) === host) this.#jobs.delete(host.name);
  }

  /** A FlinkJob that is gone. */
  forgetJob(name: string): void {
    const host = this.#jobs.get(name);
    if (host) this.drop(host);
    this.#failures.forget('job', name);
  }

  /** Stops every machine (leadership lost, or the cluster gone). */
  clear(): void {
    for (const host of this.all()) host.actor.stop();
    this.#cluster = undefined;
    this.#jobs.clear();
  }

  /** Subscribes to the machine (an error observer first: an unheard actor error crashes), then starts it. */
  #attach(
    host: AnyHost,
    subscribe: (observer: { next: () => void; error: (err: unknown) => void }) => unknown,
  ): void {
    const kind = crKindOf(host);
    if (host.restoreFailure) {
      const { reason, message } = host.restoreFailure;
      const raw = this.#o.rawOf(kind, host.name);
      this.#o.notices.event(kind, raw, 'Warning', reason, `state machine reset: ${message}`);
    }
    // What the restored snapshot holds was announced by the leader that stored it (it says an
    // Event before it writes the status): announcing it again would say a second SavepointCompleted
    // or ActionAccepted for one intent, or a transition that did not happen. Only what changes from
    // here on is announced.
    const restored = host.actor.getSnapshot();
    host.lastValue = JSON.stringify(restored.value);
    host.lastNoticeAt = restored.context.notice?.at ?? null;
    host.lastActionAt = restored.context.lastAction?.requestedAt ?? null;
    subscribe({ next: () => this.#o.onSnapshot(host), error: (err) => this.#failed(host, err) });
    host.actor.start();
  }

  #failed(host: AnyHost, err: unknown): void {
    const failure = this.#failures.record(host.kind, host.name, err);
    const delayMs = failure.retryAt - this.#o.factory.clock.now();
    const fields = { err: String(err), kind: host.kind, name: host.name, attempts: failure.attempts };
    this.#o.log.error(fields, 'state machine failed');
    this.#o.metrics.machineFailures.inc({ machine: host.kind });
    const kind = crKindOf(host);
    this.#o.notices.event(
      kind,
      this.#o.rawOf(kind, host.name),
      'Warning',
      'MachineFailed',
      `state machine failed (${failure.attempts} in a row): ${failure.message}; restoring it from the stored status in ${Math.ceil(delayMs / 1000)}s`,
    );
    this.drop(host);
    this.#o.requeueAfter(delayMs);
  }
}
