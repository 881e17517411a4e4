import {
  FlinkNotFoundError,
  FlinkServerError,
  FlinkTimeoutError,
  FlinkUnavailableError,
} from '../../src/flink/errors.ts';
import type { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { isTerminalFlinkState } from '../../src/machines/observations.ts';
import { never, pause, type ProcessLink, type Weather } from './links.ts';
import type { Prng } from './prng.ts';
import type { SimClock } from './sim-clock.ts';

export interface SimFlinkJob {
  readonly id: string;
  /** The FlinkJob it was submitted for (the bootstrap Job's label). */
  readonly owner: string;
  state: string;
  readonly restoredFrom: string | null;
  readonly parallelism: number;
  runningSince: number | null;
}

export interface SavepointOperation {
  readonly triggerId: string;
  readonly jobId: string;
  readonly kind: 'savepoint' | 'stop';
  state: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  location?: string;
}

/** A savepoint on durable storage: it outlives the JobManager that wrote it. */
export interface StoredSavepoint {
  readonly location: string;
  readonly owner: string;
  readonly jobId: string;
  readonly triggerId: string;
  readonly kind: 'savepoint' | 'stop';
  readonly completedAt: number;
}

export interface FlinkListener {
  /** A trigger reached Flink (each delivery, duplicates included). */
  triggered(jobId: string, triggerId: string, kind: 'savepoint' | 'stop', joined: boolean): void;
  savepointCompleted(savepoint: StoredSavepoint): void;
}

const CHECKPOINT_INTERVAL_MS = 10_000;
/** How long a hung request waits before the client's own timeout answers (flink-rest-client's bound). */
const FLINK_HANG_MS = 15_000;

/**
 * Flink's REST API as the supervisor uses it, over one JobManager that runs while its pod is Ready.
 * Jobs start, checkpoint every 10 s, take savepoints, stop with a savepoint and cancel on the world
 * clock; a JobManager restart (no HA) loses its jobs and operations, never the savepoints on storage.
 * Trigger ids are Flink's: a repeat joins the operation in flight.
 */
export class SimFlink {
  up = false;
  incarnation = 0;
  readonly jobs = new Map<string, SimFlinkJob>();
  readonly operations = new Map<string, SavepointOperation>();
  /** When JobManager processes ended (a fault, or its pod deleted): each forgot its operations. */
  readonly stoppedAt: number[] = [];
  readonly storage = new Map<string, StoredSavepoint>();
  slotsTotal = 0;
  /** The Ready TaskManager pods' addresses (the kubelet keeps it). */
  taskManagerHosts: string[] = [];
  readonly #clock: SimClock;
  readonly #prng: Prng;
  readonly #listener: FlinkListener;
  #savepoints = 0;

  constructor(clock: SimClock, prng: Prng, listener: FlinkListener) {
    this.#clock = clock;
    this.#prng = prng;
    this.#listener = listener;
  }

  /** The JobManager process starts (again): nothing of a previous one survives (no HA). */
  start(): void {
    this.up = true;
    this.incarnation++;
    this.jobs.clear();
    this.operations.clear();
  }

  stop(): void {
    if (this.up) this.stoppedAt.push(this.#clock.now());
    this.up = false;
    this.incarnation++;
    this.jobs.clear();
    this.operations.clear();
  }

  #later(minMs: number, maxMs: number, act: () => void): void {
    const incarnation = this.incarnation;
    this.#clock.schedule(this.#prng.int(minMs, maxMs), () => {
      if (this.incarnation === incarnation) act();
    });
  }

  /** The bootstrap's run: submits with its job id, or finds it submitted already. */
  submit(
    jobId: string,
    owner: string,
    restoredFrom: string | null,
    parallelism = 1,
  ): 'submitted' | 'already-running' {
    if (this.jobs.has(jobId)) return 'already-running';
    const job: SimFlinkJob = {
      id: jobId,
      owner,
      state: 'INITIALIZING',
      restoredFrom,
      parallelism,
      runningSince: null,
    };
    this.jobs.set(jobId, job);
    this.#later(300, 1500, () => {
      if (job.state !== 'INITIALIZING') return;
      job.state = 'RUNNING';
      job.runningSince = this.#clock.now();
    });
    return 'submitted';
  }

  #job(jobId: string): SimFlinkJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new FlinkNotFoundError(`job ${jobId} not found`);
    return job;
  }

  cancel(jobId: string): 'cancellation-requested' | 'already-terminal' {
    const job = this.#job(jobId);
    if (isTerminalFlinkState(job.state) || job.state === 'CANCELLING') return 'already-terminal';
    job.state = 'CANCELLING';
    this.#later(100, 800, () => (job.state = 'CANCELED'));
    return 'cancellation-requested';
  }

  trigger(
    jobId: string,
    triggerId: string,
    kind: 'savepoint' | 'stop',
    target: string,
  ): { triggerId: string } {
    const job = this.#job(jobId);
    const existing = this.operations.get(triggerId);
    this.#listener.triggered(jobId, triggerId, kind, existing !== undefined);
    if (existing) return { triggerId };
    const op: SavepointOperation = { triggerId, jobId, kind, state: 'IN_PROGRESS' };
    this.operations.set(triggerId, op);
    if (job.state !== 'RUNNING') {
      op.state = 'FAILED';
      return { triggerId };
    }
    this.#later(300, 3000, () => {
      if (job.state !== 'RUNNING' || this.#prng.chance(0.05)) {
        op.state = 'FAILED';
        return;
      }
      // Flink's name: savepoint-<first 6 hex of the job id>-<12 hex>.
      const suffix = (++this.#savepoints).toString(16).padStart(12, '0');
      const location = `${target.replace(/\/$/, '')}/savepoint-${jobId.slice(0, 6)}-${suffix}`;
      op.state = 'COMPLETED';
      op.location = location;
      const stored: StoredSavepoint = {
        location,
        owner: job.owner,
        jobId,
        triggerId,
        kind,
        completedAt: this.#clock.now(),
      };
      this.storage.set(location, stored);
      this.#listener.savepointCompleted(stored);
      if (kind === 'stop') job.state = 'FINISHED';
    });
    return { triggerId };
  }

  /** TaskManagers as GET /taskmanagers lists them: the running jobs' slots taken from the first. */
  taskManagers(slotsEach: number): { id: string; slotsNumber: number; freeSlots: number }[] {
    let used = [...this.jobs.values()]
      .filter((j) => !isTerminalFlinkState(j.state))
      .reduce((sum, j) => sum + j.parallelism, 0);
    return this.taskManagerHosts.map((host, i) => {
      const taken = Math.min(slotsEach, used);
      used -= taken;
      return {
        id: `${host}:6122-${String(i).padStart(6, '0')}`,
        slotsNumber: slotsEach,
        freeSlots: slotsEach - taken,
      };
    });
  }

  checkpoints(jobId: string): unknown {
    const job = this.#job(jobId);
    const since = job.runningSince;
    const count = since === null ? 0 : Math.floor((this.#clock.now() - since) / CHECKPOINT_INTERVAL_MS);
    const at = since === null ? 0 : since + count * CHECKPOINT_INTERVAL_MS;
    const completed =
      count > 0
        ? {
            id: count,
            status: 'COMPLETED',
            is_savepoint: false,
            latest_ack_timestamp: at,
            end_to_end_duration: 50,
            external_path: `file:///checkpoints/${jobId}/chk-${count}`,
          }
        : null;
    return {
      counts: { restored: 0, total: count, in_progress: 0, completed: count, failed: 0 },
      latest: { completed, savepoint: null, failed: null, restored: null },
      history: [],
    };
  }
}

/**
 * One process's Flink REST client over the simulated JobManager. Each call travels, may be slow,
 * hang until the client's timeout, fail with 5xx, be acted on twice, or be acted on with its
 * answer lost, as the weather says; a partition or a JobManager that is down is "unavailable".
 * Aborts by AbortSignal.timeout (the gateway's wall-clock bounds) are ignored: in virtual time they
 * would fire at random, and the hang above stands for them.
 */
export function simFlinkClient(flink: SimFlink, link: ProcessLink, weather: Weather): FlinkRestClient {
  const call = async <T>(signal: AbortSignal | undefined, mutating: boolean, act: () => T): Promise<T> => {
    if (link.clock.dead) return never();
    // Every bound the supervisor puts on a call runs on its (virtual) clock: an abort, a timeout
    // included, ends the call at once, as undici does.
    const cancel = new AbortController();
    const onAbort = () => cancel.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const w = weather;
      const half = 1 + w.prng.int(0, 10) + (w.flinkSlowMs > 0 ? w.prng.int(0, w.flinkSlowMs) : 0);
      const hangs = w.flinkHangChance > 0 && w.prng.chance(w.flinkHangChance);
      const fails = w.flinkServerErrorChance > 0 && w.prng.chance(w.flinkServerErrorChance);
      const twice = mutating && w.flinkDuplicateChance > 0 && w.prng.chance(w.flinkDuplicateChance);
      const lost = mutating && w.flinkLostResponseChance > 0 && w.prng.chance(w.flinkLostResponseChance);
      await pause(link, half, cancel.signal);
      if (link.clock.dead) return never();
      if (link.flinkPartitioned || !flink.up)
        throw new FlinkUnavailableError('connection refused (simulated)');
      if (fails) throw new FlinkServerError('500 Internal Server Error (simulated)');
      const result = act();
      if (twice) {
        try {
          act();
        } catch {
          // The second delivery's own answer is never read.
        }
      }
      if (hangs || lost) {
        await pause(link, hangs ? FLINK_HANG_MS : half, cancel.signal);
        if (link.clock.dead) return never();
        throw new FlinkTimeoutError('headers', hangs ? FLINK_HANG_MS : half);
      }
      await pause(link, half, cancel.signal);
      if (link.clock.dead) return never();
      if (link.flinkPartitioned) throw new FlinkUnavailableError('connection reset (simulated)');
      return result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
  type Call = { signal?: AbortSignal };
  const client = {
    getOverview: (c: Call = {}) =>
      call(c.signal, false, () => ({
        'slots-total': flink.slotsTotal,
        'slots-available': flink.slotsTotal,
        taskmanagers: flink.slotsTotal,
        'jobs-running': [...flink.jobs.values()].filter((j) => j.state === 'RUNNING').length,
        'flink-version': '2.3.0',
      })),
    listJobs: (c: Call = {}) =>
      call(c.signal, false, () => [...flink.jobs.values()].map((j) => ({ id: j.id, status: j.state }))),
    listTaskManagers: (c: Call = {}) => call(c.signal, false, () => flink.taskManagers(2)),
    getJobStatus: (jobId: string, c: Call = {}) =>
      call(c.signal, false, () => {
        const job = flink.jobs.get(jobId);
        if (!job) throw new FlinkNotFoundError(`job ${jobId} not found`);
        return job.state;
      }),
    cancelJob: (jobId: string, c: Call = {}) => call(c.signal, true, () => flink.cancel(jobId)),
    triggerSavepoint: (
      jobId: string,
      request: { triggerId: string; targetDirectory?: string },
      c: Call = {},
    ) =>
      call(c.signal, true, () =>
        flink.trigger(jobId, request.triggerId, 'savepoint', request.targetDirectory ?? 'file:///default'),
      ),
    stopJobWithSavepoint: (
      jobId: string,
      request: { triggerId: string; targetDirectory?: string },
      c: Call = {},
    ) =>
      call(c.signal, true, () =>
        flink.trigger(jobId, request.triggerId, 'stop', request.targetDirectory ?? 'file:///default'),
      ),
    getSavepointStatus: (jobId: string, triggerId: string, c: Call = {}) =>
      call(c.signal, false, () => {
        const op = flink.operations.get(triggerId);
        if (!op || op.jobId !== jobId) throw new FlinkNotFoundError(`no operation ${triggerId}`);
        if (op.state === 'COMPLETED') return { state: 'COMPLETED', location: op.location };
        if (op.state === 'FAILED')
          return {
            state: 'FAILED',
            failure: { className: 'CheckpointException', message: 'simulated failure' },
          };
        return { state: 'IN_PROGRESS' };
      }),
    getCheckpoints: (jobId: string, c: Call = {}) => call(c.signal, false, () => flink.checkpoints(jobId)),
    getCheckpointConfig: (jobId: string, c: Call = {}) =>
      call(c.signal, false, () => {
        if (!flink.jobs.has(jobId)) throw new FlinkNotFoundError(`job ${jobId} not found`);
        return { interval: CHECKPOINT_INTERVAL_MS, timeout: 600_000, min_pause: 0 };
      }),
    getJobExceptions: (_jobId: string, c: Call = {}) => call(c.signal, false, () => ({ entries: [] })),
  };
  return client as unknown as FlinkRestClient;
}
