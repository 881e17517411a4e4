import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineDetail, MachinesPayload } from '../../../src/visualizer/debug-routes.ts';
import { createDebugRoutes, hostAllowed, LIST_TRANSITIONS } from '../../../src/visualizer/debug-routes.ts';
import { startDebugServer } from '../../../src/visualizer/debug-server.ts';
import type { DebugServer } from '../../../src/visualizer/debug-server.ts';
import { MachineJournal } from '../../../src/visualizer/machine-journal.ts';
import { contentSecurityPolicy } from '../../../src/visualizer/page.ts';
import { jobSnapshot, runningJobContext } from '../machines/support.ts';
import { CLUSTER_NAME, eventually, JOB_NAME, machineHarness } from './harness.ts';
import type { MachineHarness } from './harness.ts';
import { openEventStream, rawRequest } from './http.ts';
import type { EventStream } from './http.ts';

let server: DebugServer | undefined;
let harness: MachineHarness | undefined;
let stream: EventStream | undefined;

afterEach(async () => {
  stream?.close();
  await server?.close();
  harness?.stop();
  server = undefined;
  harness = undefined;
  stream = undefined;
});

async function started(options: { source?: boolean } = {}) {
  harness = machineHarness();
  await harness.cluster.start();
  await harness.job.start();
  server = await startDebugServer({
    host: '127.0.0.1',
    port: 0,
    journal: harness.journal,
    machines: options.source === false ? undefined : harness.source,
    supervisor: { namespace: 'flink', cluster: CLUSTER_NAME },
    refreshMs: 50,
  });
  return { h: harness, port: server.port, base: `http://127.0.0.1:${server.port}` };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  return (await response.json()) as T;
}

function predict(base: string, event: unknown, name = JOB_NAME, kind = 'job') {
  return fetch(`${base}/debug/machines/${kind}/${name}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event }),
  });
}

describe('GET /debug/machines', () => {
  it('lists the cluster then the job, live, with state, context and transitions', async () => {
    const { base } = await started();
    const payload = await getJson<MachinesPayload>(`${base}/debug/machines`);
    expect(payload.supervisor).toEqual({ namespace: 'flink', cluster: CLUSTER_NAME });
    expect(typeof payload.serverTime).toBe('number');
    expect(payload.machines.map((m) => [m.kind, m.name, m.state, m.path, m.live])).toEqual([
      ['cluster', CLUSTER_NAME, 'Started', 'Started.Idle', true],
      ['job', JOB_NAME, 'Started', 'Started.Running', true],
    ]);
    const job = payload.machines[1] as MachineDetail;
    expect(job.context['jobId']).toMatch(/^[0-9a-f]{32}$/);
    expect(job.transitions.at(-1)).toMatchObject({
      from: 'Starting.Launching.Submitted',
      to: 'Started.Running',
    });
    expect(job.deadlines.map((d) => d.field)).toEqual(['deadlines.savepointDueAt']);
  });

  it('reads live snapshots from the source even when nothing feeds the journal', async () => {
    const journal = new MachineJournal();
    const snapshot = jobSnapshot({ Stopped: 'Idle' }, runningJobContext());
    const routes = createDebugRoutes({
      journal,
      machines: { list: () => [{ kind: 'job', name: 'a', snapshot }] },
    });
    const payload = routes.payload();
    expect(payload.machines).toHaveLength(1);
    expect(payload.machines[0]).toMatchObject({ kind: 'job', name: 'a', path: 'Stopped.Idle', live: true });
    expect(payload.machines[0]?.transitions).toEqual([]);
  });

  it('shows the history of a machine the source no longer runs as not live', async () => {
    const journal = new MachineJournal();
    journal.record('job', 'gone', jobSnapshot({ Started: 'Running' }, runningJobContext()));
    const routes = createDebugRoutes({ journal, machines: { list: () => [] } });
    expect(routes.payload().machines.map((m) => [m.name, m.live])).toEqual([['gone', false]]);
    const alone = createDebugRoutes({ journal });
    expect(alone.payload().machines.map((m) => [m.name, m.live])).toEqual([['gone', true]]);
  });
});

describe('transition lists', () => {
  it('carry the latest 25 in the list and all kept ones in the machine', async () => {
    const journal = new MachineJournal();
    for (let i = 0; i < 40; i += 1) {
      const value = i % 2 === 0 ? { Started: 'Running' } : { Stopping: 'Idle' };
      journal.record('job', 'busy', jobSnapshot(value, runningJobContext()));
    }
    server = await startDebugServer({ host: '127.0.0.1', port: 0, journal });
    const base = `http://127.0.0.1:${server.port}`;
    const list = await getJson<MachinesPayload>(`${base}/debug/machines`);
    expect(list.machines[0]?.transitions).toHaveLength(LIST_TRANSITIONS);
    expect(list.machines[0]?.transitions.at(-1)?.seq).toBe(40);
    expect(list.machines[0]?.dropped).toBe(40 - LIST_TRANSITIONS);
    const one = await getJson<MachineDetail>(`${base}/debug/machines/job/busy`);
    expect(one.transitions).toHaveLength(40);
    expect(one.dropped).toBe(0);
  });
});

