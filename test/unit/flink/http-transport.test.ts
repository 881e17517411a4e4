import { errors as undiciErrors, MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FlinkInvalidResponseError,
  FlinkNotFoundError,
  FlinkServerError,
  FlinkTimeoutError,
  FlinkUnavailableError,
} from '../../../src/flink/errors.ts';
import { FlinkHttpTransport, type FlinkTransportOptions } from '../../../src/flink/http-transport.ts';
import { exponentialBackoff, realSleep } from '../../../src/flink/retry-policy.ts';
import { JOB_NOT_FOUND, OVERVIEW } from './fixtures.ts';
import { ORIGIN } from './mock-flink.ts';

let agent: MockAgent;
let sleeps: number[];

function transport(options: Partial<FlinkTransportOptions> = {}): FlinkHttpTransport {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  sleeps = [];
  return new FlinkHttpTransport({
    baseUrl: ORIGIN,
    dispatcher: agent,
    retry: exponentialBackoff({ maxAttempts: 4, baseDelayMs: 200, random: () => 0.5 }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
}

afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
});

const GET = { method: 'GET', route: '/overview', path: '/overview' } as const;
const POST = {
  method: 'POST',
  route: '/jobs/:jobid/savepoints',
  path: '/jobs/x/savepoints',
  json: { a: 1 },
} as const;
const calls = () => agent.getCallHistory()?.calls().length ?? 0;

describe('reads (GET)', () => {
  it('are retried on 503 with jittered, growing pauses, and stop at the bound', async () => {
    const t = transport();
    agent.get(ORIGIN).intercept({ path: '/overview' }).reply(503, '{"errors":["leader election"]}').times(4);
    const err = await t.send(GET).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlinkUnavailableError);
    expect(calls()).toBe(4);
    expect(sleeps).toEqual([150, 300, 600]);
  });

  it('succeed once Flink answers again', async () => {
    const t = transport();
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/overview' }).reply(503, '').times(2);
    pool.intercept({ path: '/overview' }).reply(200, OVERVIEW);
    await expect(t.send(GET)).resolves.toEqual({ status: 200, body: OVERVIEW });
    expect(calls()).toBe(3);
  });

  it('are retried after a reset connection and after a headers timeout', async () => {
    const t = transport();
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/overview' }).replyWithError(new undiciErrors.SocketError('other side closed'));
    pool.intercept({ path: '/overview' }).replyWithError(new undiciErrors.HeadersTimeoutError());
    pool.intercept({ path: '/overview' }).reply(200, OVERVIEW);
    await expect(t.send(GET)).resolves.toMatchObject({ status: 200 });
    expect(calls()).toBe(3);
  });

  it('end with the typed timeout when every attempt times out', async () => {
    const t = transport({ timeouts: { headersMs: 1234 } });
    agent
      .get(ORIGIN)
      .intercept({ path: '/overview' })
      .replyWithError(new undiciErrors.HeadersTimeoutError())
      .times(4);
    const err = await t.send(GET).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect((err as FlinkTimeoutError).phase).toBe('headers');
    expect((err as Error).message).toBe(
      'GET /overview: timed out waiting for the response headers after 1234ms',
    );
  });

  it('are not retried when Flink gave a definite answer (404, 500)', async () => {
    const t = transport();
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/jobs/x' }).reply(404, JOB_NOT_FOUND);
    pool.intercept({ path: '/overview' }).reply(500, '{"errors":["Internal server error."]}');
    await expect(t.send({ method: 'GET', route: '/jobs/:jobid', path: '/jobs/x' })).rejects.toBeInstanceOf(
      FlinkNotFoundError,
    );
    await expect(t.send(GET)).rejects.toBeInstanceOf(FlinkServerError);
    expect(calls()).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('wait at least as long as Retry-After says', async () => {
    const t = transport();
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/overview' }).reply(503, '', { headers: { 'retry-after': '2' } });
    pool.intercept({ path: '/overview' }).reply(200, OVERVIEW);
    await t.send(GET);
    expect(sleeps).toEqual([2000]);
  });
});

describe('writes', () => {
  it('are not retried after a 503', async () => {
    const t = transport();
    agent.get(ORIGIN).intercept({ path: '/jobs/x/savepoints', method: 'POST' }).reply(503, '');
    const err = await t.send(POST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlinkUnavailableError);
    expect(calls()).toBe(1);
  });

  it('are not retried when the connection broke after sending: the outcome is unknown', async () => {
    const t = transport();
    agent
      .get(ORIGIN)
      .intercept({ path: '/jobs/x/savepoints', method: 'POST' })
      .replyWithError(new undiciErrors.SocketError('other side closed'));
    const err = (await t.send(POST).catch((e: unknown) => e)) as FlinkUnavailableError;
    expect(err).toBeInstanceOf(FlinkUnavailableError);
    expect(err.outcomeUnknown).toBe(true);
    expect(calls()).toBe(1);
  });

  it('are not retried after a headers timeout either', async () => {
    const t = transport();
    agent
      .get(ORIGIN)
      .intercept({ path: '/jobs/x/savepoints', method: 'POST' })
      .replyWithError(new undiciErrors.HeadersTimeoutError());
    const err = (await t.send(POST).catch((e: unknown) => e)) as FlinkTimeoutError;
    expect(err.phase).toBe('headers');
    expect(err.outcomeUnknown).toBe(true);
    expect(calls()).toBe(1);
  });

  it('are retried when the connection was refused or timed out connecting: nothing was sent', async () => {
    const t = transport();
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: '/jobs/x/savepoints', method: 'POST' })
      .replyWithError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.2:8081'), { code: 'ECONNREFUSED' }),
      );
    pool
      .intercept({ path: '/jobs/x/savepoints', method: 'POST' })
      .replyWithError(new undiciErrors.ConnectTimeoutError());
    pool.intercept({ path: '/jobs/x/savepoints', method: 'POST' }).reply(202, { 'request-id': 'r' });
    await expect(t.send(POST)).resolves.toEqual({ status: 202, body: { 'request-id': 'r' } });
    expect(calls()).toBe(3);
  });
});

