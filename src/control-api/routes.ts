import { FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB } from '../api/names.ts';

/**
 * The route table of the control API: every route of the toolbox (docs/rules.md §7) under
 * `/api/v1`, with what it needs to be authorized (the SubjectAccessReview attributes), what body it
 * takes and what it answers. The server, the authorizer and the OpenAPI document read this table;
 * the handlers are keyed by `operationId`, so a route without a handler does not compile.
 */

export const API_PREFIX = '/api/v1';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type PathParam = 'deployment' | 'cluster' | 'job' | 'taskmanager' | 'savepoint';
export type Verb = 'get' | 'list' | 'create' | 'patch' | 'update' | 'delete';
export type Plural = typeof FLINK_DEPLOYMENT.plural | typeof FLINK_CLUSTER.plural | typeof FLINK_JOB.plural;

/**
 * The Kubernetes permission a route needs, checked with a SubjectAccessReview for the caller:
 * the same verb and resource the caller would need to do the same with kubectl.
 */
export interface AuthorizationRule {
  readonly verb: Verb;
  readonly resource: Plural;
  readonly subresource?: 'scale';
  /**
   * The path parameter naming the object: `job` means the FlinkJob the route resolves
   * (`<cluster>-<job>`, else a job of the cluster named `<job>`). None for list and create, as
   * the API server itself checks them.
   */
  readonly object: 'deployment' | 'cluster' | 'job' | 'none';
}

/** What the request body is; the server parses and validates it before the handler runs. */
export type BodyKind =
  /** No body is read. */
  | 'none'
  /** A resource spec, as a JSON object (POST: the whole spec; PUT: a JSON merge patch of it). */
  | 'spec'
  /** `{ "withoutSavepoint": boolean }`, optional (default false); an empty body is `{}`. */
  | 'startStop'
  /** `{ "taskManagers": integer }`. */
  | 'clusterScale'
  /** `{ "parallelism": integer }`. */
  | 'jobScale'
  /** Nothing, or `{}`. */
  | 'empty';

/** Names of response schemas in the OpenAPI document (components.schemas). */
export type ResponseSchema =
  | 'DeploymentList'
  | 'ClusterList'
  | 'JobList'
  | 'SavepointList'
  | 'Savepoint'
  | 'ResourceStatus'
  | 'ResourceRef'
  | 'ActionAccepted'
  | 'ClusterScale'
  | 'JobScale'
  | 'PauseChange'
  | 'FlinkJobDetails'
  | 'JobStats'
  | 'JobManagerStats'
  | 'TaskManagerList'
  | 'FlinkTaskManagerDetails'
  | 'TaskManagerStats'
  | 'OpenApiDocument';

export interface RouteDefinition {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** Below API_PREFIX, with `{param}` segments. */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  /** `authenticated`: any caller with a valid token (the OpenAPI document, like API discovery). */
  readonly authorization: AuthorizationRule | 'authenticated';
  readonly body: BodyKind;
  /** The spec schema a `spec` body follows. */
  readonly spec?: 'FlinkDeploymentSpec' | 'FlinkClusterSpec' | 'FlinkJobSpec';
  readonly success: { readonly status: 200 | 201 | 202; readonly schema: ResponseSchema };
  /** Statuses this route answers besides the ones every route may (401, 403, 500, 503). */
  readonly errors: readonly number[];
  /** The route talks to the cluster's JobManager. */
  readonly flinkProxy?: true;
}

const fd = FLINK_DEPLOYMENT.plural;
const fc = FLINK_CLUSTER.plural;
const fj = FLINK_JOB.plural;
const FLINK_ERRORS = [404, 502, 503, 504] as const;

