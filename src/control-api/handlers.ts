import { actionHandlers } from './action-handlers.ts';
import { flinkProxyHandlers } from './flink-proxy-handlers.ts';
import type { Handler, HandlerDependencies } from './handler-context.ts';
import { pauseHandlers } from './pause-handlers.ts';
import { resourceHandlers } from './resource-handlers.ts';
import { savepointHandlers } from './savepoint-handlers.ts';
import type { OperationId } from './routes.ts';

/** One handler per route of the table; a route without one is a compile error here. */
export function createHandlers(
  deps: HandlerDependencies,
  openApi: () => unknown,
): Record<OperationId, Handler> {
  return {
    ...resourceHandlers(deps),
    ...actionHandlers(deps),
    ...pauseHandlers(deps),
    ...flinkProxyHandlers(deps),
    ...savepointHandlers(deps),
    getOpenApi: async () => ({ status: 200, body: openApi() }),
  };
}
