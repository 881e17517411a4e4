import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlApi, type ControlApi } from '../../../src/control-api/control-api-server.ts';
import { systemClock } from '../../../src/kube/clock.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';
import { expectSurvivesSocketErrors } from '../observability/socket-errors.ts';

let api: ControlApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('the control API server under socket errors', () => {
  it('keeps serving through client socket errors, client errors and accept errors (EMFILE)', async () => {
    const logs: Record<string, unknown>[] = [];
    api = await startControlApi({
      kubeConfig: new KubeConfig(),
      namespaces: ['team-a'],
      host: '127.0.0.1',
      port: 0,
      insecureHttp: true,
      flinkClient: () => {
        throw new Error('no Flink in this test');
      },
      log: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
      clock: systemClock,
      tokenReviewer: async () => undefined,
      accessReviewer: async () => ({ allowed: false }),
      resources: new InMemoryCustomResources(),
    });
    // Without a token the API still answers (401): that is the request the server must keep serving.
    await expectSurvivesSocketErrors(api.server, api.port, '/api/v1/namespaces/team-a/flinkjobs', 401);
    const warnings = logs.filter((l) => l['msg'] === 'server error; still listening').map((l) => l['code']);
    expect(warnings).toEqual(['EMFILE', 'ENFILE']);
  });
});
