import { beforeEach, describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  FLINK_JOB,
  FLINK_SAVEPOINT,
  LABELS,
  savepointResourceName,
} from '../../../src/api/names.ts';
import { parseFlinkJob } from '../../../src/api/parse.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import type { EventRecorder, EventSubject } from '../../../src/kube/event-recorder.ts';
import { SavepointHistory, type JobSavepoints } from '../../../src/supervisor/savepoint-history.ts';
import type { SavepointFlink } from '../../../src/supervisor/savepoint-flink.ts';
import { disposalRetryDelayMs } from '../../../src/supervisor/savepoint-retention.ts';
import type { FlinkVerdict } from '../../../src/supervisor/savepoint-records.ts';
import type { SavepointSearches } from '../../../src/supervisor/savepoint-history.ts';
import type { SearchObservation, SearchRequest } from '../../../src/supervisor/savepoint-search.ts';
import { savepointSearchJobName } from '../../../src/api/names.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const NS = 'ns';
const JOB_ID = 'a'.repeat(32);
const trigger = (n: number) => n.toString(16).padStart(12, '0') + 'f'.repeat(20);

class FakeFlink implements SavepointFlink {
  verdicts = new Map<string, FlinkVerdict>();
  disposals: string[] = [];
  disposalOutcome: Awaited<ReturnType<SavepointFlink['disposalStatus']>> = { state: 'COMPLETED' };
  disposeFails: Error | undefined;
  async savepointStatus(_jobId: string, triggerId: string): Promise<FlinkVerdict> {
    return this.verdicts.get(triggerId) ?? { state: 'UNKNOWN' };
  }
  async dispose(path: string): Promise<string> {
    if (this.disposeFails) throw this.disposeFails;
    this.disposals.push(path);
    return trigger(1000 + this.disposals.length);
  }
  async disposalStatus() {
    return this.disposalOutcome;
  }
}

/** Search Jobs as the supervisor runs them: started, observed, finished. */
class FakeSearches implements SavepointSearches {
  directory: string | null = 's3://bkt/sp';
  readonly started: SearchRequest[] = [];
  readonly finished: string[] = [];
  readonly outcomes = new Map<string, SearchObservation>();
  /** The `since` each Job was made with: as the reader does, one made for another is stale. */
  readonly #since = new Map<string, string>();
  observe(jobName: string, since?: string): SearchObservation {
    const made = this.#since.get(jobName);
    if (this.outcomes.has(jobName) && since !== undefined && made !== undefined && made !== since)
      return { state: 'stale' };
    return this.outcomes.get(jobName) ?? { state: 'absent' };
  }
  async start(request: SearchRequest): Promise<void> {
    this.started.push(request);
    const name = savepointSearchJobName(request.savepointName);
    this.outcomes.set(name, { state: 'running' });
    this.#since.set(name, request.since);
  }
  async finish(jobName: string): Promise<void> {
    this.finished.push(jobName);
    this.outcomes.delete(jobName);
    this.#since.delete(jobName);
  }
}

class RecordedEvents implements EventRecorder {
  readonly events: { subject: EventSubject; type: string; reason: string; message: string }[] = [];
  async record(subject: EventSubject, type: 'Normal' | 'Warning', reason: string, message: string) {
    this.events.push({ subject, type, reason, message });
  }
}

function flinkJob(history?: Record<string, unknown>) {
  return parseFlinkJob({
    metadata: { name: 'demo-a', namespace: NS, uid: 'job-uid' },
    spec: {
      clusterName: 'demo',
      bootstrap: { image: 'i', jarPath: '/job.jar' },
      savepoint: { savepointTargetPath: 's3://b/sp', savepointInterval: 60, ...(history ? { history } : {}) },
    },
  });
}

type Context = JobSavepoints['context'];
const idle: Context = {
  savepoint: null,
  stop: null,
  jobId: JOB_ID,
  savepointPath: null,
  savepointAt: null,
  savepointTriggerId: null,
  lastAction: null,
  pendingAction: null,
};
/** The machine recorded `path` as the outcome of trigger n. */
const completedBy = (n: number, path: string, at: number | null = null): Context => ({
  ...idle,
  savepointPath: path,
  savepointAt: at,
  savepointTriggerId: trigger(n),
});
const periodic = (n: number, extra: Partial<Context> = {}): Context => ({
  ...idle,
  savepoint: { triggerId: trigger(n), kind: 'periodic', requestedAt: 0, deadline: 0 },
  ...extra,
});

