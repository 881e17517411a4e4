import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from '../../../src/observability/health-server.ts';
import { captureLog, expectSurvivesSocketErrors, get } from './socket-errors.ts';

let health: HealthServer | undefined;
afterEach(async () => {
  await health?.close();
  health = undefined;
});

describe('the health server', () => {
  it('keeps serving through client socket errors, client errors and accept errors (EMFILE)', async () => {
    const log = captureLog();
    health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      live: () => true,
      ready: () => true,
      log,
    });
    expect((await get(health.port, '/healthz')).body).toBe('ok\n');
    await expectSurvivesSocketErrors(health.server, health.port, '/readyz', 200);
    const warnings = log.entries.filter((e) => e.level === 'warn').map((e) => e.fields['code']);
    expect(warnings).toEqual(['EMFILE', 'ENFILE']);
    expect(log.entries.some((e) => e.level === 'debug' && e.fields['code'] === 'ECONNRESET')).toBe(true);
  });

  it('still rejects the start when the port cannot be bound', async () => {
    health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      live: () => true,
      ready: () => true,
    });
    await expect(
      startHealthServer({
        host: '127.0.0.1',
        port: health.port,
        registry: new Registry(),
        live: () => true,
        ready: () => true,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
