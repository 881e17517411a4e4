import { describe, expect, it } from 'vitest';
import {
  excerptFlinkErrors,
  excerptFlinkMessage,
  excerptText,
  MAX_EXCERPT_CHARS,
  parseFlinkErrorBody,
} from '../../../src/flink/error-excerpt.ts';
import { DUPLICATE_JOB_1_20, UNKNOWN_TASK_MANAGER_1_20 } from './fixtures.ts';

describe('Flink error excerpts', () => {
  it('keeps the exception lines of a Flink error and drops the stack frames', () => {
    const errors = parseFlinkErrorBody(DUPLICATE_JOB_1_20);
    expect(errors).toHaveLength(1);
    const [excerpt] = excerptFlinkErrors(errors ?? []);
    expect(excerpt).toBe(
      'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.; …; ' +
        'Caused by: org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted.',
    );
    expect(excerpt).not.toMatch(/\bat org\.apache/);
    expect(excerpt).not.toContain('... 1 more');
    expect(excerpt!.length).toBeLessThanOrEqual(MAX_EXCERPT_CHARS);
  });

  it('drops the "Exception on server side" wrapper of 500 answers', () => {
    const [excerpt] = excerptFlinkErrors(parseFlinkErrorBody(UNKNOWN_TASK_MANAGER_1_20) ?? []);
    expect(excerpt).toBe(
      'org.apache.flink.runtime.resourcemanager.exceptions.UnknownTaskExecutorException: No TaskExecutor registered under nope.',
    );
  });

  it('keeps the root cause when both ends do not fit', () => {
    const msg = `Outer: ${'o'.repeat(200)}\nCaused by: Mid: m\nCaused by: Root: ${'r'.repeat(150)}`;
    const excerpt = excerptFlinkMessage(msg, 250);
    expect(excerpt.length).toBeLessThanOrEqual(250);
    expect(excerpt.endsWith(`Caused by: Root: ${'r'.repeat(150)}`)).toBe(true);
    expect(excerpt.startsWith('Outer: ooo')).toBe(true);
    const rootOnly = excerptFlinkMessage(`A: a\nCaused by: B: b\nCaused by: C: ${'c'.repeat(400)}`, 100);
    expect(rootOnly).toHaveLength(100);
    expect(rootOnly.startsWith('Caused by: C: ccc')).toBe(true);
  });

  it('clips long messages and limits their number', () => {
    const long = `X: ${'y'.repeat(1000)}`;
    const clipped = excerptFlinkMessage(long, 50);
    expect(clipped).toHaveLength(50);
    expect(clipped.endsWith('…')).toBe(true);
    expect(excerptFlinkErrors(Array.from({ length: 20 }, (_, i) => `E${i}`))).toHaveLength(5);
  });

  it('reads only real Flink error bodies', () => {
    expect(parseFlinkErrorBody('<html>bad gateway</html>')).toBeUndefined();
    expect(parseFlinkErrorBody('{"message":"x"}')).toBeUndefined();
    expect(parseFlinkErrorBody('null')).toBeUndefined();
    expect(parseFlinkErrorBody('{"errors":["a",1,"b"]}')).toEqual(['a', 'b']);
  });

  it('reduces any other body to one clipped line', () => {
    expect(excerptText('<html>\n  <body>Bad   gateway</body>\n</html>')).toBe(
      '<html> <body>Bad gateway</body> </html>',
    );
    expect(excerptText('z'.repeat(500))).toHaveLength(200);
  });
});