describe('SavepointHistory', () => {
  let resources: InMemoryCustomResources;
  let flink: FakeFlink;
  let events: RecordedEvents;
  let clock: ManualClock;
  let history: SavepointHistory;
  const stored = () =>
    [...resources.objects.entries()]
      .filter(([key]) => key.startsWith(`${FLINK_SAVEPOINT.plural}/`))
      .map(([, o]) => o);
  const named = (n: number) =>
    resources.objects.get(`${FLINK_SAVEPOINT.plural}/${NS}/${savepointResourceName('demo-a', trigger(n))}`);
  const sync = (context: Context, job = flinkJob(), flinkReachable = true) =>
    history.sync({ job, context, flinkReachable });

  /** Savepoint n: requested in one pass, completed at s3://b/sp/savepoint-n in the next. */
  async function takeSavepoint(n: number, job = flinkJob(), flinkReachable = true) {
    const previous = n > 1 ? `s3://b/sp/savepoint-${n - 1}` : null;
    await sync(periodic(n, { savepointPath: previous }), job);
    await clock.advance(60_000);
    const completed = completedBy(n, `s3://b/sp/savepoint-${n}`, clock.now());
    await sync(completed, job, flinkReachable);
  }

  beforeEach(() => {
    resources = new InMemoryCustomResources();
    flink = new FakeFlink();
    events = new RecordedEvents();
    clock = new ManualClock();
    history = new SavepointHistory({
      namespace: NS,
      clusterName: 'demo',
      clock,
      resources,
      events,
      flink,
      savepoints: () => stored().map((o) => structuredClone(o)),
      written: () => undefined,
      log: () => undefined,
    });
  });

  it('records a savepoint in flight as a Pending FlinkSavepoint owned by the job, once', async () => {
    await sync(periodic(1));
    const object = named(1);
    expect(object?.metadata.labels).toMatchObject({ [LABELS.cluster]: 'demo', [LABELS.job]: 'demo-a' });
    expect(object?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'FlinkJob', name: 'demo-a', uid: 'job-uid' }),
    ]);
    expect(object?.spec).toEqual({
      jobName: 'demo-a',
      kind: 'periodic',
      formatType: 'canonical',
      triggerId: trigger(1),
    });
    expect(object?.status).toEqual({
      state: 'Pending',
      triggerId: trigger(1),
      jobId: JOB_ID,
      requestTimestamp: new Date(clock.now()).toISOString(),
    });
    const writes = resources.writes.length;
    await sync(periodic(1));
    expect(resources.writes.length).toBe(writes);
  });

  it('writes the record ahead when the trigger id is persisted: a savepoint that completes before the next pass keeps its record and is disposed of by retention', async () => {
    const job = flinkJob({ maxCount: 1 });
    // Persisted before Flink is asked; no pass saw it in flight (passes are rationed).
    await history.recordFlights(job, periodic(1));
    expect(named(1)?.status).toMatchObject({ state: 'Pending', triggerId: trigger(1) });
    await clock.advance(60_000);
    // The next pass sees it completed: the record gets its path.
    await sync(completedBy(1, 's3://b/sp/savepoint-1', clock.now()), job);
    expect(named(1)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/savepoint-1' });
    await history.recordFlights(job, periodic(2, { savepointPath: 's3://b/sp/savepoint-1' }));
    await clock.advance(60_000);
    const second = completedBy(2, 's3://b/sp/savepoint-2', clock.now());
    await sync(second, job);
    await sync(second, job);
    expect(flink.disposals).toEqual(['s3://b/sp/savepoint-1']);
    expect(named(1)).toBeUndefined();
    expect(named(2)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/savepoint-2' });
    // Done again (a crash after the persist, the pass after it): nothing more is written.
    const writes = resources.writes.length;
    await history.recordFlights(job, periodic(2));
    expect(resources.writes.length).toBe(writes);
  });

  it('requires the record before a trigger is sent: a record that cannot be stored fails the send (K13)', async () => {
    // The API server hangs: the write-ahead record of the persisted trigger id is not stored.
    const create = resources.create.bind(resources);
    resources.create = async () => {
      throw new Error('the API server did not answer');
    };
    await history.recordFlights(flinkJob(), periodic(1)); // says so, never throws
    await expect(history.requireRecords(flinkJob(), periodic(1))).rejects.toThrow(/did not answer/);
    expect(named(1)).toBeUndefined();
    // Once it answers, the record is made and the trigger may go.
    resources.create = create;
    await history.requireRecords(flinkJob(), periodic(1));
    expect(named(1)?.status).toMatchObject({ state: 'Pending', triggerId: trigger(1) });
  });

  it('re-opens an Abandoned record whose trigger id is in flight again, with the new kind, and completes it', async () => {
    // An upgrade intent whose status write never landed: its record was made, then abandoned.
    await history.recordFlights(flinkJob(), periodic(3));
    await sync(idle);
    expect(named(3)?.status).toMatchObject({ state: 'Abandoned' });
    // The next intent (a STOP) is taken under the same trigger id.
    const stop: Context = {
      ...idle,
      stop: {
        reason: 'Manual',
        restart: false,
        delete: false,
        withoutSavepoint: false,
        clearSavepointPath: false,
        triggerId: trigger(3),
        savepointDeadline: 0,
        savepointAbandoned: false,
        cancelDeadline: null,
        savepointOutcome: 'Unread',
        checkpoint: null,
        checkpointConfirmed: false,
        asked: false,
      } as unknown as NonNullable<Context['stop']>,
    };
    await history.recordFlights(flinkJob(), stop);
    expect(named(3)?.spec?.['kind']).toBe('stop');
    expect(named(3)?.status).toMatchObject({ state: 'Pending', triggerId: trigger(3) });
    expect(named(3)?.status?.['message']).toBeUndefined();
    await sync(completedBy(3, 's3://b/sp/stopped', clock.now()));
    expect(named(3)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/stopped' });
  });

  it('names stop, upgrade and deletion savepoints by the stop intent', async () => {
    const stop = (reason: string, restart: boolean, del: boolean, n: number): Context => ({
      ...idle,
      stop: {
        reason,
        restart,
        delete: del,
        triggerId: trigger(n),
        savepointOutcome: 'Unread',
      } as unknown as Context['stop'],
    });
    await sync(stop('Manual', false, false, 1));
    await sync(stop('SpecChanged', true, false, 2));
    await sync(stop('Deleted', false, true, 3));
    expect([named(1), named(2), named(3)].map((o) => o?.spec?.['kind'])).toEqual([
      'stop',
      'upgrade',
      'deletion',
    ]);
  });

  it('completes a trigger no longer in flight with the path the machine recorded', async () => {
    await takeSavepoint(1);
    expect(named(1)?.status).toMatchObject({
      state: 'Completed',
      path: 's3://b/sp/savepoint-1',
      completionTimestamp: new Date(clock.now()).toISOString(),
    });
  });

  it("takes Flink's word on the outcome when it still remembers the trigger", async () => {
    await sync(periodic(1));
    flink.verdicts.set(trigger(1), { state: 'FAILED', message: 'Checkpoint expired before completing' });
    await sync(idle);
    expect(named(1)?.status).toMatchObject({
      state: 'Failed',
      message: 'Checkpoint expired before completing',
    });
    await sync(periodic(2));
    flink.verdicts.set(trigger(2), { state: 'IN_PROGRESS' });
    await sync(idle);
    expect(named(2)?.status?.['state']).toBe('Pending');
  });

  it('keeps a record Pending while Flink cannot be asked, and takes its answer once it can (K2)', async () => {
    // The machine gave up on savepoint 1 (its deadline passed while Flink did not answer).
    await sync(periodic(1));
    await sync(idle, flinkJob(), false);
    expect(named(1)?.status?.['state']).toBe('Pending');
    flink.verdicts.set(trigger(1), { state: 'UNREACHABLE' });
    await sync(idle);
    expect(named(1)?.status?.['state']).toBe('Pending');
    // Flink completed it meanwhile: recorded, not lost.
    flink.verdicts.set(trigger(1), { state: 'COMPLETED', location: 's3://b/sp/late' });
    await sync(idle);
    expect(named(1)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/late' });
  });

  it("never completes a record with another trigger's path while Flink answers 5xx (K16, seed 1000404)", async () => {
    // A periodic savepoint was in flight when a spec change stopped the job with a savepoint.
    await sync(periodic(1));
    const stopping: Context = {
      ...idle,
      stop: {
        reason: 'Rescale',
        restart: true,
        delete: false,
        triggerId: trigger(2),
        savepointOutcome: 'Unread',
      } as unknown as Context['stop'],
    };
    // Flink answers 5xx from now on; it completes both savepoints meanwhile.
    flink.verdicts.set(trigger(1), { state: 'UNREACHABLE' });
    flink.verdicts.set(trigger(2), { state: 'UNREACHABLE' });
    await sync(stopping);
    // The machine's latest path is the stop's.
    const stopped = completedBy(2, 's3://b/sp/stopped', clock.now());
    await sync(stopped);
    expect(named(2)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/stopped' });
    expect(named(1)?.status?.['state']).toBe('Pending');
    // Flink answers again: the periodic savepoint's own files are named by its record.
    flink.verdicts.set(trigger(1), { state: 'COMPLETED', location: 's3://b/sp/periodic' });
    await sync(stopped);
    expect(named(1)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/periodic' });
  });

  it('abandons a trigger that ended without a new savepoint path', async () => {
    await takeSavepoint(1);
    await sync(periodic(2, { savepointPath: 's3://b/sp/savepoint-1' }));
    await sync(completedBy(1, 's3://b/sp/savepoint-1'));
    expect(named(2)?.status).toMatchObject({ state: 'Abandoned' });
  });

  it('does not take an older latest savepoint for the outcome of a newer trigger', async () => {
    const old = { ...idle, savepointPath: 's3://b/sp/from-before', savepointAt: clock.now() };
    await clock.advance(60_000);
    await sync(periodic(1, { savepointPath: old.savepointPath, savepointAt: old.savepointAt }));
    await clock.advance(60_000);
    await sync(old);
    expect(named(1)?.status).toMatchObject({ state: 'Abandoned' });
  });

  it('after a crash between create and status, resolves the object the create left', async () => {
    await sync(periodic(1));
    const object = named(1)!;
    delete object.status; // as if the status write never happened
    await sync(completedBy(1, 's3://b/sp/savepoint-1', clock.now()));
    expect(named(1)?.status).toMatchObject({
      state: 'Completed',
      triggerId: trigger(1),
      path: 's3://b/sp/savepoint-1',
    });
    expect(resources.writes.filter((w) => w.op === 'create')).toHaveLength(1);
  });

  it('keeps maxCount savepoints: older ones are disposed through Flink, then their objects deleted', async () => {
    const job = flinkJob({ maxCount: 3 });
    for (let n = 1; n <= 12; n++) {
      await takeSavepoint(n, job);
      await sync(completedBy(n, `s3://b/sp/savepoint-${n}`, clock.now()), job);
    }
    expect(stored().map((o) => o.status?.['path'])).toEqual([
      's3://b/sp/savepoint-10',
      's3://b/sp/savepoint-11',
      's3://b/sp/savepoint-12',
    ]);
    expect(flink.disposals).toEqual(Array.from({ length: 9 }, (_, i) => `s3://b/sp/savepoint-${i + 1}`));
    expect(events.events.filter((e) => e.reason === 'SavepointDisposed')).toHaveLength(18); // fsp + fj each
  });

  it('waits for a JobManager to dispose, saying so, and disposes once one answers', async () => {
    const job = flinkJob({ maxCount: 1 });
    await takeSavepoint(1, job);
    await takeSavepoint(2, job, false);
    const latest = completedBy(2, 's3://b/sp/savepoint-2', clock.now());
    expect(named(1)?.status?.['disposal']).toMatchObject({
      state: 'Pending',
      message: expect.stringContaining('waiting for a JobManager'),
    });
    expect(flink.disposals).toEqual([]);
    const writes = resources.writes.length;
    await sync(latest, job, false);
    expect(resources.writes.length).toBe(writes);

    flink.disposalOutcome = { state: 'IN_PROGRESS' };
    await sync(latest, job);
    expect(flink.disposals).toEqual(['s3://b/sp/savepoint-1']);
    expect(named(1)?.status?.['disposal']).toMatchObject({ state: 'Pending', attempts: 1 });
    flink.disposalOutcome = { state: 'COMPLETED' };
    await sync(latest, job);
    expect(named(1)).toBeUndefined();
    expect(named(2)).toBeDefined();
  });

  it('reports a failed disposal and retries it after a delay, never dropping the record', async () => {
    const job = flinkJob({ maxCount: 1 });
    await takeSavepoint(1, job);
    await takeSavepoint(2, job);
    const latest = completedBy(2, 's3://b/sp/savepoint-2', clock.now());
    flink.disposalOutcome = { state: 'FAILED', message: 'java.io.IOException: Access Denied' };
    await sync(latest, job); // requested
    await sync(latest, job); // failed
    expect(named(1)?.status?.['disposal']).toMatchObject({
      state: 'Failed',
      attempts: 1,
      message: 'java.io.IOException: Access Denied',
    });
    expect(events.events.map((e) => [e.subject.kind, e.reason])).toContainEqual([
      'FlinkSavepoint',
      'SavepointDisposalFailed',
    ]);
    await sync(latest, job);
    expect(flink.disposals).toHaveLength(1); // not before the retry delay
    await clock.advance(disposalRetryDelayMs(1));
    await sync(latest, job);
    expect(flink.disposals).toHaveLength(2);
    expect(named(1)?.status?.['disposal']).toMatchObject({ state: 'Pending', attempts: 2 });
  });

  it('deletes the record when Flink finds the files already gone', async () => {
    const job = flinkJob({ maxCount: 1 });
    await takeSavepoint(1, job);
    await takeSavepoint(2, job);
    const latest = completedBy(2, 's3://b/sp/savepoint-2', clock.now());
    flink.disposalOutcome = {
      state: 'FAILED',
      message: "java.io.FileNotFoundException: Cannot find meta data file '_metadata' in directory",
    };
    await sync(latest, job);
    await sync(latest, job);
    expect(named(1)).toBeUndefined();
  });

  it('disposes on request but refuses the savepoint the job restores next', async () => {
    await takeSavepoint(1);
    await takeSavepoint(2);
    const latest = completedBy(2, 's3://b/sp/savepoint-2', clock.now());
    for (const n of [1, 2]) {
      const object = named(n) as CustomObject;
      object.spec = { ...object.spec, dispose: true };
    }
    await sync(latest);
    await sync(latest);
    expect(named(1)).toBeUndefined();
    expect(named(2)?.status?.['disposal']).toMatchObject({
      state: 'Failed',
      message: expect.stringContaining('refused'),
    });
    expect(flink.disposals).toEqual(['s3://b/sp/savepoint-1']);
  });

  it('releases the savepoint taken on deletion from its FlinkJob once it completed', async () => {
    const deleting: Context = {
      ...idle,
      stop: {
        reason: 'Deleted',
        restart: false,
        delete: true,
        triggerId: trigger(7),
        savepointOutcome: 'Unread',
      } as unknown as Context['stop'],
    };
    await sync(deleting);
    expect(named(7)?.metadata.ownerReferences).toHaveLength(1);
    await sync(completedBy(7, 's3://b/sp/savepoint-7', clock.now()));
    expect(named(7)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/savepoint-7' });
    expect(named(7)?.metadata.ownerReferences).toEqual([]);
    expect(events.events.map((e) => [e.subject.kind, e.reason])).toContainEqual([
      'FlinkJob',
      'SavepointReleased',
    ]);
    // Released records are out of the job's retention, even with a policy.
    const writes = resources.writes.length;
    await sync(completedBy(7, 's3://b/sp/savepoint-7'), flinkJob({ maxCount: 1 }));
    expect(resources.writes.length).toBe(writes);
  });

  describe('a FlinkSavepoint created by a user', () => {
    const request = () =>
      resources.put(FLINK_SAVEPOINT, NS, { metadata: { name: 'mine' }, spec: { jobName: 'demo-a' } });
    const job = () => flinkJob();
    const jobWith = (annotations: Record<string, string>) => {
      const j = flinkJob();
      j.metadata.annotations = annotations;
      j.metadata.resourceVersion =
        resources.objects.get(`${FLINK_JOB.plural}/${NS}/demo-a`)?.metadata.resourceVersion ?? '';
      return j;
    };
    const mine = () => resources.objects.get(`${FLINK_SAVEPOINT.plural}/${NS}/mine`);

    beforeEach(() => {
      resources.put(FLINK_JOB, NS, { metadata: { name: 'demo-a', uid: 'job-uid' }, spec: {} });
    });

    it('is stamped, asked of the machine with TRIGGER_SAVEPOINT, adopted as the record, and completed', async () => {
      request();
      await sync(idle, jobWith({}));
      const stamp = Date.parse(String(mine()?.status?.['requestTimestamp']));
      expect(mine()?.status).toMatchObject({ state: 'Pending' });
      const annotations = resources.objects.get(`${FLINK_JOB.plural}/${NS}/demo-a`)?.metadata.annotations;
      expect(annotations).toEqual({
        [ANNOTATIONS.requestedAction]: 'TRIGGER_SAVEPOINT',
        [ANNOTATIONS.actionTimestamp]: `${stamp}:TRIGGER_SAVEPOINT`,
      });
      // The machine took it: a manual savepoint in flight. The request adopts its trigger id.
      const manual: Context = {
        ...idle,
        savepoint: { triggerId: trigger(9), kind: 'manual', requestedAt: stamp, deadline: 0 },
        lastAction: {
          action: 'TRIGGER_SAVEPOINT',
          withoutSavepoint: false,
          requestedAt: stamp,
          outcome: 'accepted',
          reason: 'ok',
          at: stamp,
        },
      };
      await sync(manual, jobWith({}));
      expect(mine()?.status).toMatchObject({ state: 'Pending', triggerId: trigger(9), jobId: JOB_ID });
      expect(mine()?.metadata.labels?.[LABELS.job]).toBe('demo-a');
      expect(mine()?.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'FlinkJob', uid: 'job-uid' }),
      ]);
      expect(named(9)).toBeUndefined(); // no second record for the same savepoint
      await sync(
        { ...manual, ...completedBy(9, 's3://b/sp/m', clock.now()), lastAction: manual.lastAction },
        job(),
      );
      expect(mine()?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/m' });
      expect(stored()).toHaveLength(1);
    });

    it('is adopted as the record when the trigger id is written ahead, before any pass sees the flight', async () => {
      request();
      await sync(idle, jobWith({}));
      const stamp = Date.parse(String(mine()?.status?.['requestTimestamp']));
      const manual: Context = {
        ...idle,
        savepoint: { triggerId: trigger(9), kind: 'manual', requestedAt: stamp, deadline: 0 },
      };
      await history.recordFlights(job(), manual);
      expect(mine()?.status).toMatchObject({ state: 'Pending', triggerId: trigger(9), jobId: JOB_ID });
      expect(named(9)).toBeUndefined();
      await sync(
        { ...manual, ...completedBy(9, 's3://b/sp/m', clock.now()), lastAction: manual.lastAction },
        job(),
      );
      expect(mine()?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/m' });
      expect(stored()).toHaveLength(1);
    });

    it('waits while the job has another requested action, and never overwrites it', async () => {
      request();
      await sync(idle, jobWith({ [ANNOTATIONS.requestedAction]: 'STOP' }));
      expect(mine()?.status?.['state']).toBe('Pending');
      expect(resources.writes.filter((w) => w.kind === 'FlinkJob')).toEqual([]);
      // After a crash between the stamp and the annotation, the same stamp is asked again.
      await sync(idle, jobWith({}));
      const stamp = Date.parse(String(mine()?.status?.['requestTimestamp']));
      const annotations = resources.objects.get(`${FLINK_JOB.plural}/${NS}/demo-a`)?.metadata.annotations;
      expect(annotations?.[ANNOTATIONS.actionTimestamp]).toBe(`${stamp}:TRIGGER_SAVEPOINT`);
    });

    it('fails with the reason when the machine refuses it', async () => {
      request();
      await sync(idle, jobWith({}));
      const stamp = Date.parse(String(mine()?.status?.['requestTimestamp']));
      await sync(
        {
          ...idle,
          lastAction: {
            action: 'TRIGGER_SAVEPOINT',
            withoutSavepoint: false,
            requestedAt: stamp,
            outcome: 'rejected',
            reason: 'the job is not running',
            at: stamp,
          },
        },
        job(),
      );
      expect(mine()?.status).toMatchObject({
        state: 'Failed',
        message: 'the supervisor refused the savepoint: the job is not running',
      });
      expect(events.events.map((e) => e.reason)).toContain('SavepointRequestRefused');
    });
  });

  describe('a savepoint Flink forgot (a JobManager restart without HA): looked for in storage (ADR 0023)', () => {
    const record = (n: number) => savepointResourceName('demo-a', trigger(n));
    const searchJob = (n: number) => savepointSearchJobName(record(n));

    it('records the search before its Job is made, then the savepoint found, and removes the Job', async () => {
      const searches = new FakeSearches();
      await sync(periodic(1));
      const requestedAt = clock.now();
      await clock.advance(60_000);
      // The machine no longer has it in flight; Flink (restarted) does not know the trigger.
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(named(1)?.status).toMatchObject({
        state: 'Pending',
        search: {
          state: 'Pending',
          directory: 's3://bkt/sp',
          jobId: JOB_ID,
          since: new Date(requestedAt - 600_000).toISOString(),
        },
      });
      // Write-ahead: no Job until the search is on record; the next pass makes it.
      expect(searches.started).toEqual([]);
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(searches.started).toEqual([
        {
          savepointName: record(1),
          directory: 's3://bkt/sp',
          jobId: JOB_ID,
          since: new Date(requestedAt - 600_000).toISOString(),
        },
      ]);
      // Running: nothing changes, nothing is asked of Flink.
      const writes = resources.writes.length;
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(resources.writes.length).toBe(writes);
      expect(searches.started).toHaveLength(1);
      // A repeat after a crash finds the Job again (a function of the record's name): not twice.
      const path = `s3://b/sp/savepoint-${JOB_ID.slice(0, 6)}-0123456789ab`;
      searches.outcomes.set(searchJob(1), {
        state: 'found',
        savepoints: [{ path, completedAt: new Date(requestedAt + 2_000).toISOString() }],
      });
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(named(1)?.status).toMatchObject({
        state: 'Completed',
        path,
        completionTimestamp: new Date(requestedAt + 2_000).toISOString(),
        search: { state: 'Found' },
      });
      expect(searches.finished).toEqual([searchJob(1)]);
      expect(events.events.map((e) => e.reason)).toContain('SavepointFound');
    });

    it('removes and makes again a Job left by an earlier search of the record, never reading its report (K20, seed 1015510)', async () => {
      const searches = new FakeSearches();
      const pass = (context: Context) =>
        history.sync({ job: flinkJob(), context, flinkReachable: true, searches });
      await pass(periodic(1));
      await clock.advance(60_000);
      // Flink does not know the trigger (it was never sent): a search is recorded, its Job made.
      await pass(idle);
      await pass(idle);
      const first = searches.started[0]?.since;
      expect(first).toBeDefined();
      // The trigger is sent again under the same id; the first search ran meanwhile and found nothing.
      await clock.advance(5_000);
      await pass(periodic(1));
      searches.outcomes.set(searchJob(1), { state: 'found', savepoints: [] });
      // The savepoint completed, then a JobManager restart forgot the trigger again: searched again.
      await clock.advance(60_000);
      await pass(idle);
      const second = (named(1)?.status?.['search'] as Record<string, unknown> | undefined)?.['since'];
      expect(second).not.toBe(first);
      // The first search's Job, still there, is not this search's answer: removed, then made again.
      await pass(idle);
      expect(named(1)?.status).toMatchObject({ state: 'Pending', search: { state: 'Pending' } });
      expect(searches.finished).toEqual([searchJob(1)]);
      await pass(idle);
      expect(searches.started.map((r) => r.since)).toEqual([first, second]);
      const path = `s3://b/sp/savepoint-${JOB_ID.slice(0, 6)}-0123456789ab`;
      searches.outcomes.set(searchJob(1), {
        state: 'found',
        savepoints: [{ path, completedAt: new Date(clock.now()).toISOString() }],
      });
      await pass(idle);
      expect(named(1)?.status).toMatchObject({ state: 'Completed', path });
    });

    it('takes the oldest savepoint found that no record claims; none left: Abandoned, saying so', async () => {
      const searches = new FakeSearches();
      await takeSavepoint(1);
      const pass = (context: Context) =>
        history.sync({ job: flinkJob(), context, flinkReachable: true, searches });
      await pass(periodic(2, { savepointPath: 's3://b/sp/savepoint-1' }));
      await pass(periodic(3, { savepointPath: 's3://b/sp/savepoint-1' }));
      await clock.advance(60_000);
      const after = completedBy(1, 's3://b/sp/savepoint-1', 0);
      await history.sync({ job: flinkJob(), context: after, flinkReachable: true, searches });
      await history.sync({ job: flinkJob(), context: after, flinkReachable: true, searches });
      expect(searches.started.map((r) => r.savepointName)).toEqual([record(2), record(3)]);
      const found = [
        { path: 's3://b/sp/savepoint-1', completedAt: '2026-01-01T00:00:00.000Z' },
        { path: 's3://b/sp/savepoint-x', completedAt: '2026-01-01T00:01:00.000Z' },
      ];
      searches.outcomes.set(searchJob(2), { state: 'found', savepoints: found });
      searches.outcomes.set(searchJob(3), { state: 'found', savepoints: found });
      await history.sync({ job: flinkJob(), context: after, flinkReachable: true, searches });
      // savepoint-1 is claimed by its record: the first takes the other, the second finds none.
      expect(named(2)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/savepoint-x' });
      expect(named(3)?.status).toMatchObject({ state: 'Abandoned', search: { state: 'NotFound' } });
      expect(String(named(3)?.status?.['message'])).toMatch(/no unrecorded savepoint .* it did not complete/);
    });

    it('waits while another savepoint of the same Flink job is in flight: its files are its own', async () => {
      const searches = new FakeSearches();
      await sync(periodic(1));
      await clock.advance(60_000);
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      const newer = { path: 's3://b/sp/savepoint-newer', completedAt: new Date(clock.now()).toISOString() };
      searches.outcomes.set(searchJob(1), { state: 'found', savepoints: [newer] });
      // Savepoint 2 is in flight and its files are already there.
      await history.sync({ job: flinkJob(), context: periodic(2), flinkReachable: true, searches });
      expect(named(1)?.status).toMatchObject({ state: 'Pending', search: { state: 'Pending' } });
      // It completes: its record claims the files; the forgotten one did not complete.
      flink.verdicts.set(trigger(2), { state: 'COMPLETED', location: newer.path });
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(named(2)?.status).toMatchObject({ state: 'Completed', path: newer.path });
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(named(1)?.status).toMatchObject({ state: 'Abandoned', search: { state: 'NotFound' } });
    });

    it('a search that failed abandons the record with the reason and a Warning; file storage is not searched', async () => {
      const searches = new FakeSearches();
      await sync(periodic(1));
      await clock.advance(60_000);
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      searches.outcomes.set(searchJob(1), {
        state: 'failed',
        message: 'the search Job failed (DeadlineExceeded)',
      });
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(named(1)?.status).toMatchObject({ state: 'Abandoned', search: { state: 'Failed' } });
      expect(String(named(1)?.status?.['message'])).toContain('DeadlineExceeded');
      expect(events.events.filter((e) => e.reason === 'SavepointSearchFailed')).toHaveLength(2);
      // Its pod's logs say more: the Job stays (for its TTL).
      expect(searches.finished).toEqual([]);

      const onFiles = new FakeSearches();
      onFiles.directory = 'file:///flink-data/savepoints';
      await sync(periodic(2));
      await clock.advance(60_000);
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches: onFiles });
      expect(named(2)?.status).toMatchObject({ state: 'Abandoned' });
      expect(named(2)?.status?.['search']).toBeUndefined();
      expect(onFiles.started).toEqual([]);
    });

    it('counts the search it has just recorded before the watch cache shows it: the FlinkJob is not released meanwhile (K14)', async () => {
      const searches = new FakeSearches();
      let lagging: CustomObject[] | undefined;
      const lagged = new SavepointHistory({
        namespace: NS,
        clusterName: 'demo',
        clock,
        resources,
        events,
        flink,
        savepoints: () => (lagging ?? stored()).map((o) => structuredClone(o)),
        written: () => undefined,
        log: () => undefined,
      });
      const pass = (context: Context) =>
        lagged.sync({ job: flinkJob(), context, flinkReachable: true, searches });
      await pass(periodic(1));
      expect(lagged.searching('demo-a')).toBe(false);
      // The watch stops here (an API server that hangs): it keeps showing the record Pending.
      lagging = stored().map((o) => structuredClone(o));
      await clock.advance(60_000);
      await pass(idle);
      expect(named(1)?.status).toMatchObject({ state: 'Pending', search: { state: 'Pending' } });
      expect(lagging.some((o) => o.status?.['search'])).toBe(false);
      expect(lagged.searching('demo-a')).toBe(true);
      // The next pass, still on the lagging cache, decides from the old record; its write conflicts.
      await pass(idle);
      expect(lagged.searching('demo-a')).toBe(true);
      // The watch catches up; the search finds nothing: no longer searching.
      lagging = undefined;
      expect(lagged.searching('demo-a')).toBe(true);
      await pass(idle);
      searches.outcomes.set(searchJob(1), { state: 'found', savepoints: [] });
      await pass(idle);
      expect(named(1)?.status).toMatchObject({ state: 'Abandoned', search: { state: 'NotFound' } });
      expect(lagged.searching('demo-a')).toBe(false);
    });

    it('keeps a deleted FlinkJob while a record of it waits for its outcome, as stored, though the watch cache has not shown the record yet (K17, seeds 1003611, 1004740)', async () => {
      // The watch re-lists after an API server restart: its cache shows none of the job's records.
      let lagging: CustomObject[] | undefined = [];
      const lagged = new SavepointHistory({
        namespace: NS,
        clusterName: 'demo',
        clock,
        resources,
        events,
        flink,
        savepoints: () => (lagging ?? stored()).map((o) => structuredClone(o)),
        written: () => undefined,
        log: () => undefined,
      });
      // The trigger effect writes the record ahead of the trigger; Flink completes it, the machine
      // records the path under its trigger id, then the job is deleted and terminates.
      await lagged.requireRecords(flinkJob(), periodic(1));
      expect(named(1)?.status).toMatchObject({ state: 'Pending' });
      await clock.advance(60_000);
      const terminated = completedBy(1, 's3://b/sp/savepoint-1', clock.now());
      await lagged.sync({ job: flinkJob(), context: terminated, flinkReachable: true });
      // Not in the cache, so neither resolved nor counted as searched for: the release check of
      // K14 alone let the FlinkJob go here, and the savepoint was named by no record.
      expect(named(1)?.status).toMatchObject({ state: 'Pending' });
      expect(lagged.searching('demo-a')).toBe(false);
      expect(await lagged.awaitsOutcome('demo-a')).toBe(true);
      // The watch catches up: the next pass resolves it from the machine's path, and it may go.
      lagging = undefined;
      await lagged.sync({ job: flinkJob(), context: terminated, flinkReachable: true });
      expect(named(1)?.status).toMatchObject({ state: 'Completed', path: 's3://b/sp/savepoint-1' });
      expect(await lagged.awaitsOutcome('demo-a')).toBe(false);
      expect(await lagged.awaitsOutcome('demo-b')).toBe(false);
    });

    it('counts no request a trigger was never taken for, and keeps the FlinkJob while the records cannot be read (K17)', async () => {
      await resources.create(FLINK_SAVEPOINT, NS, {
        apiVersion: 'flinkvisor.io/v1',
        kind: 'FlinkSavepoint',
        metadata: { name: 'by-hand', namespace: NS },
        spec: { jobName: 'demo-a' },
        status: { state: 'Pending' },
      });
      expect(await history.awaitsOutcome('demo-a')).toBe(false);
      resources.list = () => Promise.reject(new Error('connect ECONNREFUSED'));
      expect(await history.awaitsOutcome('demo-a')).toBe(true);
    });

    it("a trigger taken again under the same id while its files were looked for is Flink's to answer again", async () => {
      const searches = new FakeSearches();
      await sync(periodic(1));
      await clock.advance(60_000);
      await history.sync({ job: flinkJob(), context: idle, flinkReachable: true, searches });
      expect(named(1)?.status).toMatchObject({ search: { state: 'Pending' } });
      await history.recordFlights(flinkJob(), periodic(1));
      expect(named(1)?.status).toMatchObject({ state: 'Pending' });
      expect(named(1)?.status?.['search']).toBeUndefined();
    });
  });
});
