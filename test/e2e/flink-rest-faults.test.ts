import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/devenv/free-port.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';
import {
  FlinkServerError,
  FlinkTimeoutError,
  FlinkUnavailableError,
  type FlinkRestError,
} from '../../src/flink/errors.ts';
import { createFlinkDispatcher } from '../../src/flink/dispatcher.ts';
import { FlinkRestClient } from '../../src/flink/flink-rest-client.ts';
import { deriveJobId, deriveTriggerId, type FlinkId } from '../../src/flink/ids.ts';
import { exponentialBackoff } from '../../src/flink/retry-policy.ts';
import { startFaultProxy, startSilentServer, type FaultProxy } from '../support/fault-proxy.ts';
import {
  FLINK_LINES,
  startTestFlink,
  waitForJobRunning,
  waitForSavepoint,
  type TestFlink,
} from '../support/flink-cluster.ts';

const MAX_ATTEMPTS = 3;
const HEADERS_MS = 400;

/** A client whose every request goes through `url`, with short clocks and a small retry bound. */
function faultyClient(
  url: string,
  extra: { requestMs?: number; headersMs?: number; connectMs?: number; version?: string } = {},
) {
  const dispatcher = createFlinkDispatcher(url, { connectTimeoutMs: extra.connectMs ?? 2_000 });
  const headersMs = extra.headersMs ?? HEADERS_MS;
  const client = new FlinkRestClient({
    baseUrl: url,
    dispatcher,
    timeouts: { headersMs, bodyMs: headersMs, requestMs: extra.requestMs ?? 60_000 },
    retry: exponentialBackoff({ maxAttempts: MAX_ATTEMPTS, baseDelayMs: 20, maxDelayMs: 100 }),
    ...(extra.version === undefined ? {} : { flinkVersion: extra.version }),
  });
  return { client, dispatcher };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as FlinkRestError,
  );

/**
 * The client against a real Flink behind a loopback proxy that delays, resets and answers 500/503:
 * clocks fire, read retries stop at their bound, writes are not repeated when they may have reached
 * Flink, and repeating a lost submission or savepoint with the same id does nothing twice.
 */
