import type { z } from 'zod';
import type {
  FlinkRestClientOptions,
  CallOptions,
  UploadJarOptions,
  UploadedJar,
  RunJarResult,
  CancelOutcome,
  DeleteJarOutcome,
  TriggeredOperation,
  JobExceptions,
  AggregatedMetricsQuery,
} from './client-types.ts';
import {
  FlinkConflictError,
  FlinkInvalidResponseError,
  FlinkJobAlreadySubmittedError,
  FlinkNotFoundError,
  FlinkUnsupportedError,
  type FlinkRequestContext,
} from './errors.ts';
import { FlinkHttpTransport, type FlinkTransportRequest, type HttpMethod } from './http-transport.ts';
import { assertFlinkId, type FlinkId } from './ids.ts';
import { exceptionHistoryOf } from './job-exceptions.ts';
import { jarIdFromUploadPath, jarUploadBody } from './jar-upload.ts';
import { abortable } from './abortable.ts';
import {
  interpretOperation,
  type CheckpointStatus,
  type DisposalStatus,
  type SavepointStatus,
} from './operation-status.ts';
import {
  checkpointBody,
  resourceRequirementsBody,
  runJarBody,
  savepointBody,
  savepointDisposalBody,
  stopWithSavepointBody,
  type CheckpointRequest,
  type ResourceRequirements,
  type RunJarRequest,
  type SavepointRequest,
  type StopWithSavepointRequest,
} from './request-bodies.ts';
import {
  aggregatedMetricsSchema,
  asyncOperationSchema,
  checkpointConfigSchema,
  checkpointingStatisticsSchema,
  clusterOverviewSchema,
  configEntriesSchema,
  dashboardConfigSchema,
  jarListSchema,
  jarRunSchema,
  jarUploadSchema,
  jobDetailsSchema,
  jobExceptionsSchema,
  jobsOverviewSchema,
  jobsSchema,
  jobStatusResponseSchema,
  metricsSchema,
  resourceRequirementsSchema,
  subtaskMetricsSchema,
  taskManagerDetailsSchema,
  taskManagersSchema,
  triggerResponseSchema,
  type FlinkAggregatedMetric,
  type FlinkCheckpointConfig,
  type FlinkCheckpointingStatistics,
  type FlinkClusterOverview,
  type FlinkDashboardConfig,
  type FlinkJar,
  type FlinkJobDetails,
  type FlinkJobIdWithStatus,
  type FlinkJobOverview,
  type FlinkJobStatus,
  type FlinkMetric,
  type FlinkSubtaskMetric,
  type FlinkTaskManager,
  type FlinkTaskManagerDetails,
} from './schemas.ts';
import {
  capabilitiesOf,
  formatFlinkVersion,
  isSupportedVersion,
  OLDEST_SUPPORTED,
  parseFlinkVersion,
  type FlinkCapabilities,
  type FlinkVersion,
} from './version.ts';

/**
 * A typed client for the Flink JobManager REST API (1.17 to 2.3), for the supervisor and the bootstrap.
 *
 * - Transport, clocks, retries and error mapping: http-transport.ts and errors.ts. Reads retry on
 *   their own; writes never repeat blindly.
 * - Writes that must not happen twice take a caller-chosen id: `runJar` a job id, savepoint, stop and
 *   checkpoint triggers a trigger id. Repeating the call with the same id is safe at any time and
 *   maps to the same job or operation (`already-submitted`, the same trigger id).
 * - The Flink version is read once (`GET /config`) and shapes every request body.
 * - Every method takes `{ signal }` to cancel it.
 */

const DEFAULT_UPLOAD_TIMEOUT_MS = 10 * 60_000;

const enc = encodeURIComponent;

function joinNames(names: readonly string[] | undefined): string | undefined {
  return names && names.length > 0 ? names.join(',') : undefined;
}

export class FlinkRestClient {
  readonly #http: FlinkHttpTransport;
  readonly #uploadTimeoutMs: number;
  #capabilities: Promise<FlinkCapabilities> | undefined;

  constructor(options: FlinkRestClientOptions) {
    this.#http = new FlinkHttpTransport(options);
    this.#uploadTimeoutMs = options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
    if (options.flinkVersion !== undefined) {
      this.#capabilities = Promise.resolve(FlinkRestClient.#capabilitiesFor(options.flinkVersion));
    }
  }

  get origin(): string {
    return this.#http.origin;
  }

  // ---- version ------------------------------------------------------------------------------

