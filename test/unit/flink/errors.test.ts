import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  errorFromTransport,
  FlinkBadRequestError,
  FlinkConflictError,
  FlinkJobAlreadySubmittedError,
  FlinkNotFoundError,
  FlinkServerError,
  FlinkTimeoutError,
  FlinkUnavailableError,
  isFlinkBadRequest,
  isFlinkConflict,
  isFlinkJobAlreadySubmitted,
  isFlinkNotFound,
  isFlinkRequestNotSent,
  isFlinkTimeout,
  isFlinkUnavailable,
  isRetryableFlinkError,
} from '../../../src/flink/errors.ts';
import {
  BAD_TRIGGER_ID,
  CANCEL_TERMINAL,
  DELETE_MISSING_JAR,
  DUPLICATE_APPLICATION_2_3,
  DUPLICATE_JOB_1_20,
  BLOB_CLEANUP_RACE_1_20,
  JOB_MASTER_INITIALIZING,
  JOB_NOT_FOUND,
  NO_SUCH_ENTRY_CLASS,
  NO_SUCH_TRIGGER,
  RUN_MISSING_JAR,
  UNKNOWN_TASK_MANAGER_1_20,
} from './fixtures.ts';

const ctx = { method: 'GET', route: '/jobs/:jobid', path: '/jobs/0123' };

describe('errorFromResponse', () => {
  it.each([
    ['404 job not found', 404, JOB_NOT_FOUND, FlinkNotFoundError],
    ['404 unknown trigger id', 404, NO_SUCH_TRIGGER, FlinkNotFoundError],
    ['500 unknown TaskManager', 500, UNKNOWN_TASK_MANAGER_1_20, FlinkNotFoundError],
    ['400 delete of a missing jar', 400, DELETE_MISSING_JAR, FlinkNotFoundError],
    ['500 run of a missing jar', 500, RUN_MISSING_JAR, FlinkNotFoundError],
    ['400 duplicate job (1.20)', 400, DUPLICATE_JOB_1_20, FlinkJobAlreadySubmittedError],
    ['400 duplicate application (2.3)', 400, DUPLICATE_APPLICATION_2_3, FlinkJobAlreadySubmittedError],
    ['409 cancel of a finished job', 409, CANCEL_TERMINAL, FlinkConflictError],
    ['400 malformed body', 400, BAD_TRIGGER_ID, FlinkBadRequestError],
    ['500 no such entry class', 500, NO_SUCH_ENTRY_CLASS, FlinkBadRequestError],
    [
      '503',
      503,
      '{"errors":["Service temporarily unavailable due to an ongoing leader election. Please refresh."]}',
      FlinkUnavailableError,
    ],
    ['502 from a gateway', 502, '<html>Bad Gateway</html>', FlinkUnavailableError],
    ['504 from a gateway', 504, '', FlinkUnavailableError],
    ['429', 429, '', FlinkUnavailableError],
    ['500 while the JobMaster starts', 500, JOB_MASTER_INITIALIZING, FlinkUnavailableError],
    ['400 when a run races the clean-up of an ended job', 400, BLOB_CLEANUP_RACE_1_20, FlinkUnavailableError],
    ['500', 500, '{"errors":["Internal server error."]}', FlinkServerError],
    ['418', 418, 'teapot', FlinkServerError],
  ])('maps %s', (_what, status, body, type) => {
    const err = errorFromResponse(ctx, status, body);
    expect(err).toBeInstanceOf(type);
    expect(err.status).toBe(status);
    expect(err.method).toBe('GET');
    expect(err.route).toBe('/jobs/:jobid');
    expect(err.message.startsWith(`GET /jobs/0123: ${status} `)).toBe(true);
  });

  it('keeps Flink error list excerpts on a bad request, not the stack trace', () => {
    const err = errorFromResponse(ctx, 400, BAD_TRIGGER_ID);
    expect(isFlinkBadRequest(err)).toBe(true);
    expect(err.errors).toEqual([
      'org.apache.flink.runtime.rest.handler.RestHandlerException: Request did not match expected format SavepointTriggerRequestBody.; ' +
        'Caused by: org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonMappingException: For input string: "xy" under radix 16',
    ]);
    expect(err.message).not.toContain('AbstractHandler.java');
  });

  it('never carries a whole body into the message', () => {
    const secret = 's3.secret-key=TOPSECRET';
    const body = JSON.stringify({
      errors: [`java.lang.IllegalStateException: ${'x'.repeat(400)} ${secret}`],
    });
    const err = errorFromResponse(ctx, 500, body);
    expect(err.message).not.toContain('TOPSECRET');
    expect(err.message.length).toBeLessThan(400);
    const html = `<html>${'y'.repeat(500)} ${secret}</html>`;
    expect(errorFromResponse(ctx, 502, html).message).not.toContain('TOPSECRET');
  });

  it('marks what a repeat may or may not double', () => {
    expect(errorFromResponse(ctx, 503, '').outcomeUnknown).toBe(false);
    expect(errorFromResponse(ctx, 502, '').outcomeUnknown).toBe(true);
    expect(errorFromResponse(ctx, 504, '').outcomeUnknown).toBe(true);
    expect(errorFromResponse(ctx, 400, DUPLICATE_JOB_1_20).outcomeUnknown).toBe(false);
  });

  it('reads Retry-After in seconds or as a date', () => {
    const a = errorFromResponse(ctx, 503, '', { retryAfter: '2' }) as FlinkUnavailableError;
    expect(a.retryAfterMs).toBe(2000);
    const b = errorFromResponse(ctx, 503, '', { retryAfter: new Date(Date.now() + 60_000).toUTCString() });
    expect((b as FlinkUnavailableError).retryAfterMs).toBeGreaterThan(50_000);
    expect(
      (errorFromResponse(ctx, 503, '', { retryAfter: 'soon' }) as FlinkUnavailableError).retryAfterMs,
    ).toBeUndefined();
  });
});

