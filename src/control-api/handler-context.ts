import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { Clock } from '../kube/clock.ts';
import type { Caller } from './authn.ts';
import type { ParsedBody } from './request-bodies.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import type { PathParams } from './route-matching.ts';

/** One authenticated, authorized request, as a handler sees it. */
export interface RequestContext {
  readonly namespace: string;
  readonly params: PathParams;
  readonly body: ParsedBody;
  readonly caller: Caller;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /**
   * Routes on one job: the FlinkJob the path names, looked up before authorization (the
   * SubjectAccessReview names it); undefined when there is none.
   */
  readonly job: CustomObject | undefined;
}

export interface HandlerResult {
  readonly status: 200 | 201 | 202;
  readonly body: unknown;
}

export type Handler = (ctx: RequestContext) => Promise<HandlerResult>;

export interface HandlerDependencies {
  readonly store: CustomResourceClient;
  readonly clock: Clock;
  /** The REST client of a cluster's JobManager. */
  readonly flinkFor: (namespace: string, cluster: string) => Promise<FlinkRestClient>;
}

/** A required path parameter (the route table guarantees it; this keeps the types honest). */
export function param(ctx: RequestContext, name: keyof PathParams): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route without the path parameter ${name}`);
  return value;
}
