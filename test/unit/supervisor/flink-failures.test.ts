import { describe, expect, it } from 'vitest';
import {
  FailureWatch,
  summarizeException,
  type FailureReads,
} from '../../../src/supervisor/flink-failures.ts';

const JOB = 'a'.repeat(32);
const TRACE = [
  'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy',
  '\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:219)',
  'Caused by: java.lang.RuntimeException: boom at record 7',
  '\tat CountingJob.map(CountingJob.java:40)',
  'Caused by: java.io.IOException: s3.secret-key=wJalrXUtnFEMIK7MDENG rejected by http://bob:hunter2@store/x',
].join('\n');

class CountedReads implements FailureReads {
  calls: string[] = [];
  root: { text: string; at: number } | undefined = { text: 'java.lang.RuntimeException: boom', at: 1_000 };
  count: number | undefined = 2;
  async rootException(jobId: string) {
    this.calls.push(`exceptions ${jobId}`);
    return this.root;
  }
  async restarts(jobId: string) {
    this.calls.push(`restarts ${jobId}`);
    return this.count;
  }
}

describe('summarizeException', () => {
  it('keeps the exception line and its deepest cause, with credentials censored', () => {
    const text = summarizeException(TRACE, 'org.apache.flink.runtime.JobException');
    expect(text).toBe(
      'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy (Caused by: java.io.IOException: s3.secret-key=[redacted] rejected by http://[redacted]@store/x)',
    );
    expect(text).not.toContain('wJalrXUtnFEMIK7MDENG');
    expect(text).not.toContain('hunter2');
  });

  it('falls back to the exception name, and is bounded', () => {
    expect(summarizeException(undefined, 'java.lang.OutOfMemoryError')).toBe('java.lang.OutOfMemoryError');
    expect(summarizeException(`x: ${'y'.repeat(5000)}`, undefined)).toHaveLength(1024);
  });
});

describe('FailureWatch', () => {
  it('reads a failure once per episode and says it once; a running job costs no read', async () => {
    const watch = new FailureWatch(undefined);
    const reads = new CountedReads();
    expect(await watch.observe(JOB, 'RUNNING', reads)).toBeUndefined();
    expect(reads.calls).toEqual([]);
    const first = await watch.observe(JOB, 'RESTARTING', reads);
    expect(first).toEqual({
      jobId: JOB,
      exception: 'java.lang.RuntimeException: boom',
      time: new Date(1_000).toISOString(),
      restarts: 2,
    });
    // Still restarting at the next pass: nothing read, nothing said.
    expect(await watch.observe(JOB, 'RESTARTING', reads)).toBeUndefined();
    expect(reads.calls).toHaveLength(2);
    // Running again, then failing with the same exception (Flink has no newer one): read, not said.
    await watch.observe(JOB, 'RUNNING', reads);
    expect(await watch.observe(JOB, 'FAILED', reads)).toBeUndefined();
    // A newer exception is a new failure.
    await watch.observe(JOB, 'RUNNING', reads);
    reads.root = { text: 'java.lang.IllegalStateException: again', at: 2_000 };
    reads.count = 3;
    expect(await watch.observe(JOB, 'FAILING', reads)).toMatchObject({
      restarts: 3,
      time: new Date(2_000).toISOString(),
    });
    expect(watch.last?.exception).toBe('java.lang.IllegalStateException: again');
  });

  it('takes the stored failure for said (a new leader), and a failed read for nothing', async () => {
    const stored = {
      jobId: JOB,
      exception: 'java.lang.RuntimeException: boom',
      time: new Date(1_000).toISOString(),
    };
    const watch = new FailureWatch(stored);
    expect(watch.last).toEqual(stored);
    const reads = new CountedReads();
    expect(await watch.observe(JOB, 'RESTARTING', reads)).toBeUndefined();
    const unread = new FailureWatch({ jobId: 7 });
    expect(unread.last).toBeNull();
    reads.root = undefined;
    expect(await unread.observe(JOB, 'FAILED', reads)).toBeUndefined();
    expect(unread.last).toBeNull();
    // Without a restart count the failure is still recorded.
    reads.root = { text: 'e', at: 5 };
    reads.count = undefined;
    await unread.observe(JOB, 'RUNNING', reads);
    expect(await unread.observe(JOB, 'RESTARTING', reads)).toEqual({
      jobId: JOB,
      exception: 'e',
      time: new Date(5).toISOString(),
    });
  });
});
