import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/devenv/wait-for.ts';
import { deriveJobId, deriveTriggerId, type FlinkId } from '../../src/flink/ids.ts';
import {
  FLINK_LINES,
  startTestFlink,
  waitForJobRunning,
  waitForJobStatus,
  waitForSavepoint,
  type TestFlink,
} from '../support/flink-cluster.ts';

interface Run {
  readonly flink: TestFlink;
  jarId: string;
  jobId: FlinkId;
  savepoint: string;
}

/**
 * Issue 2's smoke test, driven through the REST client: for each supported Flink release, two
 * session clusters at once on two loopback addresses with the same ports, each taking a streaming
 * job through upload, run, savepoint, stop-with-savepoint and resubmission, and a batch-like job
 * (WordCount on its built-in data) to FINISHED.
 */
describe.each(FLINK_LINES)('two Flink %s session clusters side by side', (line) => {
  let runs: Run[] = [];

  beforeAll(async () => {
    const started = await Promise.allSettled([startTestFlink(line), startTestFlink(line)]);
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((f) => f.stop()));
      throw failed.reason;
    }
    runs = ok.map((flink) => ({ flink, jarId: '', jobId: '', savepoint: '' }));
  });
  afterAll(async () => {
    await Promise.all(runs.map((r) => r.flink.stop()));
  });

  const onBoth = (step: (run: Run, index: number) => Promise<void>) => Promise.all(runs.map(step));

  it('listen on two loopback addresses with the same ports', async () => {
    const [a, b] = runs.map((r) => r.flink.cluster);
    expect(a?.address).not.toBe(b?.address);
    expect(new URL(a!.restUrl).port).toBe(new URL(b!.restUrl).port);
    await onBoth(async ({ flink }) => {
      const config = await flink.client.getJobManagerConfig();
      expect(config['jobmanager.rpc.port']).toBe('6123');
      expect(config['rest.address']).toBe(flink.cluster.address);
      expect((await flink.client.getOverview()).taskmanagers).toBe(1);
      expect((await flink.client.flinkVersion()).raw).toBe(flink.distribution.release.version);
    });
  });

  it('upload TopSpeedWindowing over REST and run it', async () => {
    await onBoth(async (run, i) => {
      run.jarId = (await run.flink.client.uploadJar(run.flink.distribution.examples.TopSpeedWindowing)).jarId;
      run.jobId = deriveJobId({ namespace: 'smoke', name: `top-speed-${i}`, generation: 1, attempt: 0 });
      const result = await run.flink.client.runJar(run.jarId, { jobId: run.jobId, parallelism: 1 });
      expect(result).toMatchObject({ jobId: run.jobId, outcome: 'submitted' });
      await waitForJobRunning(run.flink.client, run.jobId);
    });
  });

  it('trigger a savepoint and wait for COMPLETED', async () => {
    await onBoth(async (run) => {
      const triggerId = deriveTriggerId({ jobId: run.jobId, purpose: 'savepoint', sequence: 1 });
      expect(await run.flink.client.triggerSavepoint(run.jobId, { triggerId })).toEqual({ triggerId });
      const done = await waitForSavepoint(run.flink.client, run.jobId, triggerId);
      expect(done).toMatchObject({
        state: 'COMPLETED',
        location: expect.stringContaining(run.flink.cluster.savepointDir),
      });
    });
  });

  it('stop with a savepoint', async () => {
    await onBoth(async (run) => {
      const triggerId = deriveTriggerId({ jobId: run.jobId, purpose: 'stop', sequence: 1 });
      await run.flink.client.stopJobWithSavepoint(run.jobId, { triggerId });
      const done = await waitForSavepoint(run.flink.client, run.jobId, triggerId);
      expect(done.state).toBe('COMPLETED');
      run.savepoint = done.state === 'COMPLETED' ? done.location : '';
      expect(await waitForJobStatus(run.flink.client, run.jobId, ['FINISHED', 'CANCELED'])).toBe('FINISHED');
    });
  });

  it('resubmit from that savepoint and see RUNNING', async () => {
    await onBoth(async (run, i) => {
      run.jobId = deriveJobId({ namespace: 'smoke', name: `top-speed-${i}`, generation: 1, attempt: 1 });
      const result = await run.flink.client.runJar(run.jarId, {
        jobId: run.jobId,
        savepointPath: run.savepoint,
        claimMode: 'NO_CLAIM',
      });
      expect(result.outcome).toBe('submitted');
      expect(await waitForJobStatus(run.flink.client, run.jobId, 'RUNNING')).toBe('RUNNING');
      const restored = await waitFor(
        'the restore in the checkpoint statistics',
        async () => (await run.flink.client.getCheckpoints(run.jobId)).latest?.restored ?? undefined,
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(restored.external_path).toBe(run.savepoint);
    });
  });

  it('run WordCount to FINISHED', async () => {
    await onBoth(async (run, i) => {
      const { jarId } = await run.flink.client.uploadJar(run.flink.distribution.examples.WordCount);
      const jobId = deriveJobId({ namespace: 'smoke', name: `word-count-${i}`, generation: 1, attempt: 0 });
      expect((await run.flink.client.runJar(jarId, { jobId })).outcome).toBe('submitted');
      expect(await waitForJobStatus(run.flink.client, jobId, ['FINISHED', 'FAILED', 'CANCELED'])).toBe(
        'FINISHED',
      );
    });
  });

  it('keep the two clusters apart', async () => {
    await onBoth(async (run, i) => {
      const ids = (await run.flink.client.listJobs()).map((j) => j.id).sort();
      const own = [
        deriveJobId({ namespace: 'smoke', name: `top-speed-${i}`, generation: 1, attempt: 0 }),
        deriveJobId({ namespace: 'smoke', name: `top-speed-${i}`, generation: 1, attempt: 1 }),
        deriveJobId({ namespace: 'smoke', name: `word-count-${i}`, generation: 1, attempt: 0 }),
      ].sort();
      expect(ids).toEqual(own);
    });
  });
});
