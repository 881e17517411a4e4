import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import type { EventRecorder } from '../../src/kube/event-recorder.ts';
import { LeaderElector } from '../../src/kube/lease-elector.ts';
import { createRegistry } from '../../src/observability/metrics.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { supervisorMetrics } from '../../src/supervisor/supervisor-metrics.ts';
import { NAMESPACE, type SimApiServer } from './apiserver.ts';
import { ApiConnection } from './connection.ts';
import { simFlinkClient, type SimFlink } from './flink.ts';
import type { ProcessLink, Weather } from './links.ts';
import type { Prng } from './prng.ts';
import { ProcessClock, type SimClock } from './sim-clock.ts';

export const CLUSTER_NAME = 'sim';

/** The shorter lease of the simulation (leaseDuration > renewDeadline > retryPeriod × 1.2). */
const LEASE = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface ReplicaWorld {
  readonly clock: SimClock;
  readonly server: SimApiServer;
  readonly flink: SimFlink;
  readonly weather: Weather;
  readonly events: EventRecorder;
}

/**
 * One supervisor process, built as supervisor-process.ts builds it, on simulated ports: the real
 * Supervisor, the real informers and the real LeaderElector; its clock, network and requests are
 * the world's. It keeps nothing but what it reads: a crash drops it whole, and its successor starts
 * from the API server's state alone. Losing the lease ends the process (client-go's advice).
 */
export class SupervisorReplica {
  readonly link: ProcessLink;
  readonly connection: ApiConnection;
  readonly supervisor: Supervisor;
  readonly elector: LeaderElector;
  readonly identity: string;
  readonly onExit: (replica: SupervisorReplica) => void;
  #leadership: AbortSignal | undefined;
  #lead: Promise<void> = Promise.resolve();
  #exited = false;

  constructor(
    world: ReplicaWorld,
    identity: string,
    prng: Prng,
    skewMs: number,
    onExit: (replica: SupervisorReplica) => void,
  ) {
    this.identity = identity;
    this.onExit = onExit;
    const clock = new ProcessClock(world.clock);
    clock.skewMs = skewMs;
    this.link = {
      name: identity,
      clock,
      apiPartitioned: false,
      flinkPartitioned: false,
      leaseBlocked: false,
      leadership: () => this.#leadership,
    };
    this.connection = new ApiConnection(world.server, this.link, world.weather, prng.fork());
    const flinkClient = simFlinkClient(world.flink, this.link, world.weather);
    const link = this.link;
    const events: EventRecorder = {
      record: (subject, type, reason, message) =>
        link.clock.dead ? Promise.resolve() : world.events.record(subject, type, reason, message),
    };
    const queuePrng = prng.fork();
    this.supervisor = new Supervisor({
      kubeConfig: new KubeConfig(),
      namespace: NAMESPACE,
      clusterName: CLUSTER_NAME,
      clock,
      random: () => queuePrng.next(),
      // No timestamps: a silent logger must not read the real clock either.
      log: pino({ level: 'silent', timestamp: false }),
      events,
      metrics: supervisorMetrics(createRegistry('sim', false)),
      flinkClient: () => flinkClient,
      resources: this.connection.resources(),
      caches: (scope) => this.connection.caches(scope),
      objects: this.connection.objects(),
    });
    const electorPrng = prng.fork();
    this.elector = new LeaderElector({
      store: this.connection.leaseStore(),
      identity,
      clock,
      ...LEASE,
      random: () => electorPrng.next(),
      onStartedLeading: (signal, term) => {
        this.#leadership = signal;
        this.#lead = this.supervisor.lead(signal, term);
      },
      onStoppedLeading: async () => {
        await this.#lead;
      },
    });
  }

  get dead(): boolean {
    return this.link.clock.dead;
  }

  get leading(): boolean {
    return !this.dead && this.elector.isLeader;
  }

  /** Warms the caches, then campaigns; when the lease is lost the process exits. */
  async run(): Promise<void> {
    await this.supervisor.start();
    if (this.dead) return;
    await this.elector.run(new AbortController().signal);
    if (this.dead) return;
    this.#exit();
  }

  /** A crash: the process stops at whatever await it is in, for good. */
  kill(): void {
    if (this.dead) return;
    this.link.clock.kill();
    this.#exit();
  }

  #exit(): void {
    if (this.#exited) return;
    this.#exited = true;
    this.link.clock.kill();
    this.onExit(this);
  }
}
