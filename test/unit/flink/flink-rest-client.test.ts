import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FlinkBadRequestError,
  FlinkInvalidArgumentError,
  FlinkInvalidResponseError,
  FlinkNotFoundError,
  FlinkUnsupportedError,
} from '../../../src/flink/errors.ts';
import {
  BAD_TRIGGER_ID,
  CANCEL_TERMINAL,
  CHECKPOINT_COMPLETED,
  CHECKPOINT_FAILED,
  CHECKPOINTS,
  CONFIG_1_20,
  CONFIG_2_3,
  DELETE_MISSING_JAR,
  DUPLICATE_APPLICATION_2_3,
  DUPLICATE_JOB_1_20,
  EXCEPTIONS_1_20,
  EXCEPTIONS_2_3,
  IN_PROGRESS,
  JAR_ID,
  JARS,
  JOB_DETAILS_2_3,
  JOB_DETAILS_2_3_CREATED,
  JOB_ID,
  JOB_NOT_FOUND,
  JOBMANAGER_CONFIG,
  JOBS_OVERVIEW,
  NO_SUCH_TRIGGER,
  NOT_A_JAR,
  OVERVIEW,
  RESOURCE_REQUIREMENTS,
  RUN_MISSING_JAR,
  SAVEPOINT_COMPLETED,
  SAVEPOINT_FAILED_JOB_GONE,
  TASK_MANAGER_2_3,
  TM_ID,
  TRIGGER_ID,
  UNKNOWN_TASK_MANAGER_1_20,
} from './fixtures.ts';
import { mockFlink, sentJson, type MockFlink } from './mock-flink.ts';

let flink: MockFlink;
afterEach(async () => {
  await flink.close();
});

const json = { headers: { 'content-type': 'application/json; charset=UTF-8' } };

describe('version detection', () => {
  it('asks GET /config once and shares the answer', async () => {
    flink = mockFlink({ version: null });
    flink.pool.intercept({ path: '/config' }).reply(200, CONFIG_2_3, json);
    const [a, b] = await Promise.all([flink.client.flinkVersion(), flink.client.capabilities()]);
    expect(a).toEqual({ major: 2, minor: 3, patch: 0, raw: '2.3.0' });
    expect(b.claimModeField).toBe('claimMode');
    expect(b.programArgsString).toBe(false);
    await flink.client.flinkVersion();
    expect(flink.agent.getCallHistory()?.calls()).toHaveLength(1);
  });

  it('asks again after a failed detection', async () => {
    flink = mockFlink({ version: null });
    flink.pool.intercept({ path: '/config' }).reply(404, '{"errors":["Not found: /config"]}');
    flink.pool.intercept({ path: '/config' }).reply(200, CONFIG_1_20);
    await expect(flink.client.flinkVersion()).rejects.toBeInstanceOf(FlinkNotFoundError);
    await expect(flink.client.flinkVersion()).resolves.toMatchObject({ major: 1, minor: 20 });
  });

  it('refuses a version older than 1.17 and an unreadable one', async () => {
    flink = mockFlink({ version: null });
    flink.pool.intercept({ path: '/config' }).reply(200, { ...CONFIG_1_20, 'flink-version': '1.16.3' });
    flink.pool.intercept({ path: '/config' }).reply(200, { ...CONFIG_1_20, 'flink-version': '<unknown>' });
    await expect(flink.client.flinkVersion()).rejects.toBeInstanceOf(FlinkUnsupportedError);
    await expect(flink.client.flinkVersion()).rejects.toBeInstanceOf(FlinkInvalidResponseError);
  });

  it('lets one caller abort its wait without cancelling the shared detection', async () => {
    flink = mockFlink({ version: null });
    flink.pool.intercept({ path: '/config' }).reply(200, CONFIG_1_20).delay(100);
    const ac = new AbortController();
    const aborted = flink.client.flinkVersion({ signal: ac.signal });
    const other = flink.client.flinkVersion();
    ac.abort(new Error('mine only'));
    await expect(aborted).rejects.toThrow('mine only');
    await expect(other).resolves.toMatchObject({ raw: '1.20.5' });
  });

  it('shapes bodies for the detected version (1.18: restoreMode)', async () => {
    flink = mockFlink({ version: null });
    flink.pool.intercept({ path: '/config' }).reply(200, { ...CONFIG_1_20, 'flink-version': '1.18.1' });
    flink.pool.intercept({ path: `/jars/${JAR_ID}/run`, method: 'POST' }).reply(200, { jobid: JOB_ID });
    await flink.client.runJar(JAR_ID, { jobId: JOB_ID, savepointPath: 'file:/sp', claimMode: 'CLAIM' });
    expect(sentJson(flink.agent, 1)).toEqual({
      jobId: JOB_ID,
      savepointPath: 'file:/sp',
      restoreMode: 'CLAIM',
    });
  });
});