describe.each(FLINK_LINES)('the Flink REST client through faults, against Flink %s', (line) => {
  let flink: TestFlink;
  let proxy: FaultProxy;
  let client: FlinkRestClient;
  let dispatcher: Pool;
  /** Through the proxy too, but patient: a jar run takes Flink a second or more. */
  let writer: FlinkRestClient;
  let writerDispatcher: Pool;
  let jarId: string;
  let jobId: FlinkId;

  beforeAll(async () => {
    flink = await startTestFlink(line);
    jarId = (await flink.client.uploadJar(flink.distribution.examples.TopSpeedWindowing)).jarId;
    proxy = await startFaultProxy({ target: flink.cluster.restUrl });
    ({ client, dispatcher } = faultyClient(proxy.url));
    ({ client: writer, dispatcher: writerDispatcher } = faultyClient(proxy.url, { headersMs: 30_000 }));
    await client.flinkVersion();
    await writer.flinkVersion();
  });
  afterEach(() => {
    proxy.clearFaults();
  });
  afterAll(async () => {
    await dispatcher?.close();
    await writerDispatcher?.close();
    await proxy?.close();
    await flink?.stop();
  });

  describe('reads', () => {
    it('time out waiting for headers, and retries stop at their bound', async () => {
      const before = proxy.count('GET', '/overview');
      proxy.inject({
        method: 'GET',
        path: '/overview',
        fault: { kind: 'delay', ms: 20_000 },
        times: Infinity,
      });
      const started = performance.now();
      const err = await failure(client.getOverview());
      expect(err).toBeInstanceOf(FlinkTimeoutError);
      expect((err as FlinkTimeoutError).phase).toBe('headers');
      expect(proxy.count('GET', '/overview') - before).toBe(MAX_ATTEMPTS);
      // All attempts together ended long before one delayed answer would have come.
      expect(performance.now() - started).toBeLessThan(20_000);
    });

    it('time out when the body stalls', async () => {
      const before = proxy.count('GET', '/jobs/overview');
      proxy.inject({
        method: 'GET',
        path: '/jobs/overview',
        fault: { kind: 'stall-body', bytes: 3 },
        times: Infinity,
      });
      const err = await failure(client.listJobOverviews());
      expect(err).toBeInstanceOf(FlinkTimeoutError);
      expect((err as FlinkTimeoutError).phase).toBe('body');
      expect(proxy.count('GET', '/jobs/overview') - before).toBe(MAX_ATTEMPTS);
    });

    it('are bounded as a whole by the request clock', async () => {
      const slow = faultyClient(proxy.url, { requestMs: 250, version: flink.distribution.release.version });
      try {
        proxy.inject({
          method: 'GET',
          path: '/overview',
          fault: { kind: 'stall-body', bytes: 1 },
          times: Infinity,
        });
        const err = await failure(slow.client.getOverview());
        expect(err).toBeInstanceOf(FlinkTimeoutError);
        // bodyMs (400) would fire later than the whole-attempt clock (250).
        expect((err as FlinkTimeoutError).phase).toBe('request');
      } finally {
        await slow.dispatcher.close();
      }
    });

    it('are retried through 503s and resets until Flink answers', async () => {
      const before = proxy.count('GET', '/overview');
      proxy.inject({ method: 'GET', path: '/overview', fault: { kind: 'status', status: 503 } });
      proxy.inject({ method: 'GET', path: '/overview', fault: { kind: 'reset' } });
      const overview = await client.getOverview();
      expect(overview.taskmanagers).toBe(1);
      expect(proxy.count('GET', '/overview') - before).toBe(3);
    });

    it('stop retrying 503 at the bound', async () => {
      const before = proxy.count('GET', '/jobs');
      proxy.inject({ method: 'GET', path: '/jobs', fault: { kind: 'status', status: 503 }, times: Infinity });
      const err = await failure(client.listJobs());
      expect(err).toBeInstanceOf(FlinkUnavailableError);
      expect(err.status).toBe(503);
      expect(proxy.count('GET', '/jobs') - before).toBe(MAX_ATTEMPTS);
    });

    it('are not retried after a 500', async () => {
      const before = proxy.count('GET', '/overview');
      proxy.inject({
        method: 'GET',
        path: '/overview',
        fault: { kind: 'status', status: 500 },
        times: Infinity,
      });
      expect(await failure(client.getOverview())).toBeInstanceOf(FlinkServerError);
      expect(proxy.count('GET', '/overview') - before).toBe(1);
    });

    it('stop at once when cancelled', async () => {
      const before = proxy.count('GET', '/overview');
      proxy.inject({
        method: 'GET',
        path: '/overview',
        fault: { kind: 'delay', ms: 20_000 },
        times: Infinity,
      });
      const ac = new AbortController();
      const reason = new Error('reconcile superseded');
      setTimeout(() => ac.abort(reason), 100);
      const started = performance.now();
      await expect(client.getOverview({ signal: ac.signal })).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(proxy.count('GET', '/overview') - before).toBe(1);
    });
  });

  describe('writes', () => {
    it('repeat a submission whose answer was lost with the same job id: one job', async () => {
      jobId = deriveJobId({ namespace: 'faults', name: `job-${line}`, generation: 1, attempt: 0 });
      const jobsBefore = (await flink.client.listJobs()).length;
      const path = `/jars/${jarId}/run`;
      proxy.inject({ method: 'POST', path, fault: { kind: 'reset-after-forward' } });
      const lost = await failure(writer.runJar(jarId, { jobId, parallelism: 1 }));
      expect(lost).toBeInstanceOf(FlinkUnavailableError);
      expect(lost.outcomeUnknown).toBe(true);
      // The client did not repeat it on its own: one POST reached the proxy, and Flink did run it.
      expect(proxy.count('POST', path)).toBe(1);
      expect((await flink.client.listJobs()).map((j) => j.id)).toContain(jobId);
      // The caller repeats it, as a supervisor would after a crash: nothing new starts.
      expect(await client.runJar(jarId, { jobId, parallelism: 1 })).toEqual({
        jobId,
        outcome: 'already-submitted',
      });
      const jobs = await flink.client.listJobs();
      expect(jobs.filter((j) => j.id === jobId)).toHaveLength(1);
      expect(jobs).toHaveLength(jobsBefore + 1);
      await waitForJobRunning(flink.client, jobId);
    });

    it('repeat a savepoint whose answer was lost with the same trigger id: one savepoint', async () => {
      const triggerId = deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 1 });
      const before = (await flink.client.getCheckpoints(jobId)).counts.total;
      const path = `/jobs/${jobId}/savepoints`;
      proxy.inject({ method: 'POST', path, fault: { kind: 'reset-after-forward' } });
      const lost = await failure(writer.triggerSavepoint(jobId, { triggerId }));
      expect(lost).toBeInstanceOf(FlinkUnavailableError);
      expect(lost.outcomeUnknown).toBe(true);
      expect(proxy.count('POST', path)).toBe(1);
      expect(await writer.triggerSavepoint(jobId, { triggerId })).toEqual({ triggerId });
      expect(await waitForSavepoint(writer, jobId, triggerId)).toMatchObject({ state: 'COMPLETED' });
      await waitFor(
        'the savepoint in the statistics',
        async () => ((await flink.client.getCheckpoints(jobId)).counts.total > before ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      await sleep(1_500);
      expect((await flink.client.getCheckpoints(jobId)).counts.total).toBe(before + 1);
    });

    it('are not repeated after a 503, a reset or a headers timeout', async () => {
      const path = `/jobs/${jobId}/savepoints`;
      const sent = () => proxy.requests.filter((r) => r.method === 'POST' && r.path === path);
      const forwardedBefore = sent().filter((r) => r.forwarded).length;
      const before = sent().length;

      proxy.inject({ method: 'POST', path, fault: { kind: 'status', status: 503 } });
      const unavailable = await failure(
        client.triggerSavepoint(jobId, {
          triggerId: deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 2 }),
        }),
      );
      expect(unavailable).toBeInstanceOf(FlinkUnavailableError);
      expect(sent().length - before).toBe(1);

      proxy.inject({ method: 'POST', path, fault: { kind: 'reset' } });
      const reset = await failure(
        client.triggerSavepoint(jobId, {
          triggerId: deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 3 }),
        }),
      );
      expect(reset).toBeInstanceOf(FlinkUnavailableError);
      expect(reset.outcomeUnknown).toBe(true);
      expect(sent().length - before).toBe(2);

      proxy.inject({ method: 'POST', path, fault: { kind: 'delay', ms: 20_000 } });
      const slow = await failure(
        client.triggerSavepoint(jobId, {
          triggerId: deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 4 }),
        }),
      );
      expect(slow).toBeInstanceOf(FlinkTimeoutError);
      expect(slow.outcomeUnknown).toBe(true);
      expect(sent().length - before).toBe(3);
      // None of the three was forwarded by a retry.
      expect(sent().filter((r) => r.forwarded).length - forwardedBefore).toBeLessThanOrEqual(1);
    });
  });

  describe('connections', () => {
    it('time out connecting, and even a write is retried then, since nothing was sent', async () => {
      const silent = await startSilentServer();
      const { client: c, dispatcher: d } = faultyClient(silent.url, { connectMs: 200, version: '1.20.5' });
      try {
        const read = await failure(c.getOverview());
        expect(read).toBeInstanceOf(FlinkTimeoutError);
        expect((read as FlinkTimeoutError).phase).toBe('connect');
        expect(read.sent).toBe(false);
        expect(silent.connections).toBe(MAX_ATTEMPTS);
        const write = await failure(
          c.triggerSavepoint(jobId, {
            triggerId: deriveTriggerId({ jobId, purpose: 'savepoint', sequence: 5 }),
          }),
        );
        expect((write as FlinkTimeoutError).phase).toBe('connect');
        expect(silent.connections).toBe(2 * MAX_ATTEMPTS);
      } finally {
        await d.destroy();
        await silent.close();
      }
    });

    it('report a refused connection as unavailable, not sent', async () => {
      const port = await freePort('127.0.0.1');
      const { client: c, dispatcher: d } = faultyClient(`http://127.0.0.1:${port}`, { version: '1.20.5' });
      try {
        const err = await failure(c.cancelJob(jobId));
        expect(err).toBeInstanceOf(FlinkUnavailableError);
        expect(err.sent).toBe(false);
        expect(err.message).toContain('ECONNREFUSED');
      } finally {
        await d.close();
      }
    });
  });
});
