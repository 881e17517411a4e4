import {
  API_GROUP_VERSION,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  jobResourceName,
  type KindNames,
} from '../api/names.ts';
import {
  safeParseFlinkCluster,
  safeParseFlinkDeployment,
  safeParseFlinkJob,
  type ParseResult,
} from '../api/parse.ts';
import { retryOnConflict } from '../kube/retry-on-conflict.ts';
import { badRequest, conflict, HttpProblem, notFound, problemFromKubernetes } from './errors.ts';
import { param, type Handler, type HandlerDependencies, type RequestContext } from './handler-context.ts';
import { clusterNameOf } from './job-lookup.ts';
import { applyMergePatch } from './merge-patch.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { clusterSummary, deploymentSummary, jobSummary, statusView } from './resource-views.ts';

// Reads and spec writes of FlinkDeployments, FlinkClusters and FlinkJobs. Specs are validated here
// with the same schemas and rules the API server enforces (src/api), so a bad body is a 400 naming
// its fields before anything is sent; the API server then validates again (and refuses unknown
// fields, which the TypeScript schemas strip).

type Parser = (value: unknown) => ParseResult<unknown>;

const PARSERS = new Map<KindNames, Parser>([
  [FLINK_DEPLOYMENT, safeParseFlinkDeployment],
  [FLINK_CLUSTER, safeParseFlinkCluster],
  [FLINK_JOB, safeParseFlinkJob],
]);

function describe(kind: KindNames, namespace: string, name: string): string {
  return `${kind.kind} ${namespace}/${name}`;
}

/** `{ kind, namespace, name, generation }`: what a write answers. */
export function resourceRef(kind: KindNames, obj: CustomObject, namespace: string): Record<string, unknown> {
  return {
    kind: kind.kind,
    namespace: obj.metadata.namespace ?? namespace,
    name: obj.metadata.name ?? '',
    ...(obj.metadata.generation === undefined ? {} : { generation: obj.metadata.generation }),
  };
}

function validate(kind: KindNames, namespace: string, name: string, spec: unknown): void {
  const parse = PARSERS.get(kind);
  if (!parse) throw new Error(`no parser for ${kind.kind}`);
  const result = parse({ metadata: { name, namespace }, spec });
  if (!result.ok) {
    // Rules on the whole resource report at its root and name the field in the message
    // ("metadata.name: ..."): give that field its path.
    const fields = result.error.issues.map((issue) => {
      const named = /^((?:metadata|spec)(?:\.[\w[\]]+)*): (.*)$/s.exec(issue.message);
      return issue.path === '' && named ? { path: named[1] ?? '', message: named[2] ?? '' } : issue;
    });
    throw badRequest('Invalid', result.error.message, fields);
  }
}

async function guarded<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    throw problemFromKubernetes(err, what);
  }
}

async function create(
  store: CustomResourceClient,
  kind: KindNames,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<CustomObject> {
  validate(kind, namespace, name, spec);
  return guarded(describe(kind, namespace, name), () =>
    store.create(
      kind,
      namespace,
      {
        apiVersion: API_GROUP_VERSION,
        kind: kind.kind,
        metadata: { name, namespace },
        spec,
      },
      { strict: true },
    ),
  );
}

/**
 * PUT: the body is a JSON merge patch of the spec. It is applied to the stored spec, the result
 * validated, and the patch sent preconditioned on the resourceVersion read, so what was
 * validated is what is stored; a concurrent change (a status write bumps the resourceVersion too)
 * makes it read and validate again.
 */
async function updateSpec(
  store: CustomResourceClient,
  kind: KindNames,
  namespace: string,
  name: string,
  patch: Record<string, unknown>,
  check: (current: CustomObject) => void = () => undefined,
  first?: CustomObject,
): Promise<CustomObject> {
  let known = first;
  const what = describe(kind, namespace, name);
  try {
    return await retryOnConflict(async () => {
      const current = known ?? (await guarded(what, () => store.get(kind, namespace, name)));
      known = undefined;
      if (!current) throw notFound(`${what} not found`);
      check(current);
      validate(kind, namespace, name, applyMergePatch(current.spec ?? {}, patch));
      return await store.patch(
        kind,
        namespace,
        name,
        { metadata: { resourceVersion: current.metadata.resourceVersion }, spec: patch },
        { strict: true },
      );
    });
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    throw problemFromKubernetes(err, what);
  }
}

async function remove(store: CustomResourceClient, kind: KindNames, namespace: string, name: string) {
  await guarded(describe(kind, namespace, name), () => store.delete(kind, namespace, name));
  return { status: 202 as const, body: { kind: kind.kind, namespace, name, deleting: true } };
}

async function required(store: CustomResourceClient, kind: KindNames, namespace: string, name: string) {
  const obj = await guarded(describe(kind, namespace, name), () => store.get(kind, namespace, name));
  if (!obj) throw notFound(`${describe(kind, namespace, name)} not found`);
  return obj;
}

function specBody(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body.kind !== 'spec') throw new Error('route without a spec body');
  return ctx.body.spec;
}

/** The FlinkJob a job route resolved, or 404. */
export function requireJob(ctx: RequestContext): CustomObject {
  if (ctx.job) return ctx.job;
  const cluster = param(ctx, 'cluster');
  const job = param(ctx, 'job');
  throw notFound(
    `no FlinkJob of cluster ${cluster} named ${job} (nor ${jobResourceName(cluster, job)}) in namespace ${ctx.namespace}`,
  );
}