describe('cluster calls', () => {
  it('read /config, /overview and the JobManager configuration', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: '/config' }).reply(200, CONFIG_1_20);
    flink.pool.intercept({ path: '/overview' }).reply(200, OVERVIEW);
    flink.pool.intercept({ path: '/jobmanager/config' }).reply(200, JOBMANAGER_CONFIG);
    expect((await flink.client.getConfig())['flink-version']).toBe('1.20.5');
    expect(await flink.client.getOverview()).toMatchObject({ taskmanagers: 1, 'slots-available': 4 });
    expect(await flink.client.getJobManagerConfig()).toEqual({
      'jobmanager.rpc.address': '127.0.0.2',
      'parallelism.default': '1',
      'jobmanager.scheduler': 'adaptive',
    });
  });

  it('read JobManager metrics, by name or all ids', async () => {
    flink = mockFlink();
    flink.pool
      .intercept({
        path: '/jobmanager/metrics',
        query: { get: 'Status.JVM.Memory.Heap.Used,Status.JVM.CPU.Load' },
      })
      .reply(200, [{ id: 'Status.JVM.Memory.Heap.Used', value: '61920976' }]);
    flink.pool.intercept({ path: '/jobmanager/metrics' }).reply(200, [{ id: 'Status.JVM.CPU.Load' }]);
    expect(
      await flink.client.getJobManagerMetrics(['Status.JVM.Memory.Heap.Used', 'Status.JVM.CPU.Load']),
    ).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', value: '61920976' }]);
    expect(await flink.client.getJobManagerMetrics()).toEqual([{ id: 'Status.JVM.CPU.Load' }]);
  });

  it('list and describe TaskManagers, their metrics and aggregates', async () => {
    flink = mockFlink();
    const tm = encodeURIComponent(TM_ID);
    flink.pool.intercept({ path: '/taskmanagers' }).reply(200, { taskmanagers: [TASK_MANAGER_2_3] });
    flink.pool
      .intercept({ path: `/taskmanagers/${tm}` })
      .reply(200, { ...TASK_MANAGER_2_3, allocatedSlots: [] });
    flink.pool
      .intercept({ path: `/taskmanagers/${tm}/metrics`, query: { get: 'Status.JVM.Memory.Heap.Used' } })
      .reply(200, [{ id: 'Status.JVM.Memory.Heap.Used', value: '100537304' }]);
    flink.pool
      .intercept({
        path: '/taskmanagers/metrics',
        query: { get: 'Status.JVM.Memory.Heap.Used', agg: 'max,sum', taskmanagers: TM_ID },
      })
      .reply(200, [{ id: 'Status.JVM.Memory.Heap.Used', max: 1.0997e8, sum: 1.0997e8 }]);
    const [listed] = await flink.client.listTaskManagers();
    expect(listed).toMatchObject({ id: TM_ID, slotsNumber: 4, freeSlots: 4, assignedTasks: 0 });
    expect((await flink.client.getTaskManager(TM_ID)).allocatedSlots).toEqual([]);
    expect(await flink.client.getTaskManagerMetrics(TM_ID, ['Status.JVM.Memory.Heap.Used'])).toEqual([
      { id: 'Status.JVM.Memory.Heap.Used', value: '100537304' },
    ]);
    expect(
      await flink.client.getAggregatedTaskManagerMetrics({
        metrics: ['Status.JVM.Memory.Heap.Used'],
        aggregations: ['max', 'sum'],
        taskManagers: [TM_ID],
      }),
    ).toEqual([{ id: 'Status.JVM.Memory.Heap.Used', max: 1.0997e8, sum: 1.0997e8 }]);
  });

  it('map an unknown TaskManager (Flink: 500) to not found', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: '/taskmanagers/nope' }).reply(500, UNKNOWN_TASK_MANAGER_1_20);
    const err = (await flink.client.getTaskManager('nope').catch((e: unknown) => e)) as FlinkNotFoundError;
    expect(err).toBeInstanceOf(FlinkNotFoundError);
    expect(err.errors).toEqual([
      'org.apache.flink.runtime.resourcemanager.exceptions.UnknownTaskExecutorException: No TaskExecutor registered under nope.',
    ]);
  });
});

