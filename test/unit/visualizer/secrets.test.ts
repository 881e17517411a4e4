// Secrets and tokens planted in machine inputs, contexts, events and effect outcomes must not appear
// in anything the debug server answers: page, script, JSON, diagrams, event stream, predictions.
import { createActor } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { startDebugServer } from '../../../src/visualizer/debug-server.ts';
import type { DebugServer } from '../../../src/visualizer/debug-server.ts';
import { MachineJournal } from '../../../src/visualizer/machine-journal.ts';
import {
  FakeClock,
  FakeEffects,
  JobDriver,
  jobObserved,
  jobSnapshot,
  providedJobMachine,
  runningJobContext,
  settle,
  T0,
} from '../machines/support.ts';
import { eventually } from './harness.ts';
import { openEventStream, rawRequest } from './http.ts';
import type { EventStream } from './http.ts';

const TOKEN =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJzdWIiOiJwbGFudGVkLXRva2VuIn0.c2lnbmF0dXJlLXBsYW50ZWQ';
const SECRET = 'wJalrXUtnFEMI-K7MDENG-PLANTED-SECRET';
const ACCESS_KEY = 'AKIAPLANTEDACCESSKEY';
const PASSWORD = 'hunter2-planted-password';
const PLANTED = [TOKEN, SECRET, ACCESS_KEY, PASSWORD, 'PLANTED', 'planted-token', 'hunter2'];

function expectClean(where: string, text: string): void {
  for (const secret of PLANTED) expect(text.includes(secret), `${where} leaks ${secret}`).toBe(false);
}

let server: DebugServer | undefined;
let stream: EventStream | undefined;

afterEach(async () => {
  stream?.close();
  await server?.close();
  server = undefined;
  stream = undefined;
});

describe('the visualizer never shows secrets', () => {
  it('in the page, the JSON, the diagrams, the event stream or predictions', async () => {
    const journal = new MachineJournal();
    const clock = new FakeClock(T0);
    const effects = new FakeEffects()
      // An effect outcome carrying credentials, and an effect failing with them in its message.
      .set('awaitSavepoint', {
        status: 'COMPLETED',
        location: `s3://${ACCESS_KEY}:${SECRET}@bucket/savepoints/sp-1?X-Amz-Security-Token=${TOKEN}`,
        token: TOKEN,
        headers: { authorization: `Bearer ${TOKEN}` },
      })
      .set('persist', {});
    // A live job machine whose input (the init event) and events carry planted fields.
    const actor = createActor(providedJobMachine(effects, clock), {
      input: {
        uid: 'u',
        idSeed: 's',
        at: T0,
        savepointPath: `s3://${ACCESS_KEY}:${SECRET}@bucket/initial`,
        token: TOKEN,
        kubeconfig: { users: [{ user: { token: TOKEN } }] },
      } as never,
      inspect: journal.inspector('job', 'live'),
    });
    actor.subscribe({ error: () => undefined });
    actor.start();
    const observed = jobObserved(
      T0 + 1,
      {},
      { savepointTargetPath: `s3://${ACCESS_KEY}:${SECRET}@bucket/sp` },
    );
    actor.send({
      ...observed,
      observation: { ...observed.observation, token: TOKEN, secret: SECRET },
      policy: { ...observed.policy, password: PASSWORD },
      authorization: `Bearer ${TOKEN}`,
    } as never);
    await settle();
    // Through a stop with savepoint: the outcome's location lands in context and in the journal.
    clock.now = T0 + 10;
    const driver = new JobDriver(actor, clock, {
      savepointTargetPath: `s3://${ACCESS_KEY}:${SECRET}@bucket/sp`,
    });
    await driver.start();
    await driver.request('STOP');
    await driver.observeRunning();
    expect(driver.value).toEqual({ Stopped: 'Idle' });
    // A machine fed by hand with a planted context and events (and a failing effect).
    const context = {
      ...runningJobContext({
        savepointPath: `s3://${ACCESS_KEY}:${SECRET}@bucket/savepoints/sp-0`,
        notice: { reason: 'SavepointFailed', message: `savepoint failed: s3.secret-key: ${SECRET}`, at: T0 },
        lastAction: {
          action: 'STOP',
          withoutSavepoint: false,
          requestedAt: T0,
          outcome: 'rejected',
          reason: `password=${PASSWORD}`,
          at: T0,
        },
      }),
      token: TOKEN,
      bearerToken: TOKEN,
      flinkConfiguration: { 's3.secret-key': SECRET, 's3.access-key': ACCESS_KEY },
      env: { AWS_SECRET_ACCESS_KEY: SECRET },
    };
    const planted = jobSnapshot({ Started: 'Running' }, context as never);
    journal.record('job', 'planted', planted, { type: 'xstate.init', input: { token: TOKEN } });
    journal.record('job', 'planted', jobSnapshot({ Stopping: 'Idle' }, context as never), {
      type: 'ACTION_REQUESTED',
      at: T0 + 1,
      action: 'STOP',
      withoutSavepoint: false,
      requestedAt: T0 + 1,
      token: TOKEN,
    });
    journal.record(
      'job',
      'planted',
      jobSnapshot({ Stopping: { Cancelling: 'Requesting' } }, context as never),
      {
        type: 'xstate.error.actor.stopWithSavepoint',
        error: new Error(`POST /jobs/x/stop failed: Authorization: Bearer ${TOKEN}; secret=${SECRET}`),
      },
    );
    server = await startDebugServer({
      host: '127.0.0.1',
      port: 0,
      journal,
      machines: {
        list: () => [
          { kind: 'job', name: 'live', snapshot: actor.getSnapshot() },
          { kind: 'job', name: 'planted', snapshot: planted },
        ],
      },
    });
    const port = server.port;
    stream = await openEventStream(port);
    await eventually(() => (stream?.messages.length ?? 0) > 0, 5000, 'the event stream');

    const outputs: [string, string][] = [];
    for (const path of [
      '/debug/',
      '/debug/page.js',
      '/debug/machines',
      '/debug/machines/job/live',
      '/debug/machines/job/planted',
      '/debug/machines/job/live/diagram',
      '/debug/machines/job/planted/diagram',
      '/debug/machines/job/planted/diagram?format=mermaid',
    ]) {
      const response = await rawRequest(port, path);
      expect(response.status, path).toBe(200);
      outputs.push([path, response.body]);
    }
    for (const [name, event] of [
      ['planted', { type: 'ACTION_REQUESTED', action: 'TRIGGER_SAVEPOINT' }],
      ['planted', { type: 'OBSERVED', observation: { flinkJob: 'FAILED' } }],
      ['live', { type: 'OBSERVED', observation: { flinkJob: 'NONE' } }],
    ] as const) {
      const response = await rawRequest(port, `/debug/machines/job/${name}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event }),
      });
      outputs.push([`predict ${name} ${event.type}`, `${response.status} ${response.body}`]);
    }
    outputs.push(['event stream', stream.raw.join('')]);

    // The planted data did reach the machines (so the test plants where it matters)...
    expect(JSON.stringify(actor.getSnapshot().context)).toContain(SECRET);
    expect(actor.getSnapshot().context.savepointPath).toContain(TOKEN);
    expect(journal.latest('job', 'planted')?.context).toBe(context);
    // ...and what they show is still there, censored.
    const machines = outputs.find(([path]) => path === '/debug/machines')?.[1] ?? '';
    expect(machines).toContain('s3://[redacted]@bucket/savepoints/sp-0');
    expect(machines).toContain('"error": "Error"');
    for (const [where, text] of outputs) expectClean(where, text);
    actor.stop();
  });
});