export function resourceHandlers(deps: HandlerDependencies) {
  const { store } = deps;
  const list = (kind: KindNames, namespace: string) =>
    guarded(`${kind.kind} list in ${namespace}`, async () =>
      (await store.list(kind, namespace)).items.sort((a, b) =>
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
      ),
    );

  return {
    // ---- deployments
    listDeployments: (async (ctx) => ({
      status: 200,
      body: (await list(FLINK_DEPLOYMENT, ctx.namespace)).map(deploymentSummary),
    })) satisfies Handler,
    getDeploymentStatus: (async (ctx) => ({
      status: 200,
      body: statusView(await required(store, FLINK_DEPLOYMENT, ctx.namespace, param(ctx, 'deployment'))),
    })) satisfies Handler,
    createDeployment: (async (ctx) => {
      const created = await create(
        store,
        FLINK_DEPLOYMENT,
        ctx.namespace,
        param(ctx, 'deployment'),
        specBody(ctx),
      );
      return { status: 201, body: resourceRef(FLINK_DEPLOYMENT, created, ctx.namespace) };
    }) satisfies Handler,
    updateDeployment: (async (ctx) => {
      const updated = await updateSpec(
        store,
        FLINK_DEPLOYMENT,
        ctx.namespace,
        param(ctx, 'deployment'),
        specBody(ctx),
      );
      return { status: 200, body: resourceRef(FLINK_DEPLOYMENT, updated, ctx.namespace) };
    }) satisfies Handler,
    deleteDeployment: ((ctx) =>
      remove(store, FLINK_DEPLOYMENT, ctx.namespace, param(ctx, 'deployment'))) satisfies Handler,

    // ---- clusters
    listClusters: (async (ctx) => ({
      status: 200,
      body: (await list(FLINK_CLUSTER, ctx.namespace)).map(clusterSummary),
    })) satisfies Handler,
    getClusterStatus: (async (ctx) => ({
      status: 200,
      body: statusView(await required(store, FLINK_CLUSTER, ctx.namespace, param(ctx, 'cluster'))),
    })) satisfies Handler,
    createCluster: (async (ctx) => {
      const created = await create(store, FLINK_CLUSTER, ctx.namespace, param(ctx, 'cluster'), specBody(ctx));
      return { status: 201, body: resourceRef(FLINK_CLUSTER, created, ctx.namespace) };
    }) satisfies Handler,
    updateCluster: (async (ctx) => {
      const updated = await updateSpec(
        store,
        FLINK_CLUSTER,
        ctx.namespace,
        param(ctx, 'cluster'),
        specBody(ctx),
      );
      return { status: 200, body: resourceRef(FLINK_CLUSTER, updated, ctx.namespace) };
    }) satisfies Handler,
    deleteCluster: ((ctx) =>
      remove(store, FLINK_CLUSTER, ctx.namespace, param(ctx, 'cluster'))) satisfies Handler,

    // ---- jobs
    listJobs: (async (ctx) => {
      const cluster = param(ctx, 'cluster');
      await required(store, FLINK_CLUSTER, ctx.namespace, cluster);
      const jobs = (await list(FLINK_JOB, ctx.namespace)).filter((j) => clusterNameOf(j) === cluster);
      return { status: 200, body: jobs.map((j) => jobSummary(j, cluster)) };
    }) satisfies Handler,
    createJob: (async (ctx) => {
      const cluster = param(ctx, 'cluster');
      const spec = specBody(ctx);
      if (spec['clusterName'] !== undefined && spec['clusterName'] !== cluster) {
        throw badRequest(
          'Invalid',
          `spec.clusterName must be ${cluster}, the cluster of the path, or absent`,
          [{ path: 'spec.clusterName', message: `must be ${cluster} or absent` }],
        );
      }
      await required(store, FLINK_CLUSTER, ctx.namespace, cluster);
      const name = jobResourceName(cluster, param(ctx, 'job'));
      const created = await create(store, FLINK_JOB, ctx.namespace, name, { ...spec, clusterName: cluster });
      return {
        status: 201,
        body: { ...resourceRef(FLINK_JOB, created, ctx.namespace), cluster, job: param(ctx, 'job') },
      };
    }) satisfies Handler,
    updateJob: (async (ctx) => {
      const job = requireJob(ctx);
      const name = job.metadata.name ?? '';
      const patch = specBody(ctx);
      const updated = await updateSpec(
        store,
        FLINK_JOB,
        ctx.namespace,
        name,
        patch,
        (current) => {
          if (patch['clusterName'] !== undefined && patch['clusterName'] !== clusterNameOf(current)) {
            throw badRequest(
              'Invalid',
              'spec.clusterName is immutable: create a new FlinkJob to move a job',
              [{ path: 'spec.clusterName', message: 'is immutable' }],
            );
          }
        },
        job,
      );
      return { status: 200, body: resourceRef(FLINK_JOB, updated, ctx.namespace) };
    }) satisfies Handler,
    deleteJob: ((ctx) =>
      remove(store, FLINK_JOB, ctx.namespace, requireJob(ctx).metadata.name ?? '')) satisfies Handler,
    getJobStatus: (async (ctx) => ({ status: 200, body: statusView(requireJob(ctx)) })) satisfies Handler,
  };
}

/** Throws 409 when the object is being deleted: nothing new is asked of it. */
export function refuseWhileDeleting(kind: KindNames, obj: CustomObject, namespace: string): void {
  if (obj.metadata.deletionTimestamp) {
    throw conflict(`${describe(kind, namespace, obj.metadata.name ?? '')} is being deleted`, 'BeingDeleted');
  }
}

export { describe as describeResource, required as requiredResource, guarded as kubernetesCall };