describe('jars', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flink-client-'));
    await writeFile(join(dir, 'TopSpeedWindowing.jar'), Buffer.from('PK\u0003\u0004jar'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('upload as a multipart jarfile part and return the jar id', async () => {
    flink = mockFlink();
    let sent = '';
    flink.pool
      .intercept({
        path: '/jars/upload',
        method: 'POST',
        headers: { 'content-type': /^multipart\/form-data; boundary=flinkvisor-[0-9a-f]+$/ },
      })
      .reply(async ({ body }) => {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
          sent += Buffer.from(chunk).toString('latin1');
        return {
          statusCode: 200,
          data: { filename: `/tmp/f/flink-web-upload/${JAR_ID}`, status: 'success' },
        };
      });
    expect(await flink.client.uploadJar(join(dir, 'TopSpeedWindowing.jar'))).toEqual({
      jarId: JAR_ID,
      path: `/tmp/f/flink-web-upload/${JAR_ID}`,
    });
    const headers = flink.agent.getCallHistory()?.firstCall()?.headers as Record<string, string>;
    expect(headers['content-length']).toBe(String(Buffer.byteLength(sent, 'latin1')));
    const boundary = /^--(flinkvisor-[0-9a-f]+)\r\n/.exec(sent)?.[1];
    expect(sent).toBe(
      `--${boundary}\r\n` +
        'Content-Disposition: form-data; name="jarfile"; filename="TopSpeedWindowing.jar"\r\n' +
        'Content-Type: application/x-java-archive\r\n\r\n' +
        'PK\u0003\u0004jar' +
        `\r\n--${boundary}--\r\n`,
    );
  });

  it('report Flink refusing the upload as a bad request', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: '/jars/upload', method: 'POST' }).reply(400, NOT_A_JAR);
    await expect(flink.client.uploadJar(join(dir, 'TopSpeedWindowing.jar'))).rejects.toThrow(
      /400 bad request: .*Only Jar files are allowed/,
    );
  });

  it('list jars with their entry classes', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: '/jars' }).reply(200, JARS);
    const [jar] = await flink.client.listJars();
    expect(jar).toMatchObject({ id: JAR_ID, name: 'TopSpeedWindowing.jar' });
    expect(jar?.entry[0]?.name).toBe('org.apache.flink.streaming.examples.windowing.TopSpeedWindowing');
  });

  it('run a jar with the caller’s job id and version-shaped body', async () => {
    flink = mockFlink({ version: '2.3.0' });
    flink.pool
      .intercept({ path: `/jars/${JAR_ID}/run`, method: 'POST' })
      .reply(200, { jobid: JOB_ID, applicationId: JOB_ID });
    const result = await flink.client.runJar(JAR_ID, {
      jobId: JOB_ID,
      parallelism: 2,
      programArgs: ['--x', '1'],
      savepointPath: 'file:/sp/1',
      claimMode: 'NO_CLAIM',
      allowNonRestoredState: false,
    });
    expect(result).toEqual({ jobId: JOB_ID, outcome: 'submitted', applicationId: JOB_ID });
    expect(sentJson(flink.agent, 0)).toEqual({
      jobId: JOB_ID,
      parallelism: 2,
      programArgsList: ['--x', '1'],
      savepointPath: 'file:/sp/1',
      claimMode: 'NO_CLAIM',
      allowNonRestoredState: false,
    });
  });

  it.each([
    ['1.20', DUPLICATE_JOB_1_20],
    ['2.3', DUPLICATE_APPLICATION_2_3],
  ])('turn a duplicate job id (%s) into already-submitted', async (_v, body) => {
    flink = mockFlink();
    flink.pool.intercept({ path: `/jars/${JAR_ID}/run`, method: 'POST' }).reply(400, body);
    await expect(flink.client.runJar(JAR_ID, { jobId: JOB_ID })).resolves.toEqual({
      jobId: JOB_ID,
      outcome: 'already-submitted',
    });
  });

  it('report a jar the JobManager lost as not found, and other failures as bad requests', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: '/jars/nope.jar/run', method: 'POST' }).reply(500, RUN_MISSING_JAR);
    flink.pool
      .intercept({ path: `/jars/${JAR_ID}/run`, method: 'POST' })
      .reply(
        400,
        '{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application."]}',
      );
    await expect(flink.client.runJar('nope.jar', { jobId: JOB_ID })).rejects.toBeInstanceOf(
      FlinkNotFoundError,
    );
    await expect(flink.client.runJar(JAR_ID, { jobId: JOB_ID })).rejects.toBeInstanceOf(FlinkBadRequestError);
  });

  it('refuse a malformed job id without sending anything', async () => {
    flink = mockFlink();
    await expect(flink.client.runJar(JAR_ID, { jobId: 'job-1' })).rejects.toBeInstanceOf(
      FlinkInvalidArgumentError,
    );
    // Rejected, never thrown synchronously, by every call that takes an id.
    const calls = [
      () => flink.client.getJob('job-1'),
      () => flink.client.getJobStatus('job-1'),
      () => flink.client.getCheckpoints('job-1'),
      () => flink.client.getJobMetrics('job-1'),
      () => flink.client.cancelJob('job-1'),
      () => flink.client.getSavepointStatus(JOB_ID, 'nope'),
      () => flink.client.getCheckpointStatus('job-1', TRIGGER_ID),
      () => flink.client.getSavepointDisposalStatus('nope'),
      () => flink.client.getResourceRequirements('job-1'),
    ];
    for (const call of calls) await expect(call()).rejects.toBeInstanceOf(FlinkInvalidArgumentError);
    expect(flink.agent.getCallHistory()?.calls()).toHaveLength(0);
  });

  it('delete a jar, and treat a missing one as already deleted', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: `/jars/${JAR_ID}`, method: 'DELETE' }).reply(200, '');
    flink.pool.intercept({ path: '/jars/nope.jar', method: 'DELETE' }).reply(400, DELETE_MISSING_JAR);
    expect(await flink.client.deleteJar(JAR_ID)).toBe('deleted');
    expect(await flink.client.deleteJar('nope.jar')).toBe('not-found');
  });
});

