import { describe, expect, it } from 'vitest';
import { FlinkServerError, FlinkUnavailableError } from '../../../src/flink/errors.ts';
import type { FlinkJobDetails } from '../../../src/flink/schemas.ts';
import type { ResourceRequirements } from '../../../src/flink/request-bodies.ts';
import { capabilitiesOf, parseFlinkVersion } from '../../../src/flink/version.ts';
import type { Clock } from '../../../src/kube/clock.ts';
import {
  rescaledRequirements,
  rescaleInPlace,
  type RescaleClient,
} from '../../../src/supervisor/rescale-in-place.ts';

const JOB = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';
const SOURCE = 'bc764cd8ddf7a0cff126f51c16239658';
const MAP = '0a448493b4782967b150582570326227';

/** A clock whose sleeps pass at once (and count). */
function clock(): Clock & { sleeps: number } {
  let now = 0;
  const c = {
    sleeps: 0,
    now: () => now,
    sleep: async (ms: number) => {
      c.sleeps += 1;
      now += ms;
    },
    // Requests of the fake answer at once: their timeout never fires.
    setTimeout: () => ({ cancel: () => undefined }),
  };
  return c as unknown as Clock & { sleeps: number };
}

/**
 * A JobManager with the adaptive scheduler (unless `scheduler` says otherwise): the source pinned
 * at 1, the map at the job parallelism; after a PUT it runs at the new bounds after `restartReads` reads.
 */
function jobManager(
  options: { version?: string; scheduler?: string; restartReads?: number; putError?: Error } = {},
) {
  let requirements: ResourceRequirements = {
    [SOURCE]: { parallelism: { lowerBound: 1, upperBound: 1 } },
    [MAP]: { parallelism: { lowerBound: 1, upperBound: 2 } },
  };
  let running = { [SOURCE]: 1, [MAP]: 2 };
  let pending = 0;
  const puts: ResourceRequirements[] = [];
  const version = parseFlinkVersion(options.version ?? '2.3.0');
  if (!version) throw new Error('version');
  const client: RescaleClient = {
    capabilities: async () => capabilitiesOf(version),
    getJob: async () => {
      if (pending > 0) {
        pending -= 1;
        if (pending === 0)
          running = {
            [SOURCE]: requirements[SOURCE]!.parallelism.upperBound,
            [MAP]: requirements[MAP]!.parallelism.upperBound,
          };
      }
      return {
        jid: JOB,
        name: 'job',
        state: pending > 0 ? 'RESTARTING' : 'RUNNING',
        'start-time': 0,
        'end-time': -1,
        duration: 1,
        ...(options.scheduler ? { schedulerType: options.scheduler } : {}),
        vertices: Object.entries(running).map(([id, parallelism]) => ({
          id,
          name: id,
          parallelism,
          status: pending > 0 ? 'SCHEDULED' : 'RUNNING',
        })),
      } as FlinkJobDetails;
    },
    getResourceRequirements: async () => requirements,
    updateResourceRequirements: async (_jobId, next) => {
      if (options.putError) throw options.putError;
      puts.push(next);
      requirements = next;
      pending = options.restartReads ?? 2;
    },
  };
  return { client, puts };
}

const deps = (c: Clock) => ({ clock: c, pollIntervalMs: 2000, flinkTimeoutMs: 1000, log: () => undefined });

describe('rescaledRequirements', () => {
  it('sets the new upper bound on the vertices at the job parallelism only; a repeat changes nothing', () => {
    const current = {
      [SOURCE]: { parallelism: { lowerBound: 1, upperBound: 1 } },
      [MAP]: { parallelism: { lowerBound: 1, upperBound: 2 } },
    };
    const up = rescaledRequirements(current, 2, 4);
    expect(up).toEqual({
      requirements: {
        [SOURCE]: { parallelism: { lowerBound: 1, upperBound: 1 } },
        [MAP]: { parallelism: { lowerBound: 1, upperBound: 4 } },
      },
      vertices: [MAP],
      changed: true,
    });
    expect(rescaledRequirements(up.requirements, 2, 4).changed).toBe(false);
    // Down below a lower bound: the lower bound follows.
    const pinned = { [MAP]: { parallelism: { lowerBound: 3, upperBound: 3 } } };
    expect(rescaledRequirements(pinned, 3, 2).requirements[MAP]).toEqual({
      parallelism: { lowerBound: 2, upperBound: 2 },
    });
  });
});

