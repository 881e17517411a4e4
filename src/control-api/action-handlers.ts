import { ANNOTATIONS, FLINK_CLUSTER, FLINK_JOB, type KindNames, type RequestedAction } from '../api/names.ts';
import { retryOnConflict } from '../kube/retry-on-conflict.ts';
import { conflict, HttpProblem, notFound, problemFromKubernetes } from './errors.ts';
import { param, type Handler, type HandlerDependencies, type RequestContext } from './handler-context.ts';
import {
  describeResource,
  kubernetesCall,
  refuseWhileDeleting,
  requireJob,
  requiredResource,
} from './resource-handlers.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { nextActionTimestamp, untakenRequestOf } from './resource-views.ts';

// The command routes. They never act on Flink: START, STOP and the savepoint routes write the
// requested-action annotations the supervisor takes (src/supervisor/requested-actions.ts), the scale
// routes patch the scale subresource. The rule for concurrent requests (ADR 0006): one action at
// a time per resource — while an earlier request is still in the annotations and the supervisor
// has not recorded it in status yet, another is refused with 409 ActionPending. The check and the write are one
// step: the write is preconditioned on the resourceVersion the check read.

export interface ActionAccepted {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly action: RequestedAction;
  readonly withoutSavepoint: boolean;
  /** Epoch ms: the request's identity; `lastAction.requestedAt` in the status equals it once taken. */
  readonly actionTimestamp: number;
}

async function requestAction(
  deps: HandlerDependencies,
  kind: KindNames,
  namespace: string,
  first: CustomObject,
  action: RequestedAction,
  withoutSavepoint: boolean | undefined,
): Promise<ActionAccepted> {
  const name = first.metadata.name ?? '';
  const what = describeResource(kind, namespace, name);
  let known: CustomObject | undefined = first;
  try {
    return await retryOnConflict(async () => {
      const current = known ?? (await kubernetesCall(what, () => deps.store.get(kind, namespace, name)));
      known = undefined;
      if (!current) throw notFound(`${what} not found`);
      refuseWhileDeleting(kind, current, namespace);
      const pending = untakenRequestOf(current);
      if (pending) {
        const at = pending.requestedAt === null ? '' : ` at ${new Date(pending.requestedAt).toISOString()}`;
        throw conflict(
          `${what} already has a pending action ${pending.action} (requested${at}); the supervisor has not taken it yet: wait for it, then ask again`,
          'ActionPending',
        );
      }
      const actionTimestamp = nextActionTimestamp(deps.clock.now(), current);
      await deps.store.patch(
        kind,
        namespace,
        name,
        {
          metadata: {
            resourceVersion: current.metadata.resourceVersion,
            annotations: {
              [ANNOTATIONS.requestedAction]: action,
              [ANNOTATIONS.withoutSavepoint]:
                withoutSavepoint === undefined ? null : String(withoutSavepoint),
              [ANNOTATIONS.actionTimestamp]: String(actionTimestamp),
            },
          },
        },
        { strict: true },
      );
      return {
        kind: kind.kind,
        namespace,
        name,
        action,
        withoutSavepoint: withoutSavepoint ?? false,
        actionTimestamp,
      };
    });
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    throw problemFromKubernetes(err, what);
  }
}

function withoutSavepointOf(ctx: RequestContext): boolean {
  return ctx.body.kind === 'startStop' ? ctx.body.value.withoutSavepoint : false;
}

/** What a scale answers besides the request: the generation to wait for, and what will run. */
interface ScaleOutcome {
  readonly generation?: number;
  readonly effective?: number;
  readonly rescalePolicy?: string;
}

function clamp(value: number, min: unknown, max: unknown): number {
  const low = typeof min === 'number' ? min : 0;
  const high = typeof max === 'number' ? max : Number.MAX_SAFE_INTEGER;
  return Math.min(Math.max(value, low), high);
}

