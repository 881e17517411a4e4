import { LABELS } from '../../src/api/names.ts';
import type { SimApiServer } from './apiserver.ts';
import type { SimFlink } from './flink.ts';
import { calm, type Weather } from './links.ts';
import type { Prng } from './prng.ts';
import type { SupervisorReplica } from './replica.ts';
import type { SimClock } from './sim-clock.ts';

export const FAULT_KINDS = [
  'crash',
  'lease-loss',
  'partition-api',
  'partition-flink',
  'clock-skew',
  'slow-api',
  'api-hang',
  'apiserver-restart',
  'slow-flink',
  'flink-5xx',
  'flink-hang',
  'flink-duplicate',
  'flink-lost-response',
  'flink-reset',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultWorld {
  readonly clock: SimClock;
  readonly server: SimApiServer;
  readonly flink: SimFlink;
  readonly weather: Weather;
  /** The replicas alive now. */
  replicas(): SupervisorReplica[];
  /** Records one injected fault (the trace and the counts). */
  injected(kind: FaultKind, detail: string): void;
}

function jobManagerRunning(server: SimApiServer): boolean {
  return server
    .pods()
    .some((p) => p.metadata?.labels?.[LABELS.role] === 'jobmanager' && p.status?.phase === 'Running');
}

/**
 * Sprinkles faults over the fault phase, drawn from the seed: a crash of a supervisor process at
 * whatever await it is in, a lease lost while its other calls still work, partitions between a
 * process and the API server or Flink, a skewed wall clock, slow, hung, failed, duplicated and
 * answer-lost requests, a JobManager restart (its jobs lost, no HA) and an API server restart (every
 * watch dropped, the watch cache compacted to now, so resuming watches get 410 Gone).
 */
export function scheduleFaults(world: FaultWorld, prng: Prng, faultPhaseMs: number): void {
  const count = prng.int(4, 14);
  for (let i = 0; i < count; i++) {
    const at = prng.int(5_000, Math.max(6_000, faultPhaseMs - 5_000));
    const kind = prng.pick(FAULT_KINDS);
    const duration = prng.int(2_000, 30_000);
    const draw = prng.fork();
    world.clock.schedule(at, () => inject(world, kind, duration, draw));
  }
}

function inject(world: FaultWorld, kind: FaultKind, duration: number, prng: Prng): void {
  const { clock, weather, server, flink } = world;
  const replicas = world.replicas();
  const leader = replicas.find((r) => r.leading);
  const victim = leader && prng.chance(0.7) ? leader : replicas.length > 0 ? prng.pick(replicas) : undefined;
  const later = (ms: number, undo: () => void) => clock.schedule(ms, undo);
  switch (kind) {
    case 'crash':
      if (!victim) return;
      world.injected(kind, victim.identity);
      victim.kill();
      return;
    case 'lease-loss':
      if (!victim) return;
      world.injected(kind, victim.identity);
      victim.link.leaseBlocked = true;
      later(prng.int(11_000, 25_000), () => (victim.link.leaseBlocked = false));
      return;
    case 'partition-api':
      if (!victim) return;
      world.injected(kind, `${victim.identity} ${duration}ms`);
      victim.link.apiPartitioned = true;
      victim.connection.dropWatches();
      later(duration, () => (victim.link.apiPartitioned = false));
      return;
    case 'partition-flink':
      if (!victim) return;
      world.injected(kind, `${victim.identity} ${duration}ms`);
      victim.link.flinkPartitioned = true;
      later(duration, () => (victim.link.flinkPartitioned = false));
      return;
    case 'clock-skew': {
      if (!victim) return;
      const skew = (prng.chance(0.5) ? -1 : 1) * prng.int(1_000, 300_000);
      world.injected(kind, `${victim.identity} ${skew}ms`);
      victim.link.clock.skewMs = skew;
      later(prng.int(10_000, 120_000), () => (victim.link.clock.skewMs = 0));
      return;
    }
    case 'slow-api':
      world.injected(kind, `${duration}ms`);
      weather.apiSlowMs = prng.int(200, 4_000);
      later(duration, () => (weather.apiSlowMs = 0));
      return;
    case 'api-hang':
      world.injected(kind, `${duration}ms`);
      weather.apiHangChance = prng.int(5, 30) / 100;
      later(duration, () => (weather.apiHangChance = 0));
      return;
    case 'apiserver-restart':
      world.injected(kind, '');
      server.crash();
      later(prng.int(1_000, 10_000), () => server.recover());
      return;
    case 'slow-flink':
      world.injected(kind, `${duration}ms`);
      weather.flinkSlowMs = prng.int(200, 5_000);
      later(duration, () => (weather.flinkSlowMs = 0));
      return;
    case 'flink-5xx':
      world.injected(kind, `${duration}ms`);
      weather.flinkServerErrorChance = prng.int(20, 60) / 100;
      later(duration, () => (weather.flinkServerErrorChance = 0));
      return;
    case 'flink-hang':
      world.injected(kind, `${duration}ms`);
      weather.flinkHangChance = prng.int(10, 30) / 100;
      later(duration, () => (weather.flinkHangChance = 0));
      return;
    case 'flink-duplicate':
      world.injected(kind, `${duration}ms`);
      weather.flinkDuplicateChance = prng.int(30, 100) / 100;
      later(duration, () => (weather.flinkDuplicateChance = 0));
      return;
    case 'flink-lost-response':
      world.injected(kind, `${duration}ms`);
      weather.flinkLostResponseChance = prng.int(20, 50) / 100;
      later(duration, () => (weather.flinkLostResponseChance = 0));
      return;
    case 'flink-reset':
      if (!flink.up) return;
      world.injected(kind, '');
      flink.stop();
      later(prng.int(1_000, 5_000), () => {
        if (!flink.up && jobManagerRunning(server)) flink.start();
      });
      return;
  }
}

/** The faults stop: every path heals, the weather calms, the API server and Flink come back. */
export function healAll(world: FaultWorld): void {
  calm(world.weather);
  for (const r of world.replicas()) {
    r.link.apiPartitioned = false;
    r.link.flinkPartitioned = false;
    r.link.leaseBlocked = false;
    r.link.clock.skewMs = 0;
  }
  world.server.recover();
  if (!world.flink.up && jobManagerRunning(world.server)) world.flink.start();
}
