import { z } from 'zod';
import { toStructuralSchema, type JsonSchemaProps } from '../api/crd-schema.ts';
import { flinkClusterSpec } from '../api/flink-cluster.ts';
import { flinkDeploymentSpec } from '../api/flink-deployment.ts';
import { flinkJobSpec } from '../api/flink-job.ts';
import { API_GROUP, DNS_LABEL_PATTERN } from '../api/names.ts';
import { FLINKVISOR_VERSION } from '../version.ts';
import { JOB_MANAGER_STATS_SOURCES, JOB_STATS_SOURCES, TASK_MANAGER_STATS_SOURCES } from './flink-stats.ts';
import { clusterScaleBody, emptyBody, jobScaleBody, startStopBody } from './request-bodies.ts';
import { API_PREFIX, ROUTES, type BodyKind, type PathParam, type RouteDefinition } from './routes.ts';
import { pathParamsOf } from './route-matching.ts';

// The OpenAPI 3.1 document of the control API, built from the route table, the request-body
// schemas and the resource schemas of src/api: it cannot drift from what the server does.

type Schema = Record<string, unknown>;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Invalid request: the body or a name is invalid; `fields` names the offending fields',
  401: 'No credential, a token the Kubernetes API did not accept (TokenReview), or a client certificate the client CA did not sign',
  403: "The caller's RBAC does not allow the action (SubjectAccessReview)",
  404: 'The resource (or the namespace, or the Flink object) does not exist',
  405: 'The path exists, with other methods (see the Allow header)',
  409: 'Conflict: the resource exists already, another action is pending, or it is being deleted',
  413: 'The body is larger than the limit',
  415: 'The body is not JSON',
  500: 'The control API failed (including a missing permission of its own ServiceAccount)',
  502: 'The JobManager or the Kubernetes API answered with a failure',
  503: 'The JobManager or the Kubernetes API could not be reached',
  504: 'The JobManager did not answer in time',
};

const COMMON_ERRORS = [401, 403, 500, 503];

/**
 * What the server accepts in each path parameter (checkParams in control-api-server.ts): the
 * names of Kubernetes objects are DNS labels, a TaskManager id is Flink's, without '/' or blanks.
 * Anything else is a 400 before the request goes further.
 */
const PARAM_SCHEMA: Readonly<Record<PathParam, Schema>> = {
  deployment: { type: 'string', pattern: DNS_LABEL_PATTERN, maxLength: 63 },
  cluster: { type: 'string', pattern: DNS_LABEL_PATTERN, maxLength: 63 },
  job: { type: 'string', pattern: DNS_LABEL_PATTERN, maxLength: 63 },
  taskmanager: { type: 'string', pattern: '^[^/\\s]+$', maxLength: 256 },
  savepoint: { type: 'string', minLength: 1 },
};

/** The namespace query parameter: a DNS label, or empty for the server's default namespace. */
const NAMESPACE_SCHEMA: Schema = {
  type: 'string',
  pattern: `^(${DNS_LABEL_PATTERN.slice(1, -1)})?$`,
  maxLength: 63,
};

const PARAM_TEXT: Readonly<Record<PathParam, string>> = {
  deployment: 'Name of the FlinkDeployment',
  cluster: 'Name of the FlinkCluster',
  job: 'Name of the job in the cluster: the FlinkJob <cluster>-<job>, else the FlinkJob <job> of the cluster',
  taskmanager: 'TaskManager id, as Flink lists it',
  savepoint: 'Name of the FlinkSavepoint',
};

function jsonSchema(schema: z.ZodType): Schema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Schema;
  return rest;
}

const nullableNumberOrString = { type: ['number', 'string', 'null'] };
const PAUSED_PROPERTY = {
  type: 'boolean',
  description: 'Reconciliation paused by the annotation flinkvisor.io/paused (ADR 0019)',
};

function statsSchema(fields: Readonly<Record<string, readonly string[]>>, extra: Schema = {}): Schema {
  return {
    type: 'object',
    properties: {
      ...Object.fromEntries(
        Object.entries(fields).map(([field, ids]) => [
          field,
          { ...nullableNumberOrString, description: `Flink metric ${ids.join(', else ')}` },
        ]),
      ),
      ...extra,
    },
  };
}

const garbageCollectors = {
  jvmGarbageCollectors: {
    type: 'object',
    description: 'Per garbage collector (G1_Young_Generation, ...): collections and time spent',
    additionalProperties: {
      type: 'object',
      properties: { count: nullableNumberOrString, time: nullableNumberOrString },
    },
  },
};

const actionView = (description: string) => ({
  type: 'object',
  description,
  properties: {
    action: { type: 'string', enum: ['START', 'STOP', 'TRIGGER_SAVEPOINT', 'FORGET_SAVEPOINT'] },
    withoutSavepoint: { type: 'boolean' },
    requestedAt: { type: ['integer', 'null'], description: 'Epoch ms: the identity of the request' },
    outcome: { type: 'string', enum: ['accepted', 'rejected'] },
    reason: { type: 'string' },
    at: { type: 'integer' },
  },
});