  /** What the connected Flink accepts; `GET /config` once per client (again only after a failure). */
  async capabilities(call: CallOptions = {}): Promise<FlinkCapabilities> {
    if (!this.#capabilities) {
      const detection = this.getConfig().then((c) => FlinkRestClient.#capabilitiesFor(c['flink-version']));
      this.#capabilities = detection;
      detection.catch(() => {
        if (this.#capabilities === detection) this.#capabilities = undefined;
      });
    }
    // Detection is shared, so one caller's abort must not cancel it for the others.
    return abortable(this.#capabilities, call.signal);
  }

  async flinkVersion(call: CallOptions = {}): Promise<FlinkVersion> {
    return (await this.capabilities(call)).version;
  }

  static #capabilitiesFor(raw: string): FlinkCapabilities {
    const version = parseFlinkVersion(raw);
    if (!version) throw new FlinkInvalidResponseError(`cannot read the Flink version ${JSON.stringify(raw)}`);
    if (!isSupportedVersion(version)) {
      throw new FlinkUnsupportedError(
        `Flink ${formatFlinkVersion(version)} is older than ${formatFlinkVersion(OLDEST_SUPPORTED)}, the oldest this client supports`,
      );
    }
    return capabilitiesOf(version);
  }

  // ---- cluster ------------------------------------------------------------------------------

  /** `GET /config`: the web UI's configuration, which carries the Flink version. */
  async getConfig(call: CallOptions = {}): Promise<FlinkDashboardConfig> {
    return this.#get(dashboardConfigSchema, '/config', '/config', call);
  }

  /** `GET /overview`: TaskManagers, slots, job counts. */
  async getOverview(call: CallOptions = {}): Promise<FlinkClusterOverview> {
    return this.#get(clusterOverviewSchema, '/overview', '/overview', call);
  }

  /** `GET /jobmanager/config` as a key → value map. */
  async getJobManagerConfig(call: CallOptions = {}): Promise<Record<string, string>> {
    const entries = await this.#get(configEntriesSchema, '/jobmanager/config', '/jobmanager/config', call);
    return Object.fromEntries(entries.map((e) => [e.key, e.value]));
  }

  /** `GET /jobmanager/metrics[?get=…]`: without names, the ids of the available metrics only. */
  async getJobManagerMetrics(names?: readonly string[], call: CallOptions = {}): Promise<FlinkMetric[]> {
    return this.#get(metricsSchema, '/jobmanager/metrics', '/jobmanager/metrics', call, {
      get: joinNames(names),
    });
  }

  // ---- TaskManagers -------------------------------------------------------------------------

  async listTaskManagers(call: CallOptions = {}): Promise<FlinkTaskManager[]> {
    return (await this.#get(taskManagersSchema, '/taskmanagers', '/taskmanagers', call)).taskmanagers;
  }

  /** `GET /taskmanagers/:id`; an unknown id is `FlinkNotFoundError` (Flink answers 500 for it). */
  async getTaskManager(taskManagerId: string, call: CallOptions = {}): Promise<FlinkTaskManagerDetails> {
    return this.#get(
      taskManagerDetailsSchema,
      '/taskmanagers/:taskmanagerid',
      `/taskmanagers/${enc(taskManagerId)}`,
      call,
    );
  }

