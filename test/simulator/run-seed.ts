import { createHash } from 'node:crypto';
import { ANNOTATIONS, FLINK_CLUSTER, FLINK_JOB } from '../../src/api/names.ts';
import { MemoryEventRecorder } from '../../src/kube/event-recorder.ts';
import { NAMESPACE, SimApiServer } from './apiserver.ts';
import { worldControllers } from './controllers.ts';
import { FAULT_KINDS, healAll, scheduleFaults, type FaultKind, type FaultWorld } from './faults.ts';
import { SimFlink } from './flink.ts';
import { withVirtualGlobals, type GlobalReads } from './globals.ts';
import { Ledger, type Violation } from './invariants.ts';
import { calmWeather } from './links.ts';
import { Prng } from './prng.ts';
import { SupervisorReplica } from './replica.ts';
import { scheduleScenario, type ScenarioLog } from './scenario.ts';
import { SimClock } from './sim-clock.ts';

export interface SeedOptions {
  readonly seed: number;
  /** Steps (one virtual second each) during which faults are injected; default 120. */
  readonly faultSteps?: number;
  /** Steps after the faults stop within which everything must be steady; default 180. */
  readonly quietSteps?: number;
  /** Turn the faults off (a control run). */
  readonly faults?: boolean;
  /** Receives each line of the trace as it is hashed (`--trace`: what happened, to diagnose). */
  readonly trace?: (line: string) => void;
}

export interface SeedResult {
  readonly seed: number;
  readonly steps: number;
  readonly timersFired: number;
  readonly faults: Record<FaultKind, number>;
  readonly violations: readonly Violation[];
  readonly traceHash: string;
  readonly scenario: ScenarioLog;
  readonly processStarts: number;
  /** JobManager processes that ended, by a fault or by their pod's deletion (a cluster restart). */
  readonly jobManagerRestarts: number;
  readonly savepointsCompleted: number;
  readonly triggers: number;
  readonly globalReads: GlobalReads;
}

const STEP_MS = 1_000;
const START = Date.UTC(2026, 10, 20, 10, 0, 0);
const REPLICAS = 2;

/**
 * One seeded run: a world (API server, Flink, kubelet), two supervisor replicas, the user's
 * scenario and the faults, stepped a virtual second at a time with the step invariants checked
 * after each; then the faults stop, and after the quiet steps everything must be steady and the
 * end invariants hold. The seed decides everything: the same seed gives the same trace hash.
 */
export async function runSeed(options: SeedOptions): Promise<SeedResult> {
  const prng = new Prng(options.seed);
  const clock = new SimClock(START);
  return withVirtualGlobals(prng.fork(), clock, (globalReads) => simulate(options, prng, clock, globalReads));
}

async function simulate(options: SeedOptions, prng: Prng, clock: SimClock, globalReads: GlobalReads) {
  const faultSteps = options.faultSteps ?? 120;
  const quietSteps = options.quietSteps ?? 180;
  const trace = createHash('sha256');
  const note = (line: string) => {
    const stamped = `${clock.now() - START} ${line}`;
    trace.update(`${stamped}\n`);
    options.trace?.(stamped);
  };
  const ledger = new Ledger(() => clock.now() - START);
  const flink = new SimFlink(clock, prng.fork(), {
    triggered: (jobId, triggerId, kind, joined) => {
      note(`flink ${kind} ${jobId} ${triggerId} ${joined}`);
      ledger.triggered(jobId, triggerId, kind, joined);
    },
    savepointCompleted: (sp) => {
      note(`savepoint ${sp.location}`);
      ledger.savepointCompleted(sp);
    },
  });
  ledger.flink = flink;
  const server = new SimApiServer(clock, prng.int(30, 400));
  server.hooks = worldControllers(server, flink, clock, prng.fork());
  server.onCustomResource = (kind, name, obj) => {
    note(`${kind.kind}/${name} ${obj ? JSON.stringify(obj) : 'removed'}`);
    ledger.customResource(kind, name, obj);
  };
  const weather = calmWeather(prng.fork());
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const world = { clock, server, flink, weather, events: new MemoryEventRecorder() };
  const alive = new Set<SupervisorReplica>();
  let starts = 0;
  let ended = false;
  const startReplica = (slot: number) => {
    const replica = new SupervisorReplica(world, `supervisor-${slot}-${starts++}`, prng.fork(), 0, (r) => {
      alive.delete(r);
      note(`exit ${r.identity}`);
      // The kubelet restarts the container; its successor starts from the API server alone.
      if (!ended) clock.schedule(prng.int(500, 5_000), () => startReplica(slot));
    });
    alive.add(replica);
    note(`start ${replica.identity}`);
    void replica.run();
  };
  const faultWorld: FaultWorld = {
    clock,
    server,
    flink,
    weather,
    replicas: () => [...alive],
    injected: (kind, detail) => {
      faults[kind]++;
      note(`fault ${kind} ${detail}`);
    },
  };

  const scenario = scheduleScenario(server, clock, prng.fork(), ledger, faultSteps * STEP_MS);
  for (let slot = 0; slot < REPLICAS; slot++) startReplica(slot);
  if (options.faults !== false) scheduleFaults(faultWorld, prng.fork(), faultSteps * STEP_MS);

  let steps = 0;
  for (; steps < faultSteps + quietSteps; steps++) {
    if (steps === faultSteps) {
      healAll(faultWorld);
      note('healed');
    }
    await clock.runUntil(START + (steps + 1) * STEP_MS);
    ledger.checkStep();
  }
  ended = true;
  ledger.checkEnd();
  checkSteady(server, flink, ledger);
  for (const r of [...alive]) r.kill();
  return {
    seed: options.seed,
    steps,
    timersFired: clock.fired,
    faults,
    violations: dedupe(ledger.violations),
    traceHash: trace.digest('hex'),
    scenario,
    processStarts: starts,
    jobManagerRestarts: flink.stoppedAt.length,
    savepointsCompleted: ledger.completed.length,
    triggers: ledger.triggers,
    globalReads,
  } satisfies SeedResult;
}

