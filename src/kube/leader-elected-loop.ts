import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { Clock } from './clock.ts';
import { LeaderElector, type LeaderElectorOptions } from './lease-elector.ts';
import type { LeaseStore } from './lease-store.ts';

/**
 * The life of a leader-elected process (operator, supervisor): campaign; while leading, `lead`
 * acts under the leader's signal; when the lease is lost, `done` resolves `lost` (the caller exits,
 * as client-go advises: nothing may act without the lease); `shutdown` stops leading, waits for the
 * work to stop, then releases the lease so a successor need not wait it out.
 */
export interface LeaderElectedLoopOptions {
  readonly store: LeaseStore;
  readonly identity: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly leaderGauge: Gauge;
  readonly lead: (signal: AbortSignal) => Promise<void>;
  readonly lease?: Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
}

export interface LeaderElectedLoop {
  readonly elector: LeaderElector;
  readonly done: Promise<'lost' | 'stopped'>;
  /** Stops leading and releases the lease (after the leader's work has stopped). */
  shutdown(): Promise<void>;
}

export function startLeaderElectedLoop(o: LeaderElectedLoopOptions): LeaderElectedLoop {
  const stop = new AbortController();
  let leadership: Promise<void> = Promise.resolve();
  const elector = new LeaderElector({
    store: o.store,
    identity: o.identity,
    clock: o.clock,
    ...o.lease,
    onStartedLeading: (signal) => {
      o.log.info({ identity: o.identity }, 'leading');
      o.leaderGauge.set(1);
      leadership = o.lead(signal);
    },
    onStoppedLeading: async () => {
      o.leaderGauge.set(0);
      await leadership;
      o.log.info({ identity: o.identity }, 'stopped leading');
    },
    onNewLeader: (id) => o.log.info({ leader: id }, 'leader observed'),
    onError: (err) => o.log.warn({ err: String(err) }, 'lease operation failed'),
  });
  const done = elector
    .run(stop.signal)
    .then(() => (stop.signal.aborted ? ('stopped' as const) : ('lost' as const)));
  return {
    elector,
    done,
    shutdown: async () => {
      stop.abort();
      await done;
      await leadership;
      await elector.release();
    },
  };
}
