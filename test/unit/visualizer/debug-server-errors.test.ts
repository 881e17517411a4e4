import { afterEach, describe, expect, it } from 'vitest';
import { startDebugServer, type DebugServer } from '../../../src/visualizer/debug-server.ts';
import { MachineJournal } from '../../../src/visualizer/machine-journal.ts';
import { captureLog, expectSurvivesSocketErrors } from '../observability/socket-errors.ts';

let server: DebugServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the debug server under socket errors', () => {
  it('keeps serving through client socket errors, client errors and accept errors (EMFILE)', async () => {
    const log = captureLog();
    server = await startDebugServer({ host: '127.0.0.1', port: 0, journal: new MachineJournal(), log });
    await expectSurvivesSocketErrors(server.server, server.port, '/debug/machines', 200);
    expect(log.entries.filter((e) => e.level === 'warn').map((e) => e.fields['code'])).toEqual([
      'EMFILE',
      'ENFILE',
    ]);
  });
});