describe('clocks and cancellation', () => {
  it('end an attempt that exceeds the whole-request clock', async () => {
    const t = transport({ retry: exponentialBackoff({ maxAttempts: 1 }), timeouts: { requestMs: 50 } });
    agent.get(ORIGIN).intercept({ path: '/overview' }).reply(200, OVERVIEW).delay(2_000);
    const started = performance.now();
    const err = (await t.send(GET).catch((e: unknown) => e)) as FlinkTimeoutError;
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect(err.phase).toBe('request');
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('stop at once when the caller aborts, with the caller’s reason, and do not retry', async () => {
    const t = transport();
    agent.get(ORIGIN).intercept({ path: '/overview' }).reply(200, OVERVIEW).delay(2_000);
    const ac = new AbortController();
    const reason = new Error('reconcile cancelled');
    setTimeout(() => ac.abort(reason), 20);
    await expect(t.send({ ...GET, signal: ac.signal })).rejects.toBe(reason);
    expect(sleeps).toEqual([]);
  });

  it('stop during the pause between attempts', async () => {
    const t = transport({
      sleep: realSleep,
      retry: exponentialBackoff({ baseDelayMs: 5_000, maxDelayMs: 5_000 }),
    });
    agent.get(ORIGIN).intercept({ path: '/overview' }).reply(503, '');
    const ac = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => ac.abort(reason), 50);
    const started = performance.now();
    await expect(t.send({ ...GET, signal: ac.signal })).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses to start when already aborted', async () => {
    const t = transport();
    await expect(t.send({ ...GET, signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    expect(calls()).toBe(0);
  });
});

describe('answers', () => {
  it('larger than the cap fail instead of filling memory', async () => {
    const t = transport({ maxResponseBytes: 1024 });
    const pool = agent.get(ORIGIN);
    // Without a declared length (read up to the cap), and with one (refused before reading).
    pool.intercept({ path: '/overview' }).reply(200, 'x'.repeat(5000));
    pool.intercept({ path: '/overview' }).replyContentLength().reply(200, 'x'.repeat(5000));
    await expect(t.send(GET)).rejects.toThrow(/larger than 1024 bytes/);
    await expect(t.send(GET)).rejects.toThrow(/larger than 1024 bytes/);
  });

  it('within the cap are read whole, with or without a declared length', async () => {
    const t = transport({ maxResponseBytes: 1024 });
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/overview' }).reply(200, OVERVIEW);
    pool.intercept({ path: '/overview' }).replyContentLength().reply(200, OVERVIEW);
    await expect(t.send(GET)).resolves.toEqual({ status: 200, body: OVERVIEW });
    await expect(t.send(GET)).resolves.toEqual({ status: 200, body: OVERVIEW });
  });

  it('that are not JSON fail without quoting the body', async () => {
    const t = transport();
    agent.get(ORIGIN).intercept({ path: '/overview' }).reply(200, '<html>secret-token=abc</html>');
    const err = (await t.send(GET).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(FlinkInvalidResponseError);
    expect(err.message).not.toContain('secret-token');
    expect(err.cause).toBeUndefined();
  });

  it('may be empty', async () => {
    const t = transport();
    agent.get(ORIGIN).intercept({ path: '/jars/j', method: 'DELETE' }).reply(200, '');
    await expect(t.send({ method: 'DELETE', route: '/jars/:jarid', path: '/jars/j' })).resolves.toEqual({
      status: 200,
      body: undefined,
    });
  });
});

describe('requests', () => {
  it('go under a base path, with a query, JSON headers and a user agent', async () => {
    const t = transport({ baseUrl: `${ORIGIN}/api/v1/proxy/flink/` });
    agent
      .get(ORIGIN)
      .intercept({
        path: '/api/v1/proxy/flink/jobs/x/metrics?get=a%2Cb',
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': 'flinkvisor',
        },
        body: '{"a":1}',
      })
      .reply(200, []);
    await t.send({
      method: 'POST',
      route: '/jobs/:jobid/metrics',
      path: '/jobs/x/metrics',
      query: { get: 'a,b', none: undefined },
      json: { a: 1 },
    });
    expect(calls()).toBe(1);
  });

  it('are reported per attempt with the route template, for metrics', async () => {
    const events: unknown[] = [];
    const t = transport({
      onRequest: (e) => {
        events.push(e);
        throw new Error('a broken observer must not break the call');
      },
    });
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: '/overview' }).reply(503, '');
    pool.intercept({ path: '/overview' }).reply(200, OVERVIEW);
    await t.send(GET);
    expect(events).toEqual([
      expect.objectContaining({
        method: 'GET',
        route: '/overview',
        attempt: 1,
        status: 503,
        outcome: 'unavailable',
      }),
      expect.objectContaining({ method: 'GET', route: '/overview', attempt: 2, status: 200, outcome: 'ok' }),
    ]);
  });

  it('refuse a base URL that is not http(s)', () => {
    expect(() => new FlinkHttpTransport({ baseUrl: 'ftp://x', dispatcher: new MockAgent() })).toThrow(
      /http\(s\)/,
    );
    agent = new MockAgent();
  });
});