export const ROUTES = [
  // ---- deployments
  {
    operationId: 'listDeployments',
    method: 'GET',
    path: '/deployments',
    tag: 'deployments',
    summary: 'FlinkDeployments of the namespace, with their status in brief',
    authorization: { verb: 'list', resource: fd, object: 'none' },
    body: 'none',
    success: { status: 200, schema: 'DeploymentList' },
    errors: [404],
  },
  {
    operationId: 'getDeploymentStatus',
    method: 'GET',
    path: '/deployments/{deployment}/status',
    tag: 'deployments',
    summary: 'Status of a FlinkDeployment',
    authorization: { verb: 'get', resource: fd, object: 'deployment' },
    body: 'none',
    success: { status: 200, schema: 'ResourceStatus' },
    errors: [404],
  },
  {
    operationId: 'createDeployment',
    method: 'POST',
    path: '/deployments/{deployment}',
    tag: 'deployments',
    summary: 'Create a FlinkDeployment from its spec',
    authorization: { verb: 'create', resource: fd, object: 'none' },
    body: 'spec',
    spec: 'FlinkDeploymentSpec',
    success: { status: 201, schema: 'ResourceRef' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'updateDeployment',
    method: 'PUT',
    path: '/deployments/{deployment}',
    tag: 'deployments',
    summary: 'Change a FlinkDeployment: the body is a JSON merge patch of its spec',
    authorization: { verb: 'patch', resource: fd, object: 'deployment' },
    body: 'spec',
    spec: 'FlinkDeploymentSpec',
    success: { status: 200, schema: 'ResourceRef' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'deleteDeployment',
    method: 'DELETE',
    path: '/deployments/{deployment}',
    tag: 'deployments',
    summary: 'Delete a FlinkDeployment (its cluster and jobs stop and go away)',
    authorization: { verb: 'delete', resource: fd, object: 'deployment' },
    body: 'none',
    success: { status: 202, schema: 'ResourceRef' },
    errors: [404],
  },
  {
    operationId: 'pauseDeployment',
    method: 'PUT',
    path: '/deployments/{deployment}/pause',
    tag: 'deployments',
    summary:
      'Pause reconciliation of a FlinkDeployment and its children: set the annotation flinkvisor.io/paused (ADR 0019)',
    authorization: { verb: 'patch', resource: fd, object: 'deployment' },
    body: 'empty',
    success: { status: 200, schema: 'PauseChange' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'resumeDeployment',
    method: 'PUT',
    path: '/deployments/{deployment}/resume',
    tag: 'deployments',
    summary:
      'Resume reconciliation of a FlinkDeployment and its children: remove the annotation flinkvisor.io/paused',
    authorization: { verb: 'patch', resource: fd, object: 'deployment' },
    body: 'empty',
    success: { status: 200, schema: 'PauseChange' },
    errors: [400, 404, 409, 413, 415],
  },
  // ---- clusters
  {
    operationId: 'listClusters',
    method: 'GET',
    path: '/clusters',
    tag: 'clusters',
    summary: 'FlinkClusters of the namespace, with their status in brief',
    authorization: { verb: 'list', resource: fc, object: 'none' },
    body: 'none',
    success: { status: 200, schema: 'ClusterList' },
    errors: [404],
  },
  {
    operationId: 'getClusterStatus',
    method: 'GET',
    path: '/clusters/{cluster}/status',
    tag: 'clusters',
    summary: 'Status of a FlinkCluster',
    authorization: { verb: 'get', resource: fc, object: 'cluster' },
    body: 'none',
    success: { status: 200, schema: 'ResourceStatus' },
    errors: [404],
  },
  {
    operationId: 'createCluster',
    method: 'POST',
    path: '/clusters/{cluster}',
    tag: 'clusters',
    summary: 'Create a FlinkCluster from its spec',
    authorization: { verb: 'create', resource: fc, object: 'none' },
    body: 'spec',
    spec: 'FlinkClusterSpec',
    success: { status: 201, schema: 'ResourceRef' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'updateCluster',
    method: 'PUT',
    path: '/clusters/{cluster}',
    tag: 'clusters',
    summary: 'Change a FlinkCluster: the body is a JSON merge patch of its spec',
    authorization: { verb: 'patch', resource: fc, object: 'cluster' },
    body: 'spec',
    spec: 'FlinkClusterSpec',
    success: { status: 200, schema: 'ResourceRef' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'deleteCluster',
    method: 'DELETE',
    path: '/clusters/{cluster}',
    tag: 'clusters',
    summary: 'Delete a FlinkCluster (its jobs stop, its pods go away)',
    authorization: { verb: 'delete', resource: fc, object: 'cluster' },
    body: 'none',
    success: { status: 202, schema: 'ResourceRef' },
    errors: [404],
  },
  {
    operationId: 'startCluster',
    method: 'PUT',
    path: '/clusters/{cluster}/start',
    tag: 'clusters',
    summary: 'Ask the supervisor to start the cluster (requested-action START)',
    authorization: { verb: 'patch', resource: fc, object: 'cluster' },
    body: 'startStop',
    success: { status: 202, schema: 'ActionAccepted' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'stopCluster',
    method: 'PUT',
    path: '/clusters/{cluster}/stop',
    tag: 'clusters',
    summary: 'Ask the supervisor to stop the cluster and its jobs (requested-action STOP)',
    authorization: { verb: 'patch', resource: fc, object: 'cluster' },
    body: 'startStop',
    success: { status: 202, schema: 'ActionAccepted' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'scaleCluster',
    method: 'PUT',
    path: '/clusters/{cluster}/scale',
    tag: 'clusters',
    summary: 'Set spec.taskManagers through the scale subresource',
    authorization: { verb: 'update', resource: fc, subresource: 'scale', object: 'cluster' },
    body: 'clusterScale',
    success: { status: 200, schema: 'ClusterScale' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'pauseCluster',
    method: 'PUT',
    path: '/clusters/{cluster}/pause',
    tag: 'clusters',
    summary:
      'Pause reconciliation of a FlinkCluster and its jobs: set the annotation flinkvisor.io/paused (ADR 0019)',
    authorization: { verb: 'patch', resource: fc, object: 'cluster' },
    body: 'empty',
    success: { status: 200, schema: 'PauseChange' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'resumeCluster',
    method: 'PUT',
    path: '/clusters/{cluster}/resume',
    tag: 'clusters',
    summary:
      'Resume reconciliation of a FlinkCluster and its jobs: remove the annotation flinkvisor.io/paused',
    authorization: { verb: 'patch', resource: fc, object: 'cluster' },
    body: 'empty',
    success: { status: 200, schema: 'PauseChange' },
    errors: [400, 404, 409, 413, 415],
  },
  // ---- jobs
  {
    operationId: 'listJobs',
    method: 'GET',
    path: '/clusters/{cluster}/jobs',
    tag: 'jobs',
    summary: 'FlinkJobs of the cluster (spec.clusterName), with their status in brief',
    authorization: { verb: 'list', resource: fj, object: 'none' },
    body: 'none',
    success: { status: 200, schema: 'JobList' },
    errors: [404],
  },
  {
    operationId: 'createJob',
    method: 'POST',
    path: '/clusters/{cluster}/jobs/{job}',
    tag: 'jobs',
    summary: 'Create the FlinkJob <cluster>-<job> from its spec; spec.clusterName is set to the cluster',
    authorization: { verb: 'create', resource: fj, object: 'none' },
    body: 'spec',
    spec: 'FlinkJobSpec',
    success: { status: 201, schema: 'ResourceRef' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'updateJob',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}',
    tag: 'jobs',
    summary: 'Change a FlinkJob: the body is a JSON merge patch of its spec',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'spec',
    spec: 'FlinkJobSpec',
    success: { status: 200, schema: 'ResourceRef' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'deleteJob',
    method: 'DELETE',
    path: '/clusters/{cluster}/jobs/{job}',
    tag: 'jobs',
    summary: 'Delete a FlinkJob (its Flink job is cancelled)',
    authorization: { verb: 'delete', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 202, schema: 'ResourceRef' },
    errors: [404],
  },
  {
    operationId: 'getJobStatus',
    method: 'GET',
    path: '/clusters/{cluster}/jobs/{job}/status',
    tag: 'jobs',
    summary: 'Status of a FlinkJob',
    authorization: { verb: 'get', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 200, schema: 'ResourceStatus' },
    errors: [404],
  },
  {
    operationId: 'getJobDetails',
    method: 'GET',
    path: '/clusters/{cluster}/jobs/{job}/details',
    tag: 'jobs',
    summary: "The running Flink job's details (Flink GET /jobs/{jobId})",
    authorization: { verb: 'get', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 200, schema: 'FlinkJobDetails' },
    errors: FLINK_ERRORS,
    flinkProxy: true,
  },
  {
    operationId: 'getJobMetrics',
    method: 'GET',
    path: '/clusters/{cluster}/jobs/{job}/metrics',
    tag: 'jobs',
    summary: "The running Flink job's checkpoint and restart metrics (Flink GET /jobs/{jobId}/metrics)",
    authorization: { verb: 'get', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 200, schema: 'JobStats' },
    errors: FLINK_ERRORS,
    flinkProxy: true,
  },
  {
    operationId: 'startJob',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}/start',
    tag: 'jobs',
    summary: 'Ask the supervisor to start the job (requested-action START)',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'startStop',
    success: { status: 202, schema: 'ActionAccepted' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'stopJob',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}/stop',
    tag: 'jobs',
    summary: 'Ask the supervisor to stop the job (requested-action STOP)',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'startStop',
    success: { status: 202, schema: 'ActionAccepted' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'scaleJob',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}/scale',
    tag: 'jobs',
    summary: 'Set spec.jobParallelism through the scale subresource',
    authorization: { verb: 'update', resource: fj, subresource: 'scale', object: 'job' },
    body: 'jobScale',
    success: { status: 200, schema: 'JobScale' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'pauseJob',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}/pause',
    tag: 'jobs',
    summary: 'Pause reconciliation of a FlinkJob: set the annotation flinkvisor.io/paused (ADR 0019)',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'empty',
    success: { status: 200, schema: 'PauseChange' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'resumeJob',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}/resume',
    tag: 'jobs',
    summary: 'Resume reconciliation of a FlinkJob: remove the annotation flinkvisor.io/paused',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'empty',
    success: { status: 200, schema: 'PauseChange' },
    errors: [400, 404, 409, 413, 415],
  },
  // ---- savepoints
  {
    operationId: 'triggerSavepoint',
    method: 'PUT',
    path: '/clusters/{cluster}/jobs/{job}/savepoint',
    tag: 'savepoints',
    summary: 'Ask the supervisor for a savepoint of the running job (requested-action TRIGGER_SAVEPOINT)',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'empty',
    success: { status: 202, schema: 'ActionAccepted' },
    errors: [400, 404, 409, 413, 415],
  },
  {
    operationId: 'forgetSavepoint',
    method: 'DELETE',
    path: '/clusters/{cluster}/jobs/{job}/savepoint',
    tag: 'savepoints',
    summary: 'Ask the supervisor to forget the latest savepoint (requested-action FORGET_SAVEPOINT)',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 202, schema: 'ActionAccepted' },
    errors: [404, 409],
  },
  // The FlinkSavepoints of a job (ADR 0015); reading them is reading the job, disposing one is
  // acting on the job, as for the savepoint actions above.
  {
    operationId: 'listSavepoints',
    method: 'GET',
    path: '/clusters/{cluster}/jobs/{job}/savepoints',
    tag: 'savepoints',
    summary: 'The FlinkSavepoints of the job, newest first',
    authorization: { verb: 'get', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 200, schema: 'SavepointList' },
    errors: [404],
  },
  {
    operationId: 'getSavepoint',
    method: 'GET',
    path: '/clusters/{cluster}/jobs/{job}/savepoints/{savepoint}',
    tag: 'savepoints',
    summary: 'One FlinkSavepoint of the job',
    authorization: { verb: 'get', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 200, schema: 'Savepoint' },
    errors: [404],
  },
  {
    operationId: 'disposeSavepoint',
    method: 'DELETE',
    path: '/clusters/{cluster}/jobs/{job}/savepoints/{savepoint}',
    tag: 'savepoints',
    summary:
      'Ask the supervisor to dispose of a savepoint (spec.dispose): its files go through the JobManager, then the record',
    authorization: { verb: 'patch', resource: fj, object: 'job' },
    body: 'none',
    success: { status: 202, schema: 'ResourceRef' },
    errors: [404, 409],
  },
  // ---- JobManager and TaskManagers (Flink proxies)
  {
    operationId: 'getJobManagerMetrics',
    method: 'GET',
    path: '/clusters/{cluster}/jobmanager/metrics',
    tag: 'jobmanager',
    summary: 'JVM, slot and job metrics of the JobManager (Flink GET /jobmanager/metrics)',
    authorization: { verb: 'get', resource: fc, object: 'cluster' },
    body: 'none',
    success: { status: 200, schema: 'JobManagerStats' },
    errors: FLINK_ERRORS,
    flinkProxy: true,
  },
  {
    operationId: 'listTaskManagers',
    method: 'GET',
    path: '/clusters/{cluster}/taskmanagers',
    tag: 'taskmanagers',
    summary: 'TaskManagers registered with the JobManager (Flink GET /taskmanagers)',
    authorization: { verb: 'get', resource: fc, object: 'cluster' },
    body: 'none',
    success: { status: 200, schema: 'TaskManagerList' },
    errors: FLINK_ERRORS,
    flinkProxy: true,
  },
  {
    operationId: 'getTaskManagerDetails',
    method: 'GET',
    path: '/clusters/{cluster}/taskmanagers/{taskmanager}/details',
    tag: 'taskmanagers',
    summary: 'One TaskManager (Flink GET /taskmanagers/{id})',
    authorization: { verb: 'get', resource: fc, object: 'cluster' },
    body: 'none',
    success: { status: 200, schema: 'FlinkTaskManagerDetails' },
    errors: FLINK_ERRORS,
    flinkProxy: true,
  },
  {
    operationId: 'getTaskManagerMetrics',
    method: 'GET',
    path: '/clusters/{cluster}/taskmanagers/{taskmanager}/metrics',
    tag: 'taskmanagers',
    summary: 'JVM and memory metrics of one TaskManager (Flink GET /taskmanagers/{id}/metrics)',
    authorization: { verb: 'get', resource: fc, object: 'cluster' },
    body: 'none',
    success: { status: 200, schema: 'TaskManagerStats' },
    errors: FLINK_ERRORS,
    flinkProxy: true,
  },
  // ---- the API itself
  {
    operationId: 'getOpenApi',
    method: 'GET',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This document',
    authorization: 'authenticated',
    body: 'none',
    success: { status: 200, schema: 'OpenApiDocument' },
    errors: [],
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof ROUTES)[number];
export type OperationId = Route['operationId'];
