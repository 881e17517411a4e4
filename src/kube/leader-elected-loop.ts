import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { LeaderElector, type LeaderElectorOptions, type LeadershipTerm } from './lease-elector.ts';
import type { LeaseStore } from './lease-store.ts';

/**
 * The life of a leader-elected process (operator, supervisor): campaign; while leading, `lead`
 * acts under the leader's signal; when the lease is lost, `done` resolves `lost` (the caller exits,
 * as client-go advises: nothing may act without the lease). `shutdown` is the clean way out and
 * keeps this order: first `drain` (no new work; the work in flight finishes) while the lease is
 * still held and renewed, bounded by `drainTimeoutMs`; then stop leading and wait for `lead` to
 * return; only then release the lease, so a successor never acts beside unfinished work of ours.
 */
export interface LeaderElectedLoopOptions {
  readonly store: LeaseStore;
  readonly identity: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly leaderGauge: { set(value: number): void };
  /** Acts while `signal` is not aborted; `term` carries the leadership's epoch (fencing, ADR 0014). */
  readonly lead: (signal: AbortSignal, term: LeadershipTerm) => Promise<void>;
  /** Finishes or hands over the work in flight, while still leading (a clean shutdown). */
  readonly drain?: () => Promise<void>;
  /** How long a clean shutdown waits for `drain` (default DEFAULT_DRAIN_TIMEOUT_MS). */
  readonly drainTimeoutMs?: number;
  readonly lease?: Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
}

/** Below Kubernetes' default 30 s termination grace period, with room for the release. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

export interface LeaderElectedLoop {
  readonly elector: LeaderElector;
  readonly done: Promise<'lost' | 'stopped'>;
  /** The current leadership's signal (aborted once it ends), or undefined before the first. */
  readonly leadership: () => AbortSignal | undefined;
  /** Drains the work in flight, stops leading, then releases the lease. */
  shutdown(): Promise<void>;
}

export function startLeaderElectedLoop(o: LeaderElectedLoopOptions): LeaderElectedLoop {
  const stop = new AbortController();
  let leadership: Promise<void> = Promise.resolve();
  let leadershipSignal: AbortSignal | undefined;
  const elector = new LeaderElector({
    store: o.store,
    identity: o.identity,
    clock: o.clock,
    ...o.lease,
    onStartedLeading: (signal, term) => {
      o.log.info({ identity: o.identity, epoch: term.epoch }, 'leading');
      o.leaderGauge.set(1);
      leadershipSignal = signal;
      leadership = o.lead(signal, term);
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

  const drain = async (): Promise<void> => {
    if (!o.drain || !elector.isLeader) return;
    const timer = new AbortController();
    const timeoutMs = o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    const outcome = await Promise.race([
      o.drain().then(
        () => 'drained' as const,
        (err: unknown) => {
          o.log.warn({ err: String(err) }, 'drain failed');
          return 'failed' as const;
        },
      ),
      o.clock.sleep(timeoutMs, timer.signal).then(
        () => 'timed out' as const,
        () => 'timed out' as const,
      ),
      done.then(() => 'lost' as const),
    ]);
    timer.abort();
    if (outcome !== 'drained') o.log.warn({ outcome, timeoutMs }, 'work in flight not drained');
  };

  return {
    elector,
    done,
    leadership: () => leadershipSignal,
    shutdown: async () => {
      await drain();
      stop.abort();
      await done;
      await leadership;
      await elector.release();
    },
  };
}