/** A step invariant that stays broken is one finding, not one per step. */
function dedupe(violations: readonly Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.invariant} ${v.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Once the faults stopped and the quiet steps passed: every FlinkJob that still exists is steady
 * (Started with exactly its one Flink job RUNNING, or Stopped with none when the user's last word
 * was STOP or when an upgrade had no snapshot and says it left the job stopped), its status has
 * caught up with its generation and no request waits; deletions are done; the cluster is Started;
 * no Flink job runs for a FlinkJob that is gone.
 */
function checkSteady(server: SimApiServer, flink: SimFlink, ledger: Ledger): void {
  const fail = (detail: string) => ledger.violate('converges', detail);
  const cluster = server.crs.objects.get(`${FLINK_CLUSTER.plural}/${NAMESPACE}/sim`);
  if (cluster?.status?.['supervisorStatus'] !== 'Started')
    fail(`FlinkCluster sim is ${String(cluster?.status?.['supervisorStatus'])}, not Started`);
  const running = (owner: string) =>
    [...flink.jobs.values()].filter(
      (j) => j.owner === owner && !['FINISHED', 'FAILED', 'CANCELED'].includes(j.state),
    );
  const existing = new Set<string>();
  for (const [key, obj] of server.crs.objects) {
    if (!key.startsWith(`${FLINK_JOB.plural}/`)) continue;
    const name = obj.metadata.name ?? '';
    existing.add(name);
    const status = obj.status ?? {};
    if (obj.metadata.deletionTimestamp) {
      fail(`FlinkJob ${name} is still being deleted (${String(status['supervisorStatus'])})`);
      continue;
    }
    if (status['observedGeneration'] !== obj.metadata.generation)
      fail(
        `FlinkJob ${name}: observedGeneration ${String(status['observedGeneration'])} of generation ${obj.metadata.generation}`,
      );
    if (obj.metadata.annotations?.[ANNOTATIONS.requestedAction] !== undefined)
      fail(
        `FlinkJob ${name}: request ${obj.metadata.annotations[ANNOTATIONS.requestedAction]} still waiting`,
      );
    const last = ledger.requests.filter((r) => r.job === name && r.action !== 'TRIGGER_SAVEPOINT').at(-1);
    const jobs = running(name);
    const state = String(status['supervisorStatus']);
    const conditions = (status['conditions'] ?? []) as { type?: string; message?: string }[];
    const ready = conditions.find((c) => c.type === 'Ready')?.message ?? '';
    // By design (docs/upgrades.md): an upgrade with no snapshot to carry the state over leaves the
    // job stopped, says why, and waits for the user. That is a steady state, not a hang.
    // The machine's own reason says it even when a later notice (a request rejected meanwhile)
    // has replaced the message.
    const stopReason = (status['machine'] as { context?: { stopReason?: unknown } } | undefined)?.context
      ?.stopReason;
    const leftStopped =
      state === 'Stopped' &&
      jobs.length === 0 &&
      (/the job is left stopped/.test(ready) ||
        stopReason === 'SnapshotUnavailable' ||
        stopReason === 'SnapshotMissing');
    if (leftStopped) continue;
    if (last?.action === 'STOP') {
      if (state !== 'Stopped' || jobs.length > 0)
        fail(`FlinkJob ${name}: stopped by request, but ${state} with ${jobs.length} Flink job(s) running`);
    } else if (
      state !== 'Started' ||
      jobs.length !== 1 ||
      jobs[0]?.id !== status['jobId'] ||
      jobs[0]?.state !== 'RUNNING'
    ) {
      fail(
        `FlinkJob ${name}: ${state} (${String(status['resourceStatus'])}), status job ${String(status['jobId'])}, Flink runs [${jobs.map((j) => `${j.id.slice(0, 8)} ${j.state}`).join(', ')}]`,
      );
    }
  }
  for (const job of flink.jobs.values())
    if (!existing.has(job.owner) && !['FINISHED', 'FAILED', 'CANCELED'].includes(job.state))
      fail(`Flink job ${job.id} of deleted FlinkJob ${job.owner} is still ${job.state}`);
}
