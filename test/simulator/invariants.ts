import {
  ANNOTATIONS,
  FLINK_CLUSTER,
  FLINK_JOB,
  FLINK_SAVEPOINT,
  type KindNames,
} from '../../src/api/names.ts';
import { actionStampTime } from '../../src/api/action-time.ts';
import type { CustomObject } from '../../src/kube/custom-resource-client.ts';
import type { FlinkListener, SimFlink, StoredSavepoint } from './flink.ts';

export const INVARIANTS = [
  'one-running-flink-job',
  'savepoint-triggered-once',
  'savepoint-not-lost',
  'action-answered-once',
  'observed-generation-monotonic',
  'leader-epoch-monotonic',
  'converges',
  'writes-bounded',
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

/**
 * How long a completed savepoint may go unrecorded when the run ends: the supervisor polls a
 * trigger every half poll interval (2.5 s) and syncs the FlinkSavepoint records every pass (5 s).
 */
export const RECORDING_GRACE_MS = 15_000;

/**
 * Stored changes one custom resource may take within WRITE_WINDOW_MS. A pass runs every poll
 * interval (5 s) and on every change it makes; a few writes a second while a job starts or stops is
 * normal, a retry that writes status on every turn of the event loop is a hot loop.
 */
export const WRITE_WINDOW_MS = 10_000;
export const MAX_WRITES_PER_WINDOW = 40;

export interface Violation {
  readonly invariant: InvariantName;
  /** Virtual time (ms since the run began). */
  readonly at: number;
  readonly detail: string;
}

/** Flink states in which a job runs (or is about to): two of them for one FlinkJob is a split brain. */
const RUNNING_STATES = new Set(['INITIALIZING', 'CREATED', 'RUNNING', 'RESTARTING', 'RECONCILING']);

export interface UserRequest {
  readonly job: string;
  readonly action: string;
  readonly madeAt: number;
  /** The request's identity once the supervisor stamped it. */
  stamp?: number;
}

interface MachineContext {
  readonly lastAction?: { requestedAt?: number; outcome?: string } | null;
  readonly previousAction?: { requestedAt?: number; outcome?: string } | null;
  readonly pendingAction?: { requestedAt?: number } | null;
}

function contextOf(obj: CustomObject): MachineContext {
  const machine = obj.status?.['machine'] as { context?: MachineContext } | undefined;
  return machine?.context ?? {};
}

/**
 * Watches everything the simulated world stores and Flink does, and says when one of the
 * issue's invariants breaks: as it happens for the step invariants, and at the end (once faults
 * stopped and the world had its bound to settle) for the others.
 */
export class Ledger implements FlinkListener {
  readonly violations: Violation[] = [];
  readonly requests: UserRequest[] = [];
  readonly completed: StoredSavepoint[] = [];
  /** Savepoint paths that appeared in a FlinkJob's status or as a Completed FlinkSavepoint record. */
  readonly recorded = new Set<string>();
  /** Objects deleted for good (names): their requests and savepoints may end with them. */
  readonly removed = new Set<string>();
  readonly #generations = new Map<string, number>();
  /** The greatest leadership epoch stored on each object: a smaller one later is a replaced leader's write. */
  readonly #epochs = new Map<string, number>();
  readonly #annotations = new Map<string, Record<string, string>>();
  readonly #answers = new Map<string, Map<number, string>>();
  /** When (run time) each savepoint completed, by location. */
  readonly #completedAt = new Map<string, number>();
  /** When each custom resource was stored lately (run time), within WRITE_WINDOW_MS. */
  readonly #writes = new Map<string, number[]>();
  /** Resources already reported for too many writes: one violation per hot spell. */
  readonly #loud = new Set<string>();
  readonly #now: () => number;
  flink: SimFlink | undefined;
  triggers = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  violate(invariant: InvariantName, detail: string): void {
    this.violations.push({ invariant, at: this.#now(), detail });
  }

  // ------------------------------------------------------------ Flink

  triggered(jobId: string, triggerId: string, kind: 'savepoint' | 'stop', joined: boolean): void {
    this.triggers++;
    if (joined || !this.flink) return;
    // One intent, one trigger id: a second operation of the same kind while one is in flight means
    // an intent was issued again under a new id (a restored machine that forgot its trigger).
    const inFlight = [...this.flink.operations.values()].find(
      (op) =>
        op.jobId === jobId && op.kind === kind && op.state === 'IN_PROGRESS' && op.triggerId !== triggerId,
    );
    if (inFlight)
      this.violate(
        'savepoint-triggered-once',
        `${kind} trigger ${triggerId} for Flink job ${jobId} while ${inFlight.triggerId} is in progress`,
      );
  }

  savepointCompleted(savepoint: StoredSavepoint): void {
    this.completed.push(savepoint);
    this.#completedAt.set(savepoint.location, this.#now());
  }

  /** After every step: at most one running Flink job per FlinkJob. */
  checkStep(): void {
    if (!this.flink) return;
    const running = new Map<string, string[]>();
    for (const job of this.flink.jobs.values()) {
      if (!RUNNING_STATES.has(job.state)) continue;
      running.set(job.owner, [...(running.get(job.owner) ?? []), job.id]);
    }
    for (const [owner, ids] of running)
      if (ids.length > 1)
        this.violate(
          'one-running-flink-job',
          `FlinkJob ${owner} runs ${ids.length} Flink jobs: ${ids.join(', ')}`,
        );
  }

  // ------------------------------------------------------------ the API server

  request(request: UserRequest): void {
    this.requests.push(request);
  }

  customResource(kind: KindNames, name: string, obj: CustomObject | undefined): void {
    const key = `${kind.kind}/${name}`;
    if (!obj) {
      this.removed.add(key);
      this.#annotations.delete(key);
      return;
    }
    this.#countWrite(key);
    const uid = obj.metadata.uid ?? '';
    const generation = obj.status?.['observedGeneration'];
    if (typeof generation === 'number') {
      const before = this.#generations.get(uid) ?? 0;
      if (generation < before)
        this.violate(
          'observed-generation-monotonic',
          `${key}: observedGeneration ${before} -> ${generation}`,
        );
      this.#generations.set(uid, Math.max(before, generation));
    }
    const epoch = obj.status?.['leaderEpoch'];
    if (typeof epoch === 'number') {
      const before = this.#epochs.get(uid) ?? 0;
      if (epoch < before)
        this.violate(
          'leader-epoch-monotonic',
          `${key}: status written by epoch ${epoch} after epoch ${before}`,
        );
      this.#epochs.set(uid, Math.max(before, epoch));
    }
    // Since ADR 0015 a savepoint's record is its FlinkSavepoint: listed, restorable, disposed of by
    // retention (a path only in the job's status is never disposed of: its files stay forever). One
    // the machine stopped waiting for gets its outcome there when Flink gives it.
    if (kind === FLINK_SAVEPOINT && obj.status?.['state'] === 'Completed') {
      const path = obj.status['path'];
      if (typeof path === 'string' && path !== '') this.recorded.add(path);
    }
    if (kind === FLINK_JOB || kind === FLINK_CLUSTER) this.#actions(key, name, obj);
  }

  #countWrite(key: string): void {
    const now = this.#now();
    const recent = (this.#writes.get(key) ?? []).filter((t) => now - t < WRITE_WINDOW_MS);
    recent.push(now);
    this.#writes.set(key, recent);
    if (recent.length <= MAX_WRITES_PER_WINDOW) {
      if (recent.length < MAX_WRITES_PER_WINDOW / 2) this.#loud.delete(key);
      return;
    }
    if (this.#loud.has(key)) return;
    this.#loud.add(key);
    this.violate(
      'writes-bounded',
      `${key}: ${recent.length} writes within ${WRITE_WINDOW_MS / 1000} s (at most ${MAX_WRITES_PER_WINDOW})`,
    );
  }

  #actions(key: string, name: string, obj: CustomObject): void {
    const now = obj.metadata.annotations ?? {};
    const before = this.#annotations.get(key) ?? {};
    this.#annotations.set(key, { ...now });
    const context = contextOf(obj);
    const last = context.lastAction;
    // The answers in status: the last request's, and the one before it (two may be answered within
    // one status write).
    for (const answer of [context.previousAction, last]) {
      if (answer?.requestedAt === undefined || answer.outcome === undefined) continue;
      const answers = this.#answers.get(key) ?? new Map<number, string>();
      this.#answers.set(key, answers);
      const earlier = answers.get(answer.requestedAt);
      if (earlier !== undefined && earlier !== answer.outcome)
        this.violate(
          'action-answered-once',
          `${key}: request ${answer.requestedAt} answered ${earlier}, then ${answer.outcome}`,
        );
      answers.set(answer.requestedAt, answer.outcome);
    }
    const stamp = actionStampTime(now[ANNOTATIONS.actionTimestamp]);
    if (now[ANNOTATIONS.requestedAction] !== undefined && stamp !== null) {
      const open = this.requests.find(
        (r) => r.job === name && r.stamp === undefined && r.action === now[ANNOTATIONS.requestedAction],
      );
      if (open) open.stamp = stamp;
    }
    // A request is cleared only once its answer (or its pending record) is in status: write-ahead.
    const clearedStamp = actionStampTime(before[ANNOTATIONS.actionTimestamp]);
    if (before[ANNOTATIONS.requestedAction] !== undefined && now[ANNOTATIONS.requestedAction] === undefined) {
      const recorded =
        clearedStamp !== null &&
        (context.pendingAction?.requestedAt === clearedStamp ||
          last?.requestedAt === clearedStamp ||
          context.previousAction?.requestedAt === clearedStamp);
      if (!recorded)
        this.violate(
          'action-answered-once',
          `${key}: request ${before[ANNOTATIONS.requestedAction]} (${clearedStamp}) cleared before its answer was stored`,
        );
    }
  }

  // ------------------------------------------------------------ at the end

  /** Every request answered exactly once; every completed savepoint recorded; nothing answered twice. */
  checkEnd(): void {
    for (const r of this.requests) {
      const key = `${FLINK_JOB.kind}/${r.job}`;
      if (this.removed.has(key)) continue;
      const answers = this.#answers.get(key);
      if (r.stamp === undefined || !answers?.has(r.stamp))
        this.violate('action-answered-once', `${key}: ${r.action} made at ${r.madeAt} never answered`);
    }
    for (const [key, answers] of this.#answers) {
      for (const at of answers.keys()) {
        const ours = this.requests.filter((r) => `${FLINK_JOB.kind}/${r.job}` === key && r.stamp === at);
        if (ours.length !== 1)
          this.violate('action-answered-once', `${key}: answer for ${at} matches ${ours.length} requests`);
      }
    }
    const end = this.#now();
    for (const sp of this.completed) {
      if (this.recorded.has(sp.location)) continue;
      // One that completed just before the run ended is still being polled (every 2.5 s), not lost.
      if (end - (this.#completedAt.get(sp.location) ?? 0) < RECORDING_GRACE_MS) continue;
      // Flink keeps a trigger's answer in the JobManager's memory only (K2 when it restarted since).
      const forgotten = this.flink?.stoppedAt.some((t) => t >= sp.completedAt) ?? false;
      this.violate(
        'savepoint-not-lost',
        `${sp.kind} savepoint ${sp.location} of ${sp.owner} (trigger ${sp.triggerId}) completed at ${sp.completedAt} and was never recorded${forgotten ? '; the JobManager restarted after it completed' : ''}`,
      );
    }
  }
}
