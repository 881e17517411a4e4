import { MockAgent, type Interceptable } from 'undici';
import type { FlinkRestClientOptions } from '../../../src/flink/client-types.ts';
import { FlinkRestClient } from '../../../src/flink/flink-rest-client.ts';
import type { FlinkRequestEvent } from '../../../src/flink/http-transport.ts';
import { exponentialBackoff } from '../../../src/flink/retry-policy.ts';

export const ORIGIN = 'http://127.0.0.2:8081';

export interface MockFlink {
  readonly agent: MockAgent;
  readonly pool: Interceptable;
  readonly client: FlinkRestClient;
  /** The pauses the client asked for between attempts (the sleep is instant). */
  readonly sleeps: number[];
  readonly events: FlinkRequestEvent[];
  /** Fails when a programmed answer was not used, then closes the agent. */
  close(): Promise<void>;
}

/**
 * A Flink REST endpoint played by undici's MockAgent, injected as the client's dispatcher; no
 * request leaves the process (disableNetConnect). Jitter is pinned (random = 0.5) and sleeps are
 * recorded instead of waited.
 */
export function mockFlink(
  options: { version?: string | null } & Partial<
    Omit<FlinkRestClientOptions, 'dispatcher' | 'flinkVersion'>
  > = {},
): MockFlink {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  const pool = agent.get(ORIGIN);
  const sleeps: number[] = [];
  const events: FlinkRequestEvent[] = [];
  const { version = '1.20.5', ...rest } = options;
  const client = new FlinkRestClient({
    baseUrl: ORIGIN,
    dispatcher: agent,
    retry: exponentialBackoff({ random: () => 0.5 }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRequest: (e) => events.push(e),
    ...(version === null ? {} : { flinkVersion: version }),
    ...rest,
  });
  return {
    agent,
    pool,
    client,
    sleeps,
    events,
    async close() {
      try {
        agent.assertNoPendingInterceptors();
      } finally {
        await agent.close();
      }
    },
  };
}

/** The JSON body of the n-th recorded call (0-based). */
export function sentJson(agent: MockAgent, n: number): unknown {
  const body = agent.getCallHistory()?.nthCall(n + 1)?.body;
  return typeof body === 'string' ? JSON.parse(body) : body;
}
