import type { Prng } from './prng.ts';
import type { ProcessClock } from './sim-clock.ts';

/**
 * How one simulated process reaches the world: its clock (dies with it), its network paths (each
 * may be partitioned), and the signal its leader's requests die with (request-bounds.ts's
 * `cancelWhen`: the current leadership, undefined before the first).
 */
export interface ProcessLink {
  readonly name: string;
  readonly clock: ProcessClock;
  apiPartitioned: boolean;
  flinkPartitioned: boolean;
  /** The API server refuses this process's Lease writes (a lease lost while other calls work). */
  leaseBlocked: boolean;
  leadership: () => AbortSignal | undefined;
}

/** What the faults set for everyone at once; the draws come from the world's generator. */
export interface Weather {
  readonly prng: Prng;
  /** Extra API latency (ms) drawn per request while slow. */
  apiSlowMs: number;
  /** Chance that an API request hangs until its 10 s bound. */
  apiHangChance: number;
  flinkSlowMs: number;
  flinkServerErrorChance: number;
  flinkHangChance: number;
  /** Chance that Flink acts on a request twice (a retried connection, a duplicated packet). */
  flinkDuplicateChance: number;
  /** Chance that Flink acts on a request and the answer is lost (the caller sees a timeout). */
  flinkLostResponseChance: number;
}

export function calmWeather(prng: Prng): Weather {
  return {
    prng,
    apiSlowMs: 0,
    apiHangChance: 0,
    flinkSlowMs: 0,
    flinkServerErrorChance: 0,
    flinkHangChance: 0,
    flinkDuplicateChance: 0,
    flinkLostResponseChance: 0,
  };
}

export function calm(weather: Weather): void {
  Object.assign(weather, calmWeather(weather.prng));
}

/** A promise that never settles: the code of a dead process stops at its await for good. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** Waits `ms` on the process clock; rejects when `signal` aborts first. */
export function pause(link: ProcessLink, ms: number, signal?: AbortSignal): Promise<void> {
  if (link.clock.dead) return never();
  return link.clock.sleep(ms, signal);
}