async function scale(
  deps: HandlerDependencies,
  kind: KindNames,
  namespace: string,
  name: string,
  replicas: number,
  bounds: readonly [string, string],
): Promise<ScaleOutcome> {
  const what = describeResource(kind, namespace, name);
  await kubernetesCall(what, () => deps.store.scale(kind, namespace, name, replicas));
  const after = await kubernetesCall(what, () => deps.store.get(kind, namespace, name));
  if (!after) return {};
  const policy = (after.spec?.['supervisor'] as Record<string, unknown> | undefined)?.['rescalePolicy'];
  return {
    ...(after.metadata.generation === undefined ? {} : { generation: after.metadata.generation }),
    effective: clamp(replicas, after.spec?.[bounds[0]], after.spec?.[bounds[1]]),
    ...(typeof policy === 'string' ? { rescalePolicy: policy } : {}),
  };
}

export function actionHandlers(deps: HandlerDependencies) {
  const cluster = (ctx: RequestContext) =>
    requiredResource(deps.store, FLINK_CLUSTER, ctx.namespace, param(ctx, 'cluster'));
  const clusterAction =
    (action: RequestedAction): Handler =>
    async (ctx) => ({
      status: 202,
      body: await requestAction(
        deps,
        FLINK_CLUSTER,
        ctx.namespace,
        await cluster(ctx),
        action,
        withoutSavepointOf(ctx),
      ),
    });
  const jobAction =
    (action: RequestedAction, options: { withoutSavepoint: boolean }): Handler =>
    async (ctx) => ({
      status: 202,
      body: await requestAction(
        deps,
        FLINK_JOB,
        ctx.namespace,
        requireJob(ctx),
        action,
        options.withoutSavepoint ? withoutSavepointOf(ctx) : undefined,
      ),
    });

  return {
    startCluster: clusterAction('START'),
    stopCluster: clusterAction('STOP'),
    scaleCluster: (async (ctx) => {
      if (ctx.body.kind !== 'clusterScale') throw new Error('route without a scale body');
      const fc = await cluster(ctx);
      const name = fc.metadata.name ?? '';
      const taskManagers = ctx.body.value.taskManagers;
      const outcome = await scale(deps, FLINK_CLUSTER, ctx.namespace, name, taskManagers, [
        'minTaskManagers',
        'maxTaskManagers',
      ]);
      return {
        status: 200,
        body: {
          kind: FLINK_CLUSTER.kind,
          namespace: ctx.namespace,
          name,
          taskManagers,
          ...(outcome.generation === undefined ? {} : { generation: outcome.generation }),
          ...(outcome.effective === undefined ? {} : { effectiveTaskManagers: outcome.effective }),
          ...(outcome.rescalePolicy === undefined ? {} : { rescalePolicy: outcome.rescalePolicy }),
        },
      };
    }) satisfies Handler,
    startJob: jobAction('START', { withoutSavepoint: true }),
    stopJob: jobAction('STOP', { withoutSavepoint: true }),
    triggerSavepoint: jobAction('TRIGGER_SAVEPOINT', { withoutSavepoint: false }),
    forgetSavepoint: jobAction('FORGET_SAVEPOINT', { withoutSavepoint: false }),
    scaleJob: (async (ctx) => {
      if (ctx.body.kind !== 'jobScale') throw new Error('route without a scale body');
      const name = requireJob(ctx).metadata.name ?? '';
      const parallelism = ctx.body.value.parallelism;
      const outcome = await scale(deps, FLINK_JOB, ctx.namespace, name, parallelism, [
        'minJobParallelism',
        'maxJobParallelism',
      ]);
      return {
        status: 200,
        body: {
          kind: FLINK_JOB.kind,
          namespace: ctx.namespace,
          name,
          parallelism,
          ...(outcome.generation === undefined ? {} : { generation: outcome.generation }),
          ...(outcome.effective === undefined ? {} : { effectiveParallelism: outcome.effective }),
        },
      };
    }) satisfies Handler,
  };
}