describe('rescaleInPlace', () => {
  it('PUTs the new requirements once and answers when the job runs at them', async () => {
    const flink = jobManager({ scheduler: 'Adaptive' });
    const c = clock();
    const out = await rescaleInPlace(
      flink.client,
      { jobId: JOB, from: 2, to: 4 },
      deps(c),
      new AbortController().signal,
    );
    expect(out).toMatchObject({ applied: true });
    expect(flink.puts).toHaveLength(1);
    expect(flink.puts[0]?.[MAP]).toEqual({ parallelism: { lowerBound: 1, upperBound: 4 } });
    expect(c.sleeps).toBeGreaterThan(0);
  });

  it('asked again after a restore (requirements already set): no second PUT, same answer', async () => {
    const flink = jobManager({ restartReads: 1 });
    const c = clock();
    const signal = new AbortController().signal;
    await rescaleInPlace(flink.client, { jobId: JOB, from: 2, to: 3 }, deps(c), signal);
    const again = await rescaleInPlace(flink.client, { jobId: JOB, from: 2, to: 3 }, deps(c), signal);
    expect(again).toMatchObject({ applied: true });
    expect(flink.puts).toHaveLength(1);
  });

  it('not applied on Flink before 1.18 or another scheduler, or when the scheduler refuses the PUT', async () => {
    const signal = new AbortController().signal;
    const old = await rescaleInPlace(
      jobManager({ version: '1.17.2' }).client,
      { jobId: JOB, from: 2, to: 3 },
      deps(clock()),
      signal,
    );
    expect(old).toMatchObject({ applied: false, reason: expect.stringMatching(/1\.17\.2.*1\.18/) });
    const otherScheduler = await rescaleInPlace(
      jobManager({ scheduler: 'Default' }).client,
      { jobId: JOB, from: 2, to: 3 },
      deps(clock()),
      signal,
    );
    expect(otherScheduler).toMatchObject({
      applied: false,
      reason: expect.stringMatching(/Default scheduler/),
    });
    const refused = await rescaleInPlace(
      jobManager({
        version: '1.20.5',
        putError: new FlinkServerError('server error', {
          status: 500,
          errors: ['java.lang.UnsupportedOperationException: not supported by this scheduler'],
        }),
      }).client,
      { jobId: JOB, from: 2, to: 3 },
      deps(clock()),
      signal,
    );
    expect(refused).toMatchObject({ applied: false });
  });

  it('retries through an outage until it is done; the abort (the machine leaving the state) ends it', async () => {
    const flink = jobManager();
    let outages = 3;
    const getJob = flink.client.getJob.bind(flink.client);
    flink.client.getJob = async (...args) => {
      if (outages-- > 0) throw new FlinkUnavailableError('connection refused');
      return getJob(...args);
    };
    const out = await rescaleInPlace(
      flink.client,
      { jobId: JOB, from: 2, to: 3 },
      deps(clock()),
      new AbortController().signal,
    );
    expect(out).toMatchObject({ applied: true });

    const stuck = jobManager({ restartReads: Number.MAX_SAFE_INTEGER });
    const abort = new AbortController();
    const c = clock();
    const sleep = c.sleep.bind(c);
    c.sleep = async (ms: number, signal?: AbortSignal) => {
      if (c.sleeps >= 5) abort.abort(new Error('left the state'));
      await sleep(ms, signal);
      if (abort.signal.aborted) throw abort.signal.reason;
    };
    await expect(
      rescaleInPlace(stuck.client, { jobId: JOB, from: 2, to: 3 }, deps(c), abort.signal),
    ).rejects.toThrow('left the state');
  });
});