describe('jobs', () => {
  it('list ids and states, overviews, details and status', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: '/jobs' }).reply(200, { jobs: [{ id: JOB_ID, status: 'RUNNING' }] });
    flink.pool.intercept({ path: '/jobs/overview' }).reply(200, JOBS_OVERVIEW);
    flink.pool.intercept({ path: `/jobs/${JOB_ID}` }).reply(200, JOB_DETAILS_2_3);
    flink.pool.intercept({ path: `/jobs/${JOB_ID}` }).reply(200, JOB_DETAILS_2_3_CREATED);
    flink.pool.intercept({ path: `/jobs/${JOB_ID}/status` }).reply(200, { status: 'RUNNING' });
    expect(await flink.client.listJobs()).toEqual([{ id: JOB_ID, status: 'RUNNING' }]);
    expect((await flink.client.listJobOverviews())[0]).toMatchObject({ jid: JOB_ID, state: 'CANCELED' });
    const details = await flink.client.getJob(JOB_ID);
    expect(details).toMatchObject({
      jid: JOB_ID,
      state: 'RUNNING',
      'application-id': JOB_ID,
      schedulerType: 'Adaptive',
    });
    expect(details.vertices[0]).toMatchObject({ id: 'cbc357ccb763df2852fee8c4fc7d55f2', parallelism: 1 });
    // Of the plan, only the graph's shape is kept (the autoscaler finds the sources by it).
    expect(details.plan).toEqual({ nodes: [] });
    expect((await flink.client.getJob(JOB_ID))['application-id']).toBeNull();
    expect(await flink.client.getJobStatus(JOB_ID)).toBe('RUNNING');
  });

  it('map an unknown job to not found and a state Flink never sends to an invalid answer', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: `/jobs/${JOB_ID}/status` }).reply(404, JOB_NOT_FOUND);
    flink.pool.intercept({ path: `/jobs/${JOB_ID}/status` }).reply(200, { status: 'DANCING' });
    await expect(flink.client.getJobStatus(JOB_ID)).rejects.toBeInstanceOf(FlinkNotFoundError);
    const err = (await flink.client.getJobStatus(JOB_ID).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(FlinkInvalidResponseError);
    expect(err.message).toMatch(/unexpected answer \(status: Invalid option/);
    expect(err.message).not.toContain('DANCING');
  });

  it('cancel, and treat a job already terminal as done', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: `/jobs/${JOB_ID}?mode=cancel`, method: 'PATCH' }).reply(202, {});
    flink.pool
      .intercept({ path: `/jobs/${JOB_ID}?mode=cancel`, method: 'PATCH' })
      .reply(409, CANCEL_TERMINAL);
    flink.pool.intercept({ path: `/jobs/${JOB_ID}?mode=cancel`, method: 'PATCH' }).reply(404, JOB_NOT_FOUND);
    expect(await flink.client.cancelJob(JOB_ID)).toBe('cancellation-requested');
    expect(await flink.client.cancelJob(JOB_ID)).toBe('already-terminal');
    await expect(flink.client.cancelJob(JOB_ID)).rejects.toBeInstanceOf(FlinkNotFoundError);
  });

  it('read exceptions from the history in 1.20 (legacy fields, location) and 2.3 (endpoint)', async () => {
    flink = mockFlink();
    flink.pool
      .intercept({ path: `/jobs/${JOB_ID}/exceptions`, query: { maxExceptions: '5' } })
      .reply(200, EXCEPTIONS_1_20);
    flink.pool.intercept({ path: `/jobs/${JOB_ID}/exceptions` }).reply(200, EXCEPTIONS_2_3);
    const old = await flink.client.getJobExceptions(JOB_ID, { maxExceptions: 5 });
    expect(old.truncated).toBe(false);
    expect(old.entries[0]).toMatchObject({
      exceptionName: 'org.apache.flink.util.FlinkException',
      taskName: undefined,
      endpoint: undefined,
    });
    expect(old.entries[1]).toMatchObject({
      exceptionName: 'java.lang.RuntimeException',
      endpoint: '127.0.0.2:34657',
      taskName: 'Source: file-input -> tokenizer (1/1)',
      concurrentExceptions: [],
    });
    const current = await flink.client.getJobExceptions(JOB_ID);
    expect(current.entries[0]?.exceptionName).toBe('org.apache.flink.util.FlinkException');
    expect(current.entries[0]?.endpoint).toBeUndefined();
    expect(current.entries[0]?.concurrentExceptions[0]).toMatchObject({
      exceptionName: 'java.io.IOException',
      endpoint: '127.0.0.2:46251',
    });
  });

  it('read job metrics', async () => {
    flink = mockFlink();
    flink.pool
      .intercept({ path: `/jobs/${JOB_ID}/metrics`, query: { get: 'numRestarts,uptime' } })
      .reply(200, [
        { id: 'numRestarts', value: '0' },
        { id: 'uptime', value: '12000' },
      ]);
    expect(await flink.client.getJobMetrics(JOB_ID, ['numRestarts', 'uptime'])).toEqual([
      { id: 'numRestarts', value: '0' },
      { id: 'uptime', value: '12000' },
    ]);
  });
});