describe('errorFromTransport', () => {
  const timeouts = { connectMs: 100, headersMs: 200, bodyMs: 300 };

  it.each([
    [new undiciErrors.ConnectTimeoutError(), 'connect', 100, false],
    [new undiciErrors.HeadersTimeoutError(), 'headers', 200, true],
    [new undiciErrors.BodyTimeoutError(), 'body', 300, true],
  ])('maps %s to a timeout of its phase', (cause, phase, ms, sent) => {
    const err = errorFromTransport(ctx, cause, timeouts);
    expect(err).toBeInstanceOf(FlinkTimeoutError);
    expect((err as FlinkTimeoutError).phase).toBe(phase);
    expect((err as FlinkTimeoutError).timeoutMs).toBe(ms);
    expect(err?.message).toContain(`after ${ms}ms`);
    expect(err?.sent).toBe(sent);
    expect(err?.outcomeUnknown).toBe(sent);
    expect(err?.cause).toBe(cause);
    expect(isFlinkTimeout(err)).toBe(true);
    expect(isRetryableFlinkError(err)).toBe(true);
  });

  it('tells a refused connection (nothing sent) from a broken one (outcome unknown)', () => {
    const refused = errorFromTransport(
      ctx,
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    expect(refused).toBeInstanceOf(FlinkUnavailableError);
    expect(refused?.sent).toBe(false);
    expect(isFlinkRequestNotSent(refused)).toBe(true);
    const reset = errorFromTransport(ctx, new undiciErrors.SocketError('other side closed'));
    expect(reset).toBeInstanceOf(FlinkUnavailableError);
    expect(reset?.sent).toBe(true);
    expect(reset?.outcomeUnknown).toBe(true);
    expect(isFlinkRequestNotSent(reset)).toBe(false);
    const econnreset = errorFromTransport(
      ctx,
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    );
    expect(isFlinkUnavailable(econnreset)).toBe(true);
  });

  it('passes programming errors on unmapped', () => {
    expect(errorFromTransport(ctx, new TypeError('x'))).toBeUndefined();
    expect(errorFromTransport(ctx, new undiciErrors.InvalidArgumentError('bad'))).toBeUndefined();
  });
});

describe('predicates', () => {
  it('answer by type, so a duplicate submission is also a conflict', () => {
    const dup = errorFromResponse(ctx, 400, DUPLICATE_JOB_1_20);
    expect(isFlinkJobAlreadySubmitted(dup)).toBe(true);
    expect(isFlinkConflict(dup)).toBe(true);
    expect(isFlinkNotFound(dup)).toBe(false);
    expect(isRetryableFlinkError(dup)).toBe(false);
    expect(isFlinkNotFound(new Error('not found'))).toBe(false);
    expect(isRetryableFlinkError(undefined)).toBe(false);
  });
});
