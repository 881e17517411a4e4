import { savepointsOfJob } from '../api/flink-savepoint.ts';
import { FLINK_SAVEPOINT } from '../api/names.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import { conflict, notFound, problemFromKubernetes } from './errors.ts';
import { param, type Handler, type HandlerDependencies, type RequestContext } from './handler-context.ts';
import { isConflict } from '../kube/errors.ts';

// The FlinkSavepoints of a job (ADR 0015): list, show, and dispose, which sets spec.dispose and
// leaves the disposal itself to the supervisor (files through the JobManager, then the record).

/** A FlinkSavepoint as the control API and CLI show it: spec and status side by side. */
export function savepointView(o: CustomObject): Record<string, unknown> {
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const pick = (source: Record<string, unknown>, keys: string[]) =>
    Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
  return {
    name: o.metadata.name ?? '',
    job: spec['jobName'],
    ...pick(spec, ['kind', 'formatType', 'dispose']),
    ...pick(status, [
      'state',
      'path',
      'triggerId',
      'jobId',
      'requestTimestamp',
      'completionTimestamp',
      'size',
      'message',
      'disposal',
    ]),
    released: !(o.metadata.ownerReferences ?? []).some((r) => r.kind === 'FlinkJob'),
  };
}

function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const at = (v: Record<string, unknown>) => String(v['completionTimestamp'] ?? v['requestTimestamp'] ?? '');
  return at(b).localeCompare(at(a)) || String(a['name']).localeCompare(String(b['name']));
}

export function savepointHandlers(
  deps: HandlerDependencies,
): Record<'listSavepoints' | 'getSavepoint' | 'disposeSavepoint', Handler> {
  const requireJob = (ctx: RequestContext): string => {
    const name = ctx.job?.metadata.name;
    if (!name) throw notFound(`FlinkJob ${param(ctx, 'job')} of cluster ${param(ctx, 'cluster')} not found`);
    return name;
  };
  const readSavepoint = async (ctx: RequestContext): Promise<CustomObject> => {
    const jobName = requireJob(ctx);
    const name = param(ctx, 'savepoint');
    let object: CustomObject | undefined;
    try {
      object = await deps.store.get(FLINK_SAVEPOINT, ctx.namespace, name);
    } catch (err) {
      throw problemFromKubernetes(err, `FlinkSavepoint ${name}`);
    }
    if (!object || savepointsOfJob([object], jobName).length === 0)
      throw notFound(`FlinkSavepoint ${ctx.namespace}/${name} of FlinkJob ${jobName} not found`);
    return object;
  };
  return {
    listSavepoints: async (ctx) => {
      const jobName = requireJob(ctx);
      const all = await deps.store
        .list(FLINK_SAVEPOINT, ctx.namespace)
        .catch((err: unknown) => Promise.reject(problemFromKubernetes(err, 'FlinkSavepoints')));
      return { status: 200, body: savepointsOfJob(all.items, jobName).map(savepointView).sort(newestFirst) };
    },
    getSavepoint: async (ctx) => ({ status: 200, body: savepointView(await readSavepoint(ctx)) }),
    disposeSavepoint: async (ctx) => {
      const object = await readSavepoint(ctx);
      const name = object.metadata.name ?? '';
      try {
        if (object.spec?.['dispose'] !== true)
          await deps.store.patch(FLINK_SAVEPOINT, ctx.namespace, name, {
            metadata: { resourceVersion: object.metadata.resourceVersion ?? '' },
            spec: { dispose: true },
          });
      } catch (err) {
        if (isConflict(err)) throw conflict(`FlinkSavepoint ${name} changed meanwhile; try again`);
        throw problemFromKubernetes(err, `FlinkSavepoint ${name}`);
      }
      return { status: 202, body: { kind: FLINK_SAVEPOINT.kind, namespace: ctx.namespace, name } };
    },
  };
}