describe('savepoints, stop and checkpoints', () => {
  it('trigger a savepoint with the caller’s trigger id', async () => {
    flink = mockFlink();
    flink.pool
      .intercept({ path: `/jobs/${JOB_ID}/savepoints`, method: 'POST' })
      .reply(202, { 'request-id': TRIGGER_ID });
    expect(
      await flink.client.triggerSavepoint(JOB_ID, { triggerId: TRIGGER_ID, targetDirectory: 'file:/sp' }),
    ).toEqual({ triggerId: TRIGGER_ID });
    expect(sentJson(flink.agent, 0)).toEqual({
      triggerId: TRIGGER_ID,
      'target-directory': 'file:/sp',
      'cancel-job': false,
    });
  });

  it('stop with a savepoint, draining when asked', async () => {
    flink = mockFlink();
    flink.pool
      .intercept({ path: `/jobs/${JOB_ID}/stop`, method: 'POST' })
      .reply(202, { 'request-id': TRIGGER_ID });
    expect(await flink.client.stopJobWithSavepoint(JOB_ID, { triggerId: TRIGGER_ID, drain: true })).toEqual({
      triggerId: TRIGGER_ID,
    });
    expect(sentJson(flink.agent, 0)).toEqual({ triggerId: TRIGGER_ID, drain: true });
  });

  it('report a malformed request as a bad request with Flink’s errors', async () => {
    flink = mockFlink();
    flink.pool.intercept({ path: `/jobs/${JOB_ID}/savepoints`, method: 'POST' }).reply(400, BAD_TRIGGER_ID);
    const err = (await flink.client
      .triggerSavepoint(JOB_ID, { triggerId: TRIGGER_ID })
      .catch((e: unknown) => e)) as FlinkBadRequestError;
    expect(err).toBeInstanceOf(FlinkBadRequestError);
    expect(err.errors[0]).toContain('Request did not match expected format SavepointTriggerRequestBody');
  });

  it('read savepoint status: in progress, completed with a location, failed with a cause', async () => {
    flink = mockFlink();
    const path = `/jobs/${JOB_ID}/savepoints/${TRIGGER_ID}`;
    flink.pool.intercept({ path }).reply(200, IN_PROGRESS);
    flink.pool.intercept({ path }).reply(200, SAVEPOINT_COMPLETED);
    flink.pool.intercept({ path }).reply(200, SAVEPOINT_FAILED_JOB_GONE);
    flink.pool.intercept({ path }).reply(404, NO_SUCH_TRIGGER);
    flink.pool.intercept({ path }).reply(200, { status: { id: 'COMPLETED' }, operation: {} });
    expect(await flink.client.getSavepointStatus(JOB_ID, TRIGGER_ID)).toEqual({ state: 'IN_PROGRESS' });
    expect(await flink.client.getSavepointStatus(JOB_ID, TRIGGER_ID)).toEqual({
      state: 'COMPLETED',
      location: SAVEPOINT_COMPLETED.operation.location,
    });
    expect(await flink.client.getSavepointStatus(JOB_ID, TRIGGER_ID)).toEqual({
      state: 'FAILED',
      failure: {
        className: 'java.util.concurrent.CompletionException',
        message: `java.util.concurrent.CompletionException: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (${JOB_ID})`,
      },
    });
    await expect(flink.client.getSavepointStatus(JOB_ID, TRIGGER_ID)).rejects.toBeInstanceOf(
      FlinkNotFoundError,
    );
    await expect(flink.client.getSavepointStatus(JOB_ID, TRIGGER_ID)).rejects.toThrow(/without a location/);
  });

  it('list checkpoints, trigger one and read its status', async () => {
    flink = mockFlink();
    const status = `/jobs/${JOB_ID}/checkpoints/${TRIGGER_ID}`;
    flink.pool.intercept({ path: `/jobs/${JOB_ID}/checkpoints` }).reply(200, CHECKPOINTS);
    flink.pool
      .intercept({ path: `/jobs/${JOB_ID}/checkpoints`, method: 'POST' })
      .reply(202, { 'request-id': TRIGGER_ID });
    flink.pool.intercept({ path: status }).reply(200, IN_PROGRESS);
    flink.pool.intercept({ path: status }).reply(200, CHECKPOINT_COMPLETED);
    flink.pool.intercept({ path: status }).reply(200, CHECKPOINT_FAILED);
    const stats = await flink.client.getCheckpoints(JOB_ID);
    expect(stats.counts).toEqual({ restored: 0, total: 2, in_progress: 0, completed: 2, failed: 0 });
    expect(stats.latest?.savepoint?.external_path).toContain('savepoint-012345');
    expect(stats.latest?.completed).toBeNull();
    expect(stats.history).toHaveLength(1);
    expect(
      await flink.client.triggerCheckpoint(JOB_ID, { triggerId: TRIGGER_ID, checkpointType: 'FULL' }),
    ).toEqual({
      triggerId: TRIGGER_ID,
    });
    expect(sentJson(flink.agent, 1)).toEqual({ triggerId: TRIGGER_ID, checkpointType: 'FULL' });
    expect(await flink.client.getCheckpointStatus(JOB_ID, TRIGGER_ID)).toEqual({ state: 'IN_PROGRESS' });
    expect(await flink.client.getCheckpointStatus(JOB_ID, TRIGGER_ID)).toEqual({
      state: 'COMPLETED',
      checkpointId: 2,
    });
    expect(await flink.client.getCheckpointStatus(JOB_ID, TRIGGER_ID)).toMatchObject({
      state: 'FAILED',
      failure: { message: expect.stringContaining('Checkpoint expired') },
    });
  });

  it('read the checkpoint configuration; a job without a checkpoint coordinator is not found', async () => {
    flink = mockFlink();
    const config = `/jobs/${JOB_ID}/checkpoints/config`;
    // Flink's CheckpointConfigInfo (1.20 and 2.3; the s3-state e2e reads it from both).
    flink.pool.intercept({ path: config }).reply(200, {
      mode: 'exactly_once',
      interval: 2000,
      timeout: 600000,
      min_pause: 0,
      max_concurrent: 1,
      externalization: { enabled: true, delete_on_cancellation: false },
      tolerable_failed_checkpoints: 0,
      unaligned_checkpoints: false,
    });
    flink.pool
      .intercept({ path: config })
      .reply(404, { errors: [`Checkpointing is not enabled for this job (${JOB_ID}).`] });
    expect(await flink.client.getCheckpointConfig(JOB_ID)).toEqual({
      interval: 2000,
      timeout: 600000,
      min_pause: 0,
      max_concurrent: 1,
      tolerable_failed_checkpoints: 0,
    });
    await expect(flink.client.getCheckpointConfig(JOB_ID)).rejects.toBeInstanceOf(FlinkNotFoundError);
  });

  it('dispose a savepoint and read the disposal status', async () => {
    flink = mockFlink();
    flink.pool
      .intercept({ path: '/savepoint-disposal', method: 'POST' })
      .reply(200, { 'request-id': TRIGGER_ID });
    flink.pool.intercept({ path: `/savepoint-disposal/${TRIGGER_ID}` }).reply(200, IN_PROGRESS);
    flink.pool
      .intercept({ path: `/savepoint-disposal/${TRIGGER_ID}` })
      .reply(200, { status: { id: 'COMPLETED' } });
    flink.pool.intercept({ path: `/savepoint-disposal/${TRIGGER_ID}` }).reply(200, SAVEPOINT_FAILED_JOB_GONE);
    expect(await flink.client.disposeSavepoint('file:/sp/1')).toEqual({ triggerId: TRIGGER_ID });
    expect(sentJson(flink.agent, 0)).toEqual({ 'savepoint-path': 'file:/sp/1' });
    expect(await flink.client.getSavepointDisposalStatus(TRIGGER_ID)).toEqual({ state: 'IN_PROGRESS' });
    expect(await flink.client.getSavepointDisposalStatus(TRIGGER_ID)).toEqual({ state: 'COMPLETED' });
    expect((await flink.client.getSavepointDisposalStatus(TRIGGER_ID)).state).toBe('FAILED');
  });
});