function componentSchemas(): Record<string, Schema | JsonSchemaProps> {
  const ref = {
    type: 'object',
    properties: { kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } },
  };
  return {
    Problem: {
      type: 'object',
      required: ['error', 'message'],
      properties: {
        error: { type: 'string', description: 'CamelCase code: NotFound, ActionPending, Invalid, ...' },
        message: { type: 'string' },
        fields: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
    FlinkDeploymentSpec: toStructuralSchema(flinkDeploymentSpec),
    FlinkClusterSpec: toStructuralSchema(flinkClusterSpec),
    FlinkJobSpec: toStructuralSchema(flinkJobSpec),
    StartStopRequest: jsonSchema(startStopBody),
    ClusterScaleRequest: jsonSchema(clusterScaleBody),
    JobScaleRequest: jsonSchema(jobScaleBody),
    EmptyRequest: jsonSchema(emptyBody),
    ResourceRef: {
      ...ref,
      properties: { ...ref.properties, generation: { type: 'integer' }, deleting: { type: 'boolean' } },
    },
    ActionAccepted: {
      ...ref,
      properties: {
        ...ref.properties,
        action: { type: 'string' },
        withoutSavepoint: { type: 'boolean' },
        actionTimestamp: {
          type: 'integer',
          description:
            'Epoch ms: the identity of the request; lastAction.requestedAt in the status once the supervisor took it',
        },
      },
    },
    ClusterScale: {
      ...ref,
      properties: {
        ...ref.properties,
        taskManagers: { type: 'integer', description: 'The requested spec.taskManagers' },
        effectiveTaskManagers: {
          type: 'integer',
          description: 'The request clamped to [minTaskManagers, maxTaskManagers]',
        },
        rescalePolicy: {
          type: 'string',
          description: 'JobParallelism: the supervisor sizes the cluster itself',
        },
        generation: {
          type: 'integer',
          description: 'metadata.generation to wait for in status.observedGeneration',
        },
      },
    },
    JobScale: {
      ...ref,
      properties: {
        ...ref.properties,
        parallelism: { type: 'integer', description: 'The requested spec.jobParallelism' },
        effectiveParallelism: {
          type: 'integer',
          description: 'The request clamped to [minJobParallelism, maxJobParallelism]',
        },
        generation: {
          type: 'integer',
          description: 'metadata.generation to wait for in status.observedGeneration',
        },
      },
    },
    PauseChange: {
      ...ref,
      description: 'The annotation flinkvisor.io/paused after the request (ADR 0019)',
      properties: {
        ...ref.properties,
        paused: PAUSED_PROPERTY,
        changed: {
          type: 'boolean',
          description: 'False when the annotation already said so: nothing was written',
        },
      },
    },
    DeploymentList: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          resourceStatus: { type: 'string' },
          jobs: { type: 'array', items: { type: 'string' } },
          paused: PAUSED_PROPERTY,
          ready: { type: 'string', description: 'Status of the Ready condition: True, False or Unknown' },
        },
      },
    },
    ClusterList: {
      type: 'array',
      items: {
        type: 'object',
        properties: Object.fromEntries(
          ['name', 'supervisorStatus', 'resourceStatus', 'clusterHealth']
            .map((k) => [k, { type: 'string' }])
            .concat(
              ['taskManagers', 'taskManagerReplicas', 'totalTaskSlots', 'requestedTaskManagers'].map((k) => [
                k,
                { type: 'integer' },
              ]),
            )
            .concat([['paused', PAUSED_PROPERTY]]),
        ),
      },
    },
    JobList: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'The job name of the paths' },
          resource: { type: 'string', description: 'The FlinkJob name' },
          supervisorStatus: { type: 'string' },
          resourceStatus: { type: 'string' },
          clusterHealth: { type: 'string' },
          jobStatus: { type: 'string' },
          jobId: { type: 'string' },
          jobParallelism: { type: 'integer' },
          requestedParallelism: { type: 'integer' },
          savepointPath: { type: 'string' },
          savepointTimestamp: { type: 'string', description: 'When the latest savepoint completed' },
          paused: PAUSED_PROPERTY,
          restarts: {
            type: 'integer',
            description: "Flink's restart count of the job, as read at its latest failure (status.restarts)",
          },
        },
      },
    },
    SavepointList: {
      type: 'array',
      items: { $ref: '#/components/schemas/Savepoint' },
    },
    Savepoint: {
      type: 'object',
      description: 'A FlinkSavepoint: its spec and status in one view (ADR 0015)',
      properties: {
        ...Object.fromEntries(
          [
            'name',
            'job',
            'kind',
            'formatType',
            'state',
            'path',
            'triggerId',
            'jobId',
            'requestTimestamp',
            'completionTimestamp',
            'message',
          ].map((k) => [k, { type: 'string' }]),
        ),
        size: { type: 'integer' },
        dispose: { type: 'boolean', description: 'A disposal was asked for' },
        released: { type: 'boolean', description: 'No longer owned by its FlinkJob (savepoint on deletion)' },
        disposal: { type: 'object', additionalProperties: true, description: 'status.disposal' },
      },
    },
    ResourceStatus: {
      type: 'object',
      description: 'status of the resource (without the persisted state machine), plus the action views',
      additionalProperties: true,
      properties: {
        requestedAction: actionView('An action still in the annotations: the supervisor has not taken it'),
        pendingAction: actionView(
          'An action the supervisor took and holds until a state accepts or rejects it',
        ),
        lastAction: actionView('The last action the supervisor accepted or rejected'),
        previousAction: actionView(
          'The action answered before lastAction (two actions may be answered within one status write, as when a newer one supersedes a pending one)',
        ),
      },
    },
    FlinkJobDetails: {
      type: 'object',
      description: "Flink's JobDetailsInfo (GET /jobs/{jobid})",
      additionalProperties: true,
    },
    JobStats: statsSchema(JOB_STATS_SOURCES),
    JobManagerStats: statsSchema(JOB_MANAGER_STATS_SOURCES, garbageCollectors),
    TaskManagerStats: statsSchema(TASK_MANAGER_STATS_SOURCES, garbageCollectors),
    TaskManagerList: {
      type: 'array',
      description: "Flink's TaskManagerInfo list (GET /taskmanagers)",
      items: { type: 'object', additionalProperties: true },
    },
    FlinkTaskManagerDetails: {
      type: 'object',
      description: "Flink's TaskManagerDetailsInfo",
      additionalProperties: true,
    },
    OpenApiDocument: { type: 'object', additionalProperties: true },
  };
}

