// CheckpointsProgressing: when a job's checkpoints stop completing the supervisor says so (a False
// condition and one Warning), and says so again when they resume (True and one Normal Event),
// reading Flink's statistics only when a read is due. Time is a number the tests move by hand.
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/status.ts';
import { FlinkNotFoundError, FlinkUnavailableError } from '../../../src/flink/errors.ts';
import type { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import type { FlinkCheckpointingStatistics } from '../../../src/flink/schemas.ts';
import { initialJobContext } from '../../../src/machines/job-machine.ts';
import {
  checkpointSettings,
  checkpointStats,
  READ_RETRY_MS,
  stallBoundMs,
  storedCheckpointVerdict,
  type CheckpointSettings,
  type CheckpointStats,
} from '../../../src/supervisor/checkpoint-progress.ts';
import {
  CheckpointWatch,
  type CheckpointChange,
  type CheckpointReader,
} from '../../../src/supervisor/checkpoint-watch.ts';
import { checkpointReader } from '../../../src/supervisor/flink-gateway.ts';
import { statusFromSnapshot, type JobReport } from '../../../src/supervisor/status-report.ts';

const T0 = Date.parse('2026-12-10T10:00:00Z');
const JOB = '0123456789abcdef0123456789abcdef';
const EVERY_2S: CheckpointSettings = { intervalMs: 2000, timeoutMs: 600_000, minPauseMs: 0 };

/**
 * A job that checkpoints every `intervalMs` (each takes `durationMs`) except while `down` says the
 * store is gone; checkpoints tried then fail when `failWhileDown` is set, else none completes.
 */
class FakeCheckpoints implements CheckpointReader {
  reads = 0;
  configReads = 0;
  /** The JobManager's clock minus ours. */
  skewMs = 0;
  failWhileDown = false;
  unreachable = false;
  readonly outages: { from: number; to: number }[] = [];
  readonly #settings: CheckpointSettings | null;
  readonly #durationMs: number;
  now = T0;

  constructor(settings: CheckpointSettings | null = EVERY_2S, durationMs = 200) {
    this.#settings = settings;
    this.#durationMs = durationMs;
  }

  async config(): Promise<CheckpointSettings | null> {
    this.configReads++;
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
    return this.#settings;
  }

  async stats(): Promise<CheckpointStats> {
    this.reads++;
    if (this.unreachable) throw new Error('connect ECONNREFUSED');
    const interval = this.#settings?.intervalMs ?? 1;
    let completed: { id: number; at: number } | null = null;
    let failedSince = 0;
    let failedTotal = 0;
    let inProgress = 0;
    // One checkpoint at a time: the next is triggered an interval after the last, not before it ended.
    for (let id = 1, trigger = T0 + interval; trigger <= this.now; id++) {
      const outage = this.outages.find(
        (o) => trigger + this.#durationMs >= o.from && trigger + this.#durationMs < o.to,
      );
      // While the store is down a write hangs in the S3 client's retries until it is back.
      const done = outage && !this.failWhileDown ? outage.to : trigger + this.#durationMs;
      if (done > this.now) {
        inProgress = 1;
        break;
      }
      if (outage && this.failWhileDown) {
        failedSince++;
        failedTotal++;
      } else {
        completed = { id, at: done };
        failedSince = 0;
      }
      trigger = Math.max(trigger + interval, done);
    }
    return {
      lastCompleted: completed
        ? { id: completed.id, at: completed.at + this.skewMs, durationMs: this.#durationMs }
        : null,
      failedSince,
      lastFailure: failedSince > 0 ? 'java.io.IOException: Connect to s3 timed out' : null,
      inProgress,
      failedTotal,
    };
  }
}

/** Passes every `pollMs` for `durationMs`: what each changed, and the time of each change. */
async function passes(
  watch: CheckpointWatch,
  flink: FakeCheckpoints,
  from: number,
  durationMs: number,
  pollMs = 2000,
  jobId: string | null = JOB,
  state: 'RUNNING' | 'RESTARTING' = 'RUNNING',
): Promise<{ at: number; change: CheckpointChange }[]> {
  const said: { at: number; change: CheckpointChange }[] = [];
  for (let t = from; t < from + durationMs; t += pollMs) {
    flink.now = t;
    const change = await watch.observe(jobId, state, t, flink);
    if (change.changed || change.notice) said.push({ at: t, change });
  }
  return said;
}

describe('what Flink says, reduced', () => {
  it('checkpointing without a periodic interval (Long.MAX_VALUE) is no checkpointing', () => {
    // As it reaches us: JSON.parse rounds Long.MAX_VALUE to the nearest double.
    expect(checkpointSettings(JSON.parse('{"interval":9223372036854775807,"timeout":600000}'))).toBeNull();
    expect(checkpointSettings({ interval: 2000, timeout: 600_000, min_pause: 0 })).toEqual(EVERY_2S);
  });

  it('the last completed checkpoint, and the checkpoints (not savepoints) that failed after it', () => {
    const stats: FlinkCheckpointingStatistics = {
      counts: { restored: 0, total: 9, in_progress: 1, completed: 5, failed: 4 },
      latest: {
        completed: {
          id: 5,
          status: 'COMPLETED',
          is_savepoint: false,
          trigger_timestamp: T0,
          latest_ack_timestamp: T0 + 300,
          end_to_end_duration: 300,
        },
      },
      history: [
        { id: 9, status: 'IN_PROGRESS', is_savepoint: false },
        {
          id: 8,
          status: 'FAILED',
          is_savepoint: false,
          failure_message: 'Checkpoint expired\nbefore completing.',
        },
        { id: 7, status: 'FAILED', is_savepoint: true, failure_message: 'savepoint failed' },
        { id: 6, status: 'FAILED', is_savepoint: false },
        { id: 5, status: 'COMPLETED', is_savepoint: false },
        { id: 4, status: 'FAILED', is_savepoint: false },
      ],
    };
    expect(checkpointStats(stats)).toEqual({
      lastCompleted: { id: 5, at: T0 + 300, durationMs: 300, path: null },
      failedSince: 2,
      lastFailure: 'Checkpoint expired\nbefore completing.',
      inProgress: 1,
      failedTotal: 4,
    });
  });

  it("the gateway's reads: a job without a checkpoint coordinator (404) has no periodic checkpoints; other failures throw", async () => {
    const answers: unknown[] = [
      { interval: 2000, timeout: 600_000, min_pause: 0 },
      new FlinkNotFoundError('Checkpointing is not enabled for this job', { status: 404 }),
      new FlinkUnavailableError('connect ECONNREFUSED'),
    ];
    const client = {
      getCheckpointConfig: async () => {
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next;
      },
    } as unknown as FlinkRestClient;
    const reader = checkpointReader(client, 1000);
    expect(await reader.config(JOB)).toEqual(EVERY_2S);
    expect(await reader.config(JOB)).toBeNull();
    await expect(reader.config(JOB)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('the stall bound: twice the expected gap plus a margin, never past interval + timeout', () => {
    expect(stallBoundMs(EVERY_2S, 200)).toBe(14_000);
    // Checkpoints slower than the interval come as often as they take (plus the pause).
    expect(stallBoundMs({ intervalMs: 60_000, timeoutMs: 600_000, minPauseMs: 30_000 }, 150_000)).toBe(
      370_000,
    );
    // By interval + timeout a checkpoint triggered after the last one has completed or expired.
    expect(stallBoundMs({ intervalMs: 60_000, timeoutMs: 120_000, minPauseMs: 0 }, 115_000)).toBe(190_000);
  });
});

describe('the checkpoint watch', () => {
  it('says True while checkpoints complete, reading Flink only when due', async () => {
    const flink = new FakeCheckpoints();
    const watch = new CheckpointWatch(null);
    const said = await passes(watch, flink, T0 + 10_000, 300_000);
    expect(said).toHaveLength(1);
    expect(said[0]?.change.notice).toBeNull(); // the first True is no news
    expect(watch.verdict).toMatchObject({ progressing: true, reason: 'CheckpointsCompleting' });
    expect(watch.verdict?.message).toMatch(/^checkpoint \d+ completed at 2026-12-10T10:00:\d\d.\d+Z/);
    // 150 passes in 5 minutes; the statistics were read about once per interval + 10 s (the stall
    // bound past the last completion), the configuration once.
    expect(flink.configReads).toBe(1);
    expect(flink.reads).toBeLessThanOrEqual(Math.ceil(300_000 / 12_000) + 1);
    expect(flink.reads).toBeGreaterThan(5);
  });

  it('a 30 s store outage: False (CheckpointsStalled) with one Warning within the bound, True with one Normal Event after', async () => {
    const flink = new FakeCheckpoints();
    const watch = new CheckpointWatch(null);
    const outage = { from: T0 + 60_500, to: T0 + 90_500 };
    flink.outages.push(outage);
    const said = await passes(watch, flink, T0 + 10_000, 180_000);
    const notices = said.flatMap((s) => (s.change.notice ? [{ at: s.at, ...s.change.notice }] : []));
    expect(notices.map((n) => [n.type, n.reason])).toEqual([
      ['Warning', 'CheckpointsStalled'],
      ['Normal', 'CheckpointsResumed'],
    ]);
    const [stalled, resumed] = notices;
    // The last checkpoint completed at 60.2 s; the bound is 14 s; passes come every 2 s.
    expect(stalled!.at - (T0 + 60_200)).toBeGreaterThanOrEqual(14_000);
    expect(stalled!.at - (T0 + 60_200)).toBeLessThanOrEqual(14_000 + 2000);
    expect(stalled!.at).toBeLessThan(outage.to);
    expect(stalled!.message).toMatch(
      /^no checkpoint completed for 1\d s \(bound 14 s\); the last, 30, completed at /,
    );
    // Said again within max(interval, 10 s) of the first checkpoint after the outage.
    expect(resumed!.at).toBeGreaterThan(outage.to);
    expect(resumed!.at - outage.to).toBeLessThanOrEqual(READ_RETRY_MS + 2000);
    expect(watch.verdict).toMatchObject({ progressing: true, reason: 'CheckpointsCompleting' });
    // The condition changed exactly twice after the first True: no rewrite while it held.
    expect(said.filter((s) => s.change.changed)).toHaveLength(3);
  });

  it('checkpoints that fail in a row: False (CheckpointsFailing) before the bound, naming the failure', async () => {
    const flink = new FakeCheckpoints();
    flink.failWhileDown = true;
    flink.outages.push({ from: T0 + 60_500, to: T0 + 200_000 });
    const watch = new CheckpointWatch(null);
    const said = await passes(watch, flink, T0 + 10_000, 100_000);
    const warning = said.find((s) => s.change.notice?.type === 'Warning');
    expect(warning?.change.notice?.reason).toBe('CheckpointsFailing');
    expect(warning!.at - (T0 + 60_200)).toBeLessThan(14_000);
    expect(watch.verdict?.message).toMatch(
      /checkpoint\(s\) failed in a row.*: java.io.IOException: Connect to s3/,
    );
    // Still failing, said once: later passes add nothing.
    expect(said.filter((s) => s.change.notice)).toHaveLength(1);
  });

  it('a job without periodic checkpoints: the configuration is read once, no statistics, no condition', async () => {
    const flink = new FakeCheckpoints(null);
    const watch = new CheckpointWatch(null);
    await passes(watch, flink, T0, 120_000);
    expect(flink.configReads).toBe(1);
    expect(flink.reads).toBe(0);
    expect(watch.verdict).toBeNull();
  });

  it('a new leader starts from the stored verdict: no second Warning, the message kept', async () => {
    const flink = new FakeCheckpoints();
    flink.outages.push({ from: T0 + 5_000, to: T0 + 600_000 });
    const stored = {
      conditions: [
        {
          type: 'CheckpointsProgressing',
          status: 'False',
          reason: 'CheckpointsStalled',
          message: 'no checkpoint completed for 15 s (said by the old leader)',
          lastTransitionTime: new Date(T0 + 20_000).toISOString(),
        },
      ],
    };
    const watch = new CheckpointWatch(storedCheckpointVerdict(stored));
    const said = await passes(watch, flink, T0 + 120_000, 60_000);
    expect(said).toEqual([]);
    expect(watch.verdict?.message).toBe('no checkpoint completed for 15 s (said by the old leader)');
  });

  it('a JobManager clock an hour behind ours invents no stall; one ahead hides none', async () => {
    const behind = new FakeCheckpoints();
    behind.skewMs = -3_600_000;
    const watch = new CheckpointWatch(null);
    const said = await passes(watch, behind, T0 + 10_000, 120_000);
    expect(said.some((s) => s.change.notice)).toBe(false);
    expect(watch.verdict?.progressing).toBe(true);

    const ahead = new FakeCheckpoints();
    ahead.skewMs = 3_600_000;
    ahead.outages.push({ from: T0 + 60_500, to: T0 + 600_000 });
    const watch2 = new CheckpointWatch(null);
    const said2 = await passes(watch2, ahead, T0 + 10_000, 120_000);
    expect(said2.find((s) => s.change.notice)?.change.notice?.reason).toBe('CheckpointsStalled');
  });

  it('no job (stopped): the condition goes, without an Event; a failed read changes nothing', async () => {
    const flink = new FakeCheckpoints();
    const watch = new CheckpointWatch(null);
    await passes(watch, flink, T0 + 10_000, 30_000);
    expect(watch.verdict?.progressing).toBe(true);
    flink.unreachable = true;
    flink.outages.push({ from: T0, to: T0 + 600_000 });
    expect(await passes(watch, flink, T0 + 40_000, 60_000)).toEqual([]);
    expect(watch.verdict?.progressing).toBe(true);
    expect(await watch.observe(null, 'NONE', T0 + 100_000, flink)).toEqual({ changed: true, notice: null });
    expect(watch.verdict).toBeNull();
  });

  it('a restart loop (RUNNING, RESTARTING, ...) that completes nothing is a stall too', async () => {
    const flink = new FakeCheckpoints();
    flink.outages.push({ from: T0 + 20_500, to: T0 + 600_000 });
    const watch = new CheckpointWatch(null);
    await passes(watch, flink, T0 + 10_000, 10_000);
    let said: { at: number; change: CheckpointChange }[] = [];
    for (let t = T0 + 20_000; t < T0 + 80_000; t += 4000) {
      said = said.concat(await passes(watch, flink, t, 2000, 2000, JOB, 'RESTARTING'));
      said = said.concat(await passes(watch, flink, t + 2000, 2000, 2000, JOB, 'RUNNING'));
    }
    expect(said.find((s) => s.change.notice)?.change.notice?.reason).toBe('CheckpointsStalled');
  });

  it("Flink's statistics beginning anew (a new JobManager) start the count again", async () => {
    const flink = new FakeCheckpoints();
    const watch = new CheckpointWatch(null);
    await passes(watch, flink, T0 + 10_000, 30_000);
    // The new JobManager has completed nothing yet: not a stall until the bound passes from now.
    const fresh = { stats: async () => ({ ...(await flink.stats()), lastCompleted: null }) };
    const reader: CheckpointReader = { config: () => flink.config(), stats: () => fresh.stats() };
    for (let t = T0 + 40_000; t < T0 + 40_000 + 12_000; t += 2000) {
      flink.now = t;
      expect((await watch.observe(JOB, 'RUNNING', t, reader)).notice).toBeNull();
    }
    expect(watch.verdict?.progressing).toBe(true);
  });
});

describe('the CheckpointsProgressing condition in a FlinkJob status', () => {
  function report(
    stored: Record<string, unknown> | undefined,
    checkpoints: JobReport['checkpoints'],
    now: number,
  ) {
    const r: JobReport = {
      kind: 'job',
      now,
      generation: 1,
      stored,
      restoreFailure: null,
      invalidSpec: null,
      invalidAction: null,
      snapshot: {
        value: { Started: 'Running' },
        context: initialJobContext({ uid: 'u', idSeed: '1', at: T0 }),
      },
      clusterName: 'c',
      clusterUid: 'uc',
      cluster: undefined,
      job: undefined,
      lastFlinkJob: null,
      ...(checkpoints === undefined ? {} : { checkpoints }),
    };
    return statusFromSnapshot(r);
  }
  const condition = (status: Record<string, unknown>) =>
    (status['conditions'] as Condition[]).find((c) => c.type === 'CheckpointsProgressing');

  it('is set from the verdict, unchanged while it holds (same status, no write), removed when null, kept when unknown', async () => {
    const flink = new FakeCheckpoints();
    flink.outages.push({ from: T0 + 60_500, to: T0 + 90_500 });
    const watch = new CheckpointWatch(null);
    let status: Record<string, unknown> | undefined;
    const statuses: string[] = [];
    for (let t = T0 + 10_000; t < T0 + 85_000; t += 2000) {
      flink.now = t;
      await watch.observe(JOB, 'RUNNING', t, flink);
      status = report(status, watch.verdict, t);
      const { timestamp: _ignored, ...rest } = status;
      statuses.push(JSON.stringify(rest));
    }
    // Three statuses in 75 s of passes: without the condition, True, then False.
    expect(new Set(statuses).size).toBe(3);
    expect(condition(status!)).toMatchObject({
      status: 'False',
      reason: 'CheckpointsStalled',
      observedGeneration: 1,
    });
    expect(condition(report(status, undefined, T0 + 80_000))?.status).toBe('False');
    expect(condition(report(status, null, T0 + 80_000))).toBeUndefined();
  });
});
