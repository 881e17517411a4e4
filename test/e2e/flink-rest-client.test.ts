import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { FlinkBadRequestError, FlinkNotFoundError, isFlinkNotFound } from '../../src/flink/errors.ts';
import type { RunJarResult, UploadedJar } from '../../src/flink/client-types.ts';
import { deriveJobId, deriveTriggerId, type FlinkId } from '../../src/flink/ids.ts';
import type { FlinkCheckpointingStatistics } from '../../src/flink/schemas.ts';
import {
  FLINK_LINES,
  localPath,
  startTestFlink,
  waitForJobRunning,
  waitForJobStatus,
  waitForSavepoint,
  type TestFlink,
} from '../support/flink-cluster.ts';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Every call of the Flink REST client against a real session cluster of each supported release,
 * one cluster per release shared by the file's tests, which run in order as one job's life:
 * upload, run, savepoint, checkpoint, rescale, stop, resubmit, cancel, dispose, delete.
 */
describe.each(FLINK_LINES)('the Flink REST client against Flink %s', (line) => {
  let flink: TestFlink;
  let topSpeed: UploadedJar;
  let wordCount: UploadedJar;
  let jobId: FlinkId;
  let savepointLocation: string;
  const jobName = { namespace: 'e2e', name: `top-speed-${line}`, generation: 1 };

  beforeAll(async () => {
    flink = await startTestFlink(line);
  });

  /**
   * Checkpoint statistics once they show `ready`, read again after Flink's statistics cache
   * (web.refresh-interval, 500 ms here) has turned over, so a second operation would show too.
   */
  async function settledCheckpoints(id: FlinkId, ready: (s: FlinkCheckpointingStatistics) => boolean) {
    await waitFor(
      'checkpoint statistics',
      async () => (ready(await flink.client.getCheckpoints(id)) ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await sleep(1_500);
    return flink.client.getCheckpoints(id);
  }
  afterAll(async () => {
    await flink?.stop();
  });

  it('detects the version from GET /config', async () => {
    const version = await flink.client.flinkVersion();
    expect(version.raw).toBe(flink.distribution.release.version);
    const caps = await flink.client.capabilities();
    expect(caps.claimModeField).toBe('claimMode');
    expect(caps.programArgsString).toBe(line === '1.20');
    expect(caps.strictRequestBodies).toBe(false);
  });

  it('reads the cluster: overview, configuration, JobManager metrics', async () => {
    const overview = await flink.client.getOverview();
    expect(overview).toMatchObject({ taskmanagers: 1, 'slots-total': 4, 'jobs-running': 0 });
    expect((await flink.client.getConfig())['flink-version']).toBe(flink.distribution.release.version);
    const config = await flink.client.getJobManagerConfig();
    expect(config['jobmanager.scheduler']).toBe('adaptive');
    expect(config['rest.address']).toBe(flink.cluster.address);
    // Flink fetches metrics lazily: the first answers can be empty.
    const [heap] = await waitFor(
      'JobManager heap metric',
      async () => {
        const m = await flink.client.getJobManagerMetrics(['Status.JVM.Memory.Heap.Used']);
        return m[0]?.value ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(Number(heap?.value)).toBeGreaterThan(0);
    expect((await flink.client.getJobManagerMetrics()).map((m) => m.id)).toContain(
      'Status.JVM.Memory.Heap.Used',
    );
  });

  it('reads TaskManagers: list, details, metrics, aggregates; an unknown one is not found', async () => {
    const [tm] = await flink.client.listTaskManagers();
    expect(tm).toBeDefined();
    expect(tm?.slotsNumber).toBe(4);
    const details = await flink.client.getTaskManager(tm!.id);
    expect(details.id).toBe(tm!.id);
    expect(details.hardware?.cpuCores).toBeGreaterThan(0);
    const metrics = await waitFor(
      'TaskManager heap metric',
      async () => {
        const m = await flink.client.getTaskManagerMetrics(tm!.id, ['Status.JVM.Memory.Heap.Used']);
        return m[0]?.value ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(Number(metrics[0]?.value)).toBeGreaterThan(0);
    const [agg] = await flink.client.getAggregatedTaskManagerMetrics({
      metrics: ['Status.JVM.Memory.Heap.Used'],
      aggregations: ['max', 'sum'],
    });
    expect(agg?.max).toBeGreaterThan(0);
    expect(agg?.sum).toBe(agg?.max);
    await expect(flink.client.getTaskManager('no-such-taskmanager')).rejects.toBeInstanceOf(
      FlinkNotFoundError,
    );
  });

  it('uploads jars streamed from disk and lists them with their entry classes', async () => {
    topSpeed = await flink.client.uploadJar(flink.distribution.examples.TopSpeedWindowing);
    wordCount = await flink.client.uploadJar(flink.distribution.examples.WordCount);
    expect(topSpeed.jarId).toMatch(/_TopSpeedWindowing\.jar$/);
    expect(await exists(topSpeed.path)).toBe(true);
    const jars = await flink.client.listJars();
    expect(jars.map((j) => j.id).sort()).toEqual([topSpeed.jarId, wordCount.jarId].sort());
    const entry = jars.find((j) => j.id === topSpeed.jarId)?.entry[0]?.name;
    expect(entry).toBe('org.apache.flink.streaming.examples.windowing.TopSpeedWindowing');
  });

  it('runs a jar under a chosen job id; the same id again starts nothing', async () => {
    jobId = deriveJobId({ ...jobName, attempt: 0 });
    const first = await flink.client.runJar(topSpeed.jarId, { jobId, parallelism: 1 });
    expect(first).toMatchObject({ jobId, outcome: 'submitted' } satisfies Partial<RunJarResult>);
    if (line === '2.3') expect(first.applicationId).toBe(jobId);
    const again = await flink.client.runJar(topSpeed.jarId, { jobId, parallelism: 1 });
    expect(again).toEqual({ jobId, outcome: 'already-submitted' });
    expect((await flink.client.listJobs()).filter((j) => j.id === jobId)).toHaveLength(1);
    expect(await flink.client.listJobs()).toHaveLength(1);
    await waitForJobRunning(flink.client, jobId);
  });

  it('reads the job: details, status, overview, metrics, an empty exception history', async () => {
    const details = await flink.client.getJob(jobId);
    expect(details).toMatchObject({ jid: jobId, name: 'CarTopSpeedWindowingExample', state: 'RUNNING' });
    expect(details['job-type']).toBe('STREAMING');
    expect(details.vertices.length).toBeGreaterThanOrEqual(2);
    expect(await flink.client.getJobStatus(jobId)).toBe('RUNNING');
    const [overview] = await flink.client.listJobOverviews();
    expect(overview).toMatchObject({ jid: jobId, state: 'RUNNING' });
    const uptime = await waitFor(
      'job uptime metric',
      async () => {
        const [m] = await flink.client.getJobMetrics(jobId, ['uptime']);
        return m?.value ? Number(m.value) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(uptime).toBeGreaterThanOrEqual(0);
    expect(await flink.client.getJobExceptions(jobId, { maxExceptions: 5 })).toEqual({
      entries: [],
      truncated: false,
    });
  });

  it('triggers one savepoint per trigger id, however often it is asked', async () => {
    const triggerId = deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 1 });
    const before = (await flink.client.getCheckpoints(jobId)).counts.total;
    expect(await flink.client.triggerSavepoint(jobId, { triggerId })).toEqual({ triggerId });
    expect(await flink.client.triggerSavepoint(jobId, { triggerId })).toEqual({ triggerId });
    const done = await waitForSavepoint(flink.client, jobId, triggerId);
    expect(done.state).toBe('COMPLETED');
    savepointLocation = done.state === 'COMPLETED' ? done.location : '';
    expect(localPath(savepointLocation).startsWith(flink.cluster.savepointDir)).toBe(true);
    expect(await exists(localPath(savepointLocation))).toBe(true);
    // A repeat after completion (a supervisor restarted late) still maps to the same savepoint.
    expect(await flink.client.triggerSavepoint(jobId, { triggerId })).toEqual({ triggerId });
    expect(await flink.client.getSavepointStatus(jobId, triggerId)).toEqual(done);
    const stats = await settledCheckpoints(jobId, (s) => s.counts.total > before);
    expect(stats.counts.total).toBe(before + 1);
    expect(stats.latest?.savepoint?.external_path).toBe(savepointLocation);
    const unknown = deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 99 });
    await expect(flink.client.getSavepointStatus(jobId, unknown)).rejects.toBeInstanceOf(FlinkNotFoundError);
  });

  it('triggers one checkpoint per trigger id and reads its status', async () => {
    const triggerId = deriveTriggerId({ jobId, purpose: 'checkpoint', sequence: 1 });
    const before = (await flink.client.getCheckpoints(jobId)).counts.completed;
    expect(await flink.client.triggerCheckpoint(jobId, { triggerId, checkpointType: 'FULL' })).toEqual({
      triggerId,
    });
    expect(await flink.client.triggerCheckpoint(jobId, { triggerId, checkpointType: 'FULL' })).toEqual({
      triggerId,
    });
    const status = await waitFor(
      'checkpoint',
      async () => {
        const s = await flink.client.getCheckpointStatus(jobId, triggerId);
        return s.state === 'IN_PROGRESS' ? undefined : s;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status.state).toBe('COMPLETED');
    const after = await settledCheckpoints(jobId, (s) => s.counts.completed > before);
    expect(after.counts.completed).toBe(before + 1);
    expect(after.counts.in_progress).toBe(0);
    expect(after.history.some((c) => status.state === 'COMPLETED' && c.id === status.checkpointId)).toBe(
      true,
    );
  });

  it('reads and changes resource requirements (adaptive scheduler)', async () => {
    const current = await flink.client.getResourceRequirements(jobId);
    const vertices = (await flink.client.getJob(jobId)).vertices.map((v) => v.id).sort();
    expect(Object.keys(current).sort()).toEqual(vertices);
    const wider = Object.fromEntries(
      vertices.map((v) => [v, { parallelism: { lowerBound: 1, upperBound: 2 } }]),
    );
    await flink.client.updateResourceRequirements(jobId, wider);
    expect(await flink.client.getResourceRequirements(jobId)).toEqual(wider);
  });

  it('stops with a savepoint once per trigger id; the job finishes', async () => {
    // The rescale above restarts the tasks.
    await waitForJobRunning(flink.client, jobId);
    const triggerId = deriveTriggerId({ jobId, purpose: 'stop', sequence: 1 });
    expect(await flink.client.stopJobWithSavepoint(jobId, { triggerId, drain: false })).toEqual({
      triggerId,
    });
    expect(await flink.client.stopJobWithSavepoint(jobId, { triggerId, drain: false })).toEqual({
      triggerId,
    });
    const done = await waitForSavepoint(flink.client, jobId, triggerId);
    expect(done.state).toBe('COMPLETED');
    if (done.state === 'COMPLETED') {
      expect(done.location).not.toBe(savepointLocation);
      savepointLocation = done.location;
    }
    await waitForJobStatus(flink.client, jobId, 'FINISHED');
    // Stopping again with the same trigger id is the same, finished operation.
    expect(await flink.client.stopJobWithSavepoint(jobId, { triggerId })).toEqual({ triggerId });
    expect(await flink.client.getSavepointStatus(jobId, triggerId)).toEqual(done);
  });

  it('resubmits from the savepoint under the next attempt’s id; the old id stays taken', async () => {
    const stale = await flink.client.runJar(topSpeed.jarId, { jobId, savepointPath: savepointLocation });
    expect(stale.outcome).toBe('already-submitted');
    jobId = deriveJobId({ ...jobName, attempt: 1 });
    const result = await flink.client.runJar(topSpeed.jarId, {
      jobId,
      savepointPath: savepointLocation,
      claimMode: 'NO_CLAIM',
      allowNonRestoredState: false,
      parallelism: 1,
    });
    expect(result.outcome).toBe('submitted');
    await waitForJobStatus(flink.client, jobId, 'RUNNING');
    const restored = await waitFor(
      'the restore to show in the checkpoint statistics',
      async () => (await flink.client.getCheckpoints(jobId)).latest?.restored ?? undefined,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(restored.external_path).toBe(savepointLocation);
    expect(restored.is_savepoint).toBe(true);
  });

  it('cancels; cancelling again is harmless; a finished job is already terminal', async () => {
    expect(await flink.client.cancelJob(jobId)).toBe('cancellation-requested');
    await waitForJobStatus(flink.client, jobId, 'CANCELED');
    // Flink acknowledges a cancel of a cancelled job again (202)…
    expect(await flink.client.cancelJob(jobId)).toBe('cancellation-requested');
    // …and refuses one of a job that ended otherwise (409), which the client reports as done.
    expect(await flink.client.getJobStatus(deriveJobId({ ...jobName, attempt: 0 }))).toBe('FINISHED');
    expect(await flink.client.cancelJob(deriveJobId({ ...jobName, attempt: 0 }))).toBe('already-terminal');
  });

  it('reads the exception history of a failed job', async () => {
    const failing = deriveJobId({ namespace: 'e2e', name: `word-count-${line}`, generation: 1, attempt: 0 });
    const run = await flink.client.runJar(wordCount.jarId, {
      jobId: failing,
      programArgs: ['--input', '/nonexistent/flinkvisor-e2e-input'],
    });
    expect(run.outcome).toBe('submitted');
    await waitForJobStatus(flink.client, failing, 'FAILED');
    const history = await waitFor(
      'an exception in the history',
      async () => {
        const h = await flink.client.getJobExceptions(failing, { maxExceptions: 3 });
        return h.entries.length > 0 ? h : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(history.entries[0]?.exceptionName).toMatch(/Exception$/);
    expect(history.entries[0]?.stacktrace).toBeTruthy();
    expect(history.entries[0]?.timestamp).toBeGreaterThan(0);
  });

  it('maps unknown jobs and refused submissions to typed errors', async () => {
    const ghost = deriveJobId({ namespace: 'e2e', name: 'ghost', generation: 1, attempt: 0 });
    await expect(flink.client.getJob(ghost)).rejects.toBeInstanceOf(FlinkNotFoundError);
    await expect(flink.client.getJobStatus(ghost)).rejects.toBeInstanceOf(FlinkNotFoundError);
    await expect(flink.client.cancelJob(ghost)).rejects.toBeInstanceOf(FlinkNotFoundError);
    const bad = await flink.client
      .runJar(topSpeed.jarId, { jobId: ghost, entryClass: 'org.example.NoSuchMain' })
      .catch((e: unknown) => e);
    // Flink answers 500 here; the client reads the ProgramInvocationException as the bad request it is.
    expect(bad).toBeInstanceOf(FlinkBadRequestError);
    expect((bad as FlinkBadRequestError).errors.join(' ')).toContain(
      'ClassNotFoundException: org.example.NoSuchMain',
    );
    expect((await flink.client.listJobs()).some((j) => j.id === ghost)).toBe(false);
  });

  it('disposes a savepoint', async () => {
    const path = localPath(savepointLocation);
    expect(await exists(path)).toBe(true);
    const { triggerId } = await flink.client.disposeSavepoint(savepointLocation);
    const status = await waitFor(
      'the disposal',
      async () => {
        const s = await flink.client.getSavepointDisposalStatus(triggerId);
        return s.state === 'IN_PROGRESS' ? undefined : s;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status).toEqual({ state: 'COMPLETED' });
    expect(await exists(path)).toBe(false);
    const again = await flink.client.disposeSavepoint(savepointLocation);
    const failed = await waitFor(
      'the second disposal',
      async () => {
        const s = await flink.client.getSavepointDisposalStatus(again.triggerId);
        return s.state === 'IN_PROGRESS' ? undefined : s;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(failed.state).toBe('FAILED');
  });

  it('deletes jars; a deleted jar is not found', async () => {
    expect(await flink.client.deleteJar(topSpeed.jarId)).toBe('deleted');
    expect(await flink.client.deleteJar(topSpeed.jarId)).toBe('not-found');
    expect((await flink.client.listJars()).map((j) => j.id)).toEqual([wordCount.jarId]);
    const lost = await flink.client
      .runJar(topSpeed.jarId, { jobId: deriveJobId({ ...jobName, attempt: 9 }) })
      .catch((e: unknown) => e);
    expect(isFlinkNotFound(lost)).toBe(true);
  });
});