const BODY_SCHEMA: Readonly<Record<Exclude<BodyKind, 'none' | 'spec'>, string>> = {
  startStop: 'StartStopRequest',
  clusterScale: 'ClusterScaleRequest',
  jobScale: 'JobScaleRequest',
  empty: 'EmptyRequest',
};

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function requestBody(route: RouteDefinition): Schema | undefined {
  if (route.body === 'none') return undefined;
  const name = route.body === 'spec' ? (route.spec ?? 'FlinkClusterSpec') : BODY_SCHEMA[route.body];
  const required = route.body === 'spec' || route.body === 'clusterScale' || route.body === 'jobScale';
  const description =
    route.body === 'spec' && route.method === 'PUT' ? 'A JSON merge patch (RFC 7386) of the spec' : undefined;
  return {
    required,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema: schemaRef(name) } },
  };
}

function operation(route: RouteDefinition): Schema {
  const pathParams = pathParamsOf(route.path);
  // A name in the path or the namespace is checked before anything else: 400 when it is none.
  const checksNames = pathParams.length > 0 || route.authorization !== 'authenticated';
  const errors = [
    ...new Set([...route.errors, ...COMMON_ERRORS, ...(route.body === 'none' && !checksNames ? [] : [400])]),
  ].sort();
  const body = requestBody(route);
  const parameters: Schema[] = pathParams.map((name) => ({
    name,
    in: 'path',
    required: true,
    description: PARAM_TEXT[name],
    schema: PARAM_SCHEMA[name],
  }));
  if (route.authorization !== 'authenticated') {
    parameters.push({
      name: 'namespace',
      in: 'query',
      required: false,
      description: "The namespace; the server's default namespace when absent or empty",
      schema: NAMESPACE_SCHEMA,
    });
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    parameters,
    ...(body ? { requestBody: body } : {}),
    responses: {
      [String(route.success.status)]: {
        description: route.success.status === 202 ? 'Accepted: the supervisor carries it out' : 'OK',
        content: { 'application/json': { schema: schemaRef(route.success.schema) } },
      },
      ...Object.fromEntries(
        errors.map((status) => [
          String(status),
          {
            description: STATUS_TEXT[status] ?? 'Error',
            content: { 'application/json': { schema: schemaRef('Problem') } },
          },
        ]),
      ),
    },
    'x-flinkvisor-authorization':
      route.authorization === 'authenticated'
        ? 'any authenticated caller'
        : {
            group: API_GROUP,
            verb: route.authorization.verb,
            resource: route.authorization.resource,
            ...('subresource' in route.authorization ? { subresource: route.authorization.subresource } : {}),
          },
  };
}

export function openApiDocument(routes: readonly RouteDefinition[] = ROUTES): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const item = (paths[`${API_PREFIX}${route.path}`] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flinkvisor control API',
      version: FLINKVISOR_VERSION,
      description:
        'Drive FlinkDeployments, FlinkClusters and FlinkJobs, and read their Flink JobManagers. Command routes only record the request (annotations, spec, scale); the supervisor carries it out. Every request needs a Kubernetes bearer token (for the audience flinkvisor, or, unless the server is audience-only, for the API server) or a client certificate signed by the client CA, and is authorized with a SubjectAccessReview for the resource it touches.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { clientCertificate: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A Kubernetes token reviewed with TokenReview: bound to the audience flinkvisor (TokenRequest), or, unless the server is audience-only, for the API server (a ServiceAccount token, an OIDC id token, ...)',
        },
        clientCertificate: {
          type: 'mutualTLS',
          description:
            'A client certificate signed by the client CA (--api-client-ca), sent without a token: CN is the user name, O the groups',
        },
      },
      schemas: componentSchemas(),
    },
  };
}