  async getTaskManagerMetrics(
    taskManagerId: string,
    names?: readonly string[],
    call: CallOptions = {},
  ): Promise<FlinkMetric[]> {
    return this.#get(
      metricsSchema,
      '/taskmanagers/:taskmanagerid/metrics',
      `/taskmanagers/${enc(taskManagerId)}/metrics`,
      call,
      { get: joinNames(names) },
    );
  }

  /** `GET /taskmanagers/metrics`: metrics aggregated over all (or the named) TaskManagers. */
  async getAggregatedTaskManagerMetrics(
    query: AggregatedMetricsQuery,
    call: CallOptions = {},
  ): Promise<FlinkAggregatedMetric[]> {
    return this.#get(aggregatedMetricsSchema, '/taskmanagers/metrics', '/taskmanagers/metrics', call, {
      get: joinNames(query.metrics),
      agg: joinNames(query.aggregations),
      taskmanagers: joinNames(query.taskManagers),
    });
  }

  // ---- jars ---------------------------------------------------------------------------------

  /**
   * `POST /jars/upload`, streamed from disk. Not repeated once bytes went out; uploading again is
   * harmless (another copy under a new id), so callers may retry it themselves.
   */
  async uploadJar(path: string, options: UploadJarOptions = {}): Promise<UploadedJar> {
    const multipart = await jarUploadBody(
      path,
      options.fileName === undefined ? {} : { fileName: options.fileName },
    );
    const data = await this.#send(jarUploadSchema, {
      method: 'POST',
      route: '/jars/upload',
      path: '/jars/upload',
      multipart,
      signal: options.signal,
      requestTimeoutMs: this.#uploadTimeoutMs,
    });
    return { jarId: jarIdFromUploadPath(data.filename), path: data.filename };
  }

  async listJars(call: CallOptions = {}): Promise<FlinkJar[]> {
    return (await this.#get(jarListSchema, '/jars', '/jars', call)).files;
  }

  /**
   * `POST /jars/:jarid/run` with the caller's job id. A job id this cluster already knows, running or
   * terminated, gives `already-submitted` and starts nothing: that is how a repeat after a crash is
   * recognised. A jar the JobManager no longer has is `FlinkNotFoundError` (upload it again).
   */
  async runJar(jarId: string, request: RunJarRequest, call: CallOptions = {}): Promise<RunJarResult> {
    const caps = await this.capabilities(call);
    const json = runJarBody(caps, request);
    try {
      const data = await this.#send(jarRunSchema, {
        method: 'POST',
        route: '/jars/:jarid/run',
        path: `/jars/${enc(jarId)}/run`,
        json,
        signal: call.signal,
      });
      return {
        jobId: data.jobid,
        outcome: 'submitted',
        ...(data.applicationId === undefined ? {} : { applicationId: data.applicationId }),
      };
    } catch (err) {
      if (err instanceof FlinkJobAlreadySubmittedError)
        return { jobId: request.jobId, outcome: 'already-submitted' };
      throw err;
    }
  }

  /** `DELETE /jars/:jarid`; a jar that is already gone is `not-found`, not an error. */
  async deleteJar(jarId: string, call: CallOptions = {}): Promise<DeleteJarOutcome> {
    try {
      await this.#send(undefined, {
        method: 'DELETE',
        route: '/jars/:jarid',
        path: `/jars/${enc(jarId)}`,
        signal: call.signal,
      });
      return 'deleted';
    } catch (err) {
      if (err instanceof FlinkNotFoundError) return 'not-found';
      throw err;
    }
  }

  // ---- jobs ---------------------------------------------------------------------------------

  /** `GET /jobs`: ids and states of every job this cluster knows. */
  async listJobs(call: CallOptions = {}): Promise<FlinkJobIdWithStatus[]> {
    return (await this.#get(jobsSchema, '/jobs', '/jobs', call)).jobs;
  }

  /** `GET /jobs/overview`: names, states, times and task counts. */
  async listJobOverviews(call: CallOptions = {}): Promise<FlinkJobOverview[]> {
    return (await this.#get(jobsOverviewSchema, '/jobs/overview', '/jobs/overview', call)).jobs;
  }

  async getJob(jobId: FlinkId, call: CallOptions = {}): Promise<FlinkJobDetails> {
    return this.#get(jobDetailsSchema, '/jobs/:jobid', `/jobs/${assertFlinkId(jobId, 'jobId')}`, call);
  }

  async getJobStatus(jobId: FlinkId, call: CallOptions = {}): Promise<FlinkJobStatus> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/status`;
    return (await this.#get(jobStatusResponseSchema, '/jobs/:jobid/status', path, call)).status;
  }

  /** `PATCH /jobs/:jobid?mode=cancel`; safe to repeat (see CancelOutcome). */
  async cancelJob(jobId: FlinkId, call: CallOptions = {}): Promise<CancelOutcome> {
    try {
      await this.#send(undefined, {
        method: 'PATCH',
        route: '/jobs/:jobid',
        path: `/jobs/${assertFlinkId(jobId, 'jobId')}`,
        query: { mode: 'cancel' },
        signal: call.signal,
      });
      return 'cancellation-requested';
    } catch (err) {
      if (err instanceof FlinkConflictError) return 'already-terminal';
      throw err;
    }
  }

  /** `POST /jobs/:jobid/stop`: stop with a savepoint; poll it with `getSavepointStatus`. */
  async stopJobWithSavepoint(
    jobId: FlinkId,
    request: StopWithSavepointRequest,
    call: CallOptions = {},
  ): Promise<TriggeredOperation> {
    const caps = await this.capabilities(call);
    return this.#trigger('/jobs/:jobid/stop', `/jobs/${assertFlinkId(jobId, 'jobId')}/stop`, {
      json: stopWithSavepointBody(caps, request),
      signal: call.signal,
    });
  }

  /** `POST /jobs/:jobid/savepoints`. A repeat with the same trigger id joins the same savepoint. */
  async triggerSavepoint(
    jobId: FlinkId,
    request: SavepointRequest,
    call: CallOptions = {},
  ): Promise<TriggeredOperation> {
    const caps = await this.capabilities(call);
    return this.#trigger('/jobs/:jobid/savepoints', `/jobs/${assertFlinkId(jobId, 'jobId')}/savepoints`, {
      json: savepointBody(caps, request),
      signal: call.signal,
    });
  }

  /**
   * `GET /jobs/:jobid/savepoints/:triggerid`, for savepoints and stop-with-savepoint alike. Flink
   * forgets finished operations after `rest.async.store-duration` (5 min by default) and on JobManager
   * restart; then this is `FlinkNotFoundError`.
   */
  async getSavepointStatus(
    jobId: FlinkId,
    triggerId: FlinkId,
    call: CallOptions = {},
  ): Promise<SavepointStatus> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/savepoints/${assertFlinkId(triggerId, 'triggerId')}`;
    const route = '/jobs/:jobid/savepoints/:triggerid';
    const result = interpretOperation(await this.#get(asyncOperationSchema, route, path, call));
    if (result.state !== 'COMPLETED') return result;
    const location = result.operation?.location;
    if (!location) {
      throw new FlinkInvalidResponseError(
        'savepoint completed without a location',
        this.#ctx('GET', route, path),
      );
    }
    return { state: 'COMPLETED', location };
  }

  /** `GET /jobs/:jobid/checkpoints`: counts, latest and recent history. */
  async getCheckpoints(jobId: FlinkId, call: CallOptions = {}): Promise<FlinkCheckpointingStatistics> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/checkpoints`;
    return this.#get(checkpointingStatisticsSchema, '/jobs/:jobid/checkpoints', path, call);
  }

  /** `GET /jobs/:jobid/checkpoints/config`: interval, timeout and pause; 404 without a coordinator. */
  async getCheckpointConfig(jobId: FlinkId, call: CallOptions = {}): Promise<FlinkCheckpointConfig> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/checkpoints/config`;
    return this.#get(checkpointConfigSchema, '/jobs/:jobid/checkpoints/config', path, call);
  }

  /** `POST /jobs/:jobid/checkpoints`. A repeat with the same trigger id joins the same checkpoint. */
  async triggerCheckpoint(
    jobId: FlinkId,
    request: CheckpointRequest,
    call: CallOptions = {},
  ): Promise<TriggeredOperation> {
    const caps = await this.capabilities(call);
    return this.#trigger('/jobs/:jobid/checkpoints', `/jobs/${assertFlinkId(jobId, 'jobId')}/checkpoints`, {
      json: checkpointBody(caps, request),
      signal: call.signal,
    });
  }

  async getCheckpointStatus(
    jobId: FlinkId,
    triggerId: FlinkId,
    call: CallOptions = {},
  ): Promise<CheckpointStatus> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/checkpoints/${assertFlinkId(triggerId, 'triggerId')}`;
    const route = '/jobs/:jobid/checkpoints/:triggerid';
    const result = interpretOperation(await this.#get(asyncOperationSchema, route, path, call));
    if (result.state !== 'COMPLETED') return result;
    const checkpointId = result.operation?.checkpointId;
    if (checkpointId === undefined) {
      throw new FlinkInvalidResponseError(
        'checkpoint completed without an id',
        this.#ctx('GET', route, path),
      );
    }
    return { state: 'COMPLETED', checkpointId };
  }

  /** `GET /jobs/:jobid/exceptions` as the exception history (both 1.x and 2.x carry it). */
  async getJobExceptions(
    jobId: FlinkId,
    options: CallOptions & { readonly maxExceptions?: number } = {},
  ): Promise<JobExceptions> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/exceptions`;
    const data = await this.#get(jobExceptionsSchema, '/jobs/:jobid/exceptions', path, options, {
      maxExceptions: options.maxExceptions,
    });
    return exceptionHistoryOf(data);
  }

  async getJobMetrics(
    jobId: FlinkId,
    names?: readonly string[],
    call: CallOptions = {},
  ): Promise<FlinkMetric[]> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/metrics`;
    return this.#get(metricsSchema, '/jobs/:jobid/metrics', path, call, { get: joinNames(names) });
  }

  /**
   * `GET /jobs/:jobid/vertices/:vertexid/subtasks/metrics`: the named metrics of a vertex aggregated
   * over its subtasks (all aggregations when none are named); without names, the ids it has.
   */
  async getSubtaskMetrics(
    jobId: FlinkId,
    vertexId: string,
    query: { metrics?: readonly string[]; aggregations?: readonly ('min' | 'max' | 'sum' | 'avg')[] },
    call: CallOptions = {},
  ): Promise<FlinkSubtaskMetric[]> {
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/vertices/${assertFlinkId(vertexId, 'vertexId')}/subtasks/metrics`;
    return this.#get(subtaskMetricsSchema, '/jobs/:jobid/vertices/:vertexid/subtasks/metrics', path, call, {
      get: joinNames(query.metrics),
      agg: joinNames(query.aggregations),
    });
  }

  // ---- rescaling (adaptive scheduler) ------------------------------------------------------

  async getResourceRequirements(jobId: FlinkId, call: CallOptions = {}): Promise<ResourceRequirements> {
    await this.#requireResourceRequirements(call);
    const path = `/jobs/${assertFlinkId(jobId, 'jobId')}/resource-requirements`;
    return this.#get(resourceRequirementsSchema, '/jobs/:jobid/resource-requirements', path, call);
  }

  /**
   * `PUT /jobs/:jobid/resource-requirements`: idempotent (it sets, not adds), yet not retried here
   * like every write. Needs `jobmanager.scheduler: adaptive`; other schedulers refuse it.
   */
  async updateResourceRequirements(
    jobId: FlinkId,
    requirements: ResourceRequirements,
    call: CallOptions = {},
  ): Promise<void> {
    const caps = await this.capabilities(call);
    await this.#send(undefined, {
      method: 'PUT',
      route: '/jobs/:jobid/resource-requirements',
      path: `/jobs/${assertFlinkId(jobId, 'jobId')}/resource-requirements`,
      json: resourceRequirementsBody(caps, requirements),
      signal: call.signal,
    });
  }

  // ---- savepoint disposal -------------------------------------------------------------------

  /**
   * `POST /savepoint-disposal`. Flink takes no trigger id here; disposing twice is harmless (the
   * second fails with the savepoint gone), so the caller keeps the returned id to poll.
   */
  async disposeSavepoint(savepointPath: string, call: CallOptions = {}): Promise<TriggeredOperation> {
    return this.#trigger('/savepoint-disposal', '/savepoint-disposal', {
      json: savepointDisposalBody(savepointPath),
      signal: call.signal,
    });
  }

  async getSavepointDisposalStatus(triggerId: FlinkId, call: CallOptions = {}): Promise<DisposalStatus> {
    const path = `/savepoint-disposal/${assertFlinkId(triggerId, 'triggerId')}`;
    const result = interpretOperation(
      await this.#get(asyncOperationSchema, '/savepoint-disposal/:triggerid', path, call),
    );
    return result.state === 'COMPLETED' ? { state: 'COMPLETED' } : result;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  async #requireResourceRequirements(call: CallOptions): Promise<void> {
    const caps = await this.capabilities(call);
    if (!caps.resourceRequirements) {
      throw new FlinkUnsupportedError(
        `resource requirements need Flink 1.18 or later, this is ${formatFlinkVersion(caps.version)}`,
      );
    }
  }

  #ctx(method: HttpMethod, route: string, path: string): { context: FlinkRequestContext } {
    return { context: { method, route, path } };
  }

  async #trigger(
    route: string,
    path: string,
    req: { json: unknown; signal: AbortSignal | undefined },
  ): Promise<TriggeredOperation> {
    const data = await this.#send(triggerResponseSchema, { method: 'POST', route, path, ...req });
    return { triggerId: data['request-id'] };
  }

  #get<S extends z.ZodType>(
    schema: S,
    route: string,
    path: string,
    call: CallOptions,
    query?: FlinkTransportRequest['query'],
  ): Promise<z.output<S>> {
    return this.#send(schema, {
      method: 'GET',
      route,
      path,
      signal: call.signal,
      ...(query === undefined ? {} : { query }),
    });
  }

  async #send<S extends z.ZodType>(schema: S, req: FlinkTransportRequest): Promise<z.output<S>>;
  async #send(schema: undefined, req: FlinkTransportRequest): Promise<unknown>;
  async #send(schema: z.ZodType | undefined, req: FlinkTransportRequest): Promise<unknown> {
    const { body, status } = await this.#http.send(req);
    if (!schema) return body;
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    // Zod's messages name paths and expected types, not values, so nothing of the body leaks here.
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new FlinkInvalidResponseError(`unexpected answer (${issues})`, {
      ...this.#ctx(req.method, req.route, req.path),
      status,
    });
  }
}