describe('resource requirements', () => {
  it('get and put per-vertex parallelism bounds', async () => {
    flink = mockFlink();
    const path = `/jobs/${JOB_ID}/resource-requirements`;
    flink.pool.intercept({ path }).reply(200, RESOURCE_REQUIREMENTS);
    flink.pool.intercept({ path, method: 'PUT' }).reply(200, {});
    const req = await flink.client.getResourceRequirements(JOB_ID);
    expect(req).toEqual(RESOURCE_REQUIREMENTS);
    const doubled = Object.fromEntries(
      Object.keys(req).map((v) => [v, { parallelism: { lowerBound: 1, upperBound: 2 } }]),
    );
    await flink.client.updateResourceRequirements(JOB_ID, doubled);
    expect(sentJson(flink.agent, 1)).toEqual(doubled);
  });

  it('are refused before 1.18 without a request', async () => {
    flink = mockFlink({ version: '1.17.2' });
    await expect(flink.client.getResourceRequirements(JOB_ID)).rejects.toBeInstanceOf(FlinkUnsupportedError);
    await expect(
      flink.client.updateResourceRequirements(JOB_ID, {
        v: { parallelism: { lowerBound: 1, upperBound: 1 } },
      }),
    ).rejects.toBeInstanceOf(FlinkUnsupportedError);
    expect(flink.agent.getCallHistory()?.calls()).toHaveLength(0);
  });
});

describe('every call', () => {
  it('can be cancelled with an AbortSignal', async () => {
    flink = mockFlink();
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    const calls = [
      flink.client.getOverview({ signal: ac.signal }),
      flink.client.listJobs({ signal: ac.signal }),
      flink.client.triggerSavepoint(JOB_ID, { triggerId: TRIGGER_ID }, { signal: ac.signal }),
      flink.client.runJar(JAR_ID, { jobId: JOB_ID }, { signal: ac.signal }),
      flink.client.getJobExceptions(JOB_ID, { signal: ac.signal }),
    ];
    for (const call of calls) await expect(call).rejects.toBe(reason);
    expect(flink.agent.getCallHistory()?.calls()).toHaveLength(0);
  });
});