describe('GET /debug/machines/:kind/:name', () => {
  it('answers one machine, and 404 for unknown ones', async () => {
    const { base } = await started();
    const job = await getJson<MachineDetail>(`${base}/debug/machines/job/${JOB_NAME}`);
    expect(job).toMatchObject({ kind: 'job', name: JOB_NAME, state: 'Started' });
    expect((await fetch(`${base}/debug/machines/job/nope`)).status).toBe(404);
    expect((await fetch(`${base}/debug/machines/pod/${JOB_NAME}`)).status).toBe(404);
    expect((await fetch(`${base}/debug/machines/job/..%2F..%2Fetc`)).status).toBe(404);
    expect((await fetch(`${base}/debug/nothing`)).status).toBe(404);
  });

  it('draws the diagram with the active state marked, as SVG or Mermaid', async () => {
    const { base } = await started();
    const svg = await fetch(`${base}/debug/machines/job/${JOB_NAME}/diagram`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    const text = await svg.text();
    expect(text).toContain('<g class="state leaf active" data-path="Started.Running">');
    // The previous state of the last transition is marked too.
    expect(text).toMatch(/<g class="state leaf previous" data-path="Starting\.Launching\.Submitted">/);
    const mermaid = await fetch(`${base}/debug/machines/cluster/${CLUSTER_NAME}/diagram?format=mermaid`);
    expect(mermaid.headers.get('content-type')).toContain('text/plain');
    expect(await mermaid.text()).toContain('class Started,Started_Idle active');
  });
});

describe('GET /debug/', () => {
  it('serves the page and its script from the package with a strict policy', async () => {
    const { base } = await started();
    const page = await fetch(`${base}/debug/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script type="module" src="page.js"></script>');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("default-src 'none'");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    const script = await fetch(`${base}/debug/page.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const source = await script.text();
    expect(source).toContain("new EventSource('events')");
    expect(source).not.toMatch(/https?:\/\//);
    expect(source).not.toContain('innerHTML');
    const redirect = await fetch(`${base}/debug`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/debug/');
    const icon = await fetch(`${base}/debug/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(html).toContain('href="favicon.svg"');
  });

  it('allows no inline style without a hash', () => {
    expect(contentSecurityPolicy('<p>no style</p>')).toContain("style-src 'none'");
  });
});

describe('GET /debug/events', () => {
  it('streams the machines at once and again on every change', async () => {
    const { h, port } = await started();
    stream = await openEventStream(port);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    await eventually(() => (stream?.messages.length ?? 0) > 0, 5000, 'the first message');
    const jobState = (payload: MachinesPayload | undefined) =>
      payload?.machines.find((m) => m.kind === 'job')?.path;
    expect(jobState(stream.messages[0])).toBe('Started.Running');
    h.effects.set('awaitSavepoint', 'hold');
    await h.job.request('STOP');
    await h.job.observeRunning();
    await eventually(
      () => stream?.messages.some((m) => jobState(m) === 'Stopping.SavepointStop.Awaiting') ?? false,
      5000,
      'Stopping to be streamed',
    );
  });

  it('refuses streams beyond the limit', async () => {
    harness = machineHarness();
    server = await startDebugServer({ host: '127.0.0.1', port: 0, journal: harness.journal, maxStreams: 1 });
    stream = await openEventStream(server.port);
    const second = await rawRequest(server.port, '/debug/events');
    expect(second.status).toBe(503);
  });
});

describe('POST /debug/machines/:kind/:name/predict', () => {
  it('predicts a STOP without touching the live machine', async () => {
    const { h, base } = await started();
    const callsBefore = h.effects.calls.length;
    const response = await predict(base, { type: 'ACTION_REQUESTED', action: 'STOP' });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as Record<string, unknown>;
    expect(answer).toMatchObject({
      kind: 'job',
      from: 'Started.Running',
      to: 'Stopping.Idle',
      state: 'Stopping',
      stopped: ['savepointDue'],
    });
    expect(answer['changed']).toEqual(expect.arrayContaining(['stop', 'lastAction']));
    expect(h.job.value).toEqual({ Started: 'Running' });
    expect(h.job.context.pendingAction).toBeNull();
    expect(h.effects.calls.length).toBe(callsBefore);
  });

  it('completes an OBSERVED from the last observation and names the effects it would start', async () => {
    const { base } = await started();
    const response = await predict(base, { type: 'OBSERVED', observation: { flinkJob: 'FAILED' } });
    const answer = (await response.json()) as { to: string; event: { fields: { observation: unknown } } };
    expect(response.status).toBe(200);
    expect(answer.to.startsWith('Stopped')).toBe(true);
    expect(answer.event.fields.observation).toMatchObject({ flinkJob: 'FAILED', bootstrap: 'active' });
    const cluster = await predict(
      base,
      { type: 'OBSERVED', policy: { taskManagers: 3, rescalePolicy: 'None' } },
      CLUSTER_NAME,
      'cluster',
    );
    const scaled = (await cluster.json()) as { to: string; started: { id: string; input: unknown }[] };
    expect(scaled.to).toBe('Started.AddingTaskManagers');
    expect(scaled.started).toEqual([
      { id: 'addTaskManagers', src: 'scaleTaskManagers', input: expect.objectContaining({ desired: 3 }) },
    ]);
  });

  it('predicts effect outcomes only for effects the state runs', async () => {
    const { h, base } = await started();
    h.effects.set('awaitSavepoint', 'hold');
    await h.job.request('STOP');
    await h.job.observeRunning();
    expect(h.job.value).toEqual({ Stopping: { SavepointStop: 'Awaiting' } });
    const done = await predict(base, {
      type: 'xstate.done.actor.awaitSavepoint',
      output: { status: 'COMPLETED', location: 's3://savepoints/sp-2' },
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as { to: string }).to).toBe('Stopped.Idle');
    const wrong = await predict(base, { type: 'xstate.done.actor.createBootstrap' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toContain('no effect "createBootstrap"');
  });

  it('answers 400 for bad events, 415 for non-JSON and 404 for unknown machines', async () => {
    const { base, port } = await started();
    const bad = await predict(base, { type: 'ACTION_REQUESTED', action: 'EXPLODE' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('invalid ACTION_REQUESTED event');
    expect((await predict(base, { type: 'OBSERVED', observation: { flinkJob: 42 } })).status).toBe(400);
    expect((await predict(base, { type: 'DELETE_EVERYTHING' })).status).toBe(400);
    expect((await predict(base, { type: 'ACTION_REQUESTED', action: 'STOP' }, 'nope')).status).toBe(404);
    const form = await rawRequest(port, `/debug/machines/job/${JOB_NAME}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'event=STOP',
    });
    expect(form.status).toBe(415);
    const notJson = await rawRequest(port, `/debug/machines/job/${JOB_NAME}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    const huge = await rawRequest(port, `/debug/machines/job/${JOB_NAME}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: { type: 'OBSERVED', padding: 'x'.repeat(20_000) } }),
    });
    expect(huge.status).toBe(400);
  });
});

describe('request checks', () => {
  it('refuses Host names other than localhost and IP addresses (DNS rebinding)', async () => {
    const { port } = await started();
    expect(
      (await rawRequest(port, '/debug/machines', { headers: { host: 'evil.example:8090' } })).status,
    ).toBe(421);
    for (const host of ['localhost:8090', '127.0.0.7:8090', '[::1]:8090']) {
      expect((await rawRequest(port, '/debug/machines', { headers: { host } })).status, host).toBe(200);
    }
    expect(hostAllowed('supervisor.flink.svc', ['supervisor.flink.svc'])).toBe(true);
    expect(hostAllowed('app.localhost')).toBe(true);
    expect(hostAllowed('127.0.0.1.nip.io')).toBe(false);
  });

  it('allows only GET and HEAD besides predictions', async () => {
    const { port } = await started();
    const response = await rawRequest(port, '/debug/machines', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD');
  });

  it('sends no-store and nosniff everywhere, and leaves other paths to the next handler', async () => {
    const { base } = await started();
    const response = await fetch(`${base}/debug/machines`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const routes = createDebugRoutes({ journal: new MachineJournal() });
    expect(await routes.handle({ url: '/metrics', headers: {} } as never, {} as never)).toBe(false);
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
  });
});
