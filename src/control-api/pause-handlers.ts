import {
  ANNOTATIONS,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  isPausedObject,
  type KindNames,
} from '../api/names.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { conflict } from './errors.ts';
import { param, type Handler, type HandlerDependencies, type RequestContext } from './handler-context.ts';
import {
  describeResource,
  kubernetesCall,
  refuseWhileDeleting,
  requireJob,
  requiredResource,
} from './resource-handlers.ts';

// Pause and resume (ADR 0019): the routes set or remove the annotation flinkvisor.io/paused, as
// `kubectl annotate` would; the supervisor (or, for a FlinkDeployment, the operator) reads it. The
// write is idempotent, so it needs no precondition, and none is sent when the annotation already
// says what is asked. The children of a FlinkDeployment follow its pause (the operator mirrors it
// onto them and would undo a pause set on one of them alone), so they are paused through it.

export interface PauseChange {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** What the annotation says now. */
  readonly paused: boolean;
  /** False when the annotation already said so: nothing was written. */
  readonly changed: boolean;
}

/** The FlinkDeployment that controls `obj`, if one does. */
function controllingDeployment(obj: CustomObject): string | undefined {
  return (obj.metadata.ownerReferences ?? []).find(
    (r) => r.controller === true && r.kind === FLINK_DEPLOYMENT.kind,
  )?.name;
}

async function setPaused(
  deps: HandlerDependencies,
  kind: KindNames,
  namespace: string,
  current: CustomObject,
  paused: boolean,
): Promise<PauseChange> {
  const name = current.metadata.name ?? '';
  const what = describeResource(kind, namespace, name);
  refuseWhileDeleting(kind, current, namespace);
  const owner = controllingDeployment(current);
  if (owner !== undefined)
    throw conflict(
      `${what} belongs to FlinkDeployment ${owner}, whose pause it follows: ${paused ? 'pause' : 'resume'} the deployment instead`,
      'OwnedByDeployment',
    );
  const answer = { kind: kind.kind, namespace, name, paused };
  if (isPausedObject(current.metadata) === paused) return { ...answer, changed: false };
  await kubernetesCall(what, () =>
    deps.store.patch(kind, namespace, name, {
      metadata: { annotations: { [ANNOTATIONS.paused]: paused ? 'true' : null } },
    }),
  );
  return { ...answer, changed: true };
}

export function pauseHandlers(deps: HandlerDependencies) {
  const named =
    (kind: KindNames, parameter: 'deployment' | 'cluster') =>
    (ctx: RequestContext): Promise<CustomObject> =>
      requiredResource(deps.store, kind, ctx.namespace, param(ctx, parameter));
  const handler =
    (kind: KindNames, lookup: (ctx: RequestContext) => Promise<CustomObject>, paused: boolean): Handler =>
    async (ctx) => ({
      status: 200,
      body: await setPaused(deps, kind, ctx.namespace, await lookup(ctx), paused),
    });
  const deployment = named(FLINK_DEPLOYMENT, 'deployment');
  const cluster = named(FLINK_CLUSTER, 'cluster');
  const job = async (ctx: RequestContext) => requireJob(ctx);
  return {
    pauseDeployment: handler(FLINK_DEPLOYMENT, deployment, true),
    resumeDeployment: handler(FLINK_DEPLOYMENT, deployment, false),
    pauseCluster: handler(FLINK_CLUSTER, cluster, true),
    resumeCluster: handler(FLINK_CLUSTER, cluster, false),
    pauseJob: handler(FLINK_JOB, job, true),
    resumeJob: handler(FLINK_JOB, job, false),
  };
}
