// The state visualizer of a real supervisor pod (issue 10): the page shows the job Started; after
// requested-action=STOP it shows the path through Stopping to Stopped without a reload; a
// screenshot is saved; no token appears in the page or its JSON.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JOBS,
  clusterPods,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  readResource,
  requestAction,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  waitForTasksRunning,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { e2eFlink } from '../support/e2e-flink.ts';
import { ARTIFACTS, launchBrowser, until, type BrowserContext } from '../support/browser.ts';

let s: SupervisedEnvironment;
let browser: { context: BrowserContext; close(): Promise<void> };
const ns = 'e2e-visualizer';
const cluster = 'viz';
const job = `${cluster}-speed`;
const flinkUnderTest = e2eFlink();

beforeAll(async () => {
  s = await startSupervisedEnvironment();
  await supervisedNamespace(s.kc, ns);
  await createResource(s.kc, flinkClusterManifest(ns, cluster, { taskSlots: 2 }));
  await createResource(s.kc, flinkJobManifest(ns, cluster, 'speed', s.stateDir));
  await deploySupervisor(s.kc, ns, cluster);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await s?.stop();
});

describe(`the visualizer of a running supervisor (Flink ${flinkUnderTest.version})`, () => {
  it('shows the job Started, then Stopping and Stopped after a STOP, live', async () => {
    const running = await waitForStatus(
      s.kc,
      JOBS,
      ns,
      job,
      'running',
      (st) => st['jobStatus'] === 'RUNNING',
    );
    await waitForTasksRunning(s, ns, cluster, String(running.status?.['jobId']));
    // The debug port binds `localhost` inside the pod: its own address (what port-forward reaches).
    const [sup] = await clusterPods(s.kc, ns, cluster, 'supervisor');
    const base = `http://${sup?.status?.podIP}:8090`;
    const page = await browser.context.newPage();
    let navigations = 0;
    page.on('framenavigated', () => {
      navigations += 1;
    });
    await page.goto(`${base}/debug/`);
    const card = page.locator(`section.machine[data-kind="job"][data-name="${job}"]`);
    const badge = card.locator('[data-field="state"]');
    await until('the job shown Started', async () => (await badge.textContent()) === 'Started');
    await page.screenshot({ path: join(ARTIFACTS, 'visualizer-supervisor-started.png'), fullPage: true });
    const before = navigations;

    await requestAction(s.kc, JOBS, ns, job, 'STOP');
    const seen = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !seen.has('Stopped')) {
      seen.add((await badge.textContent()) ?? '');
      await new Promise((r) => setTimeout(r, 100));
    }
    const targets: string[] = [];
    for (const row of await card.locator('tbody[data-field="transitions"] tr').all())
      targets.unshift((await row.getAttribute('data-to')) ?? '');
    expect(targets.some((t) => t.startsWith('Stopping'))).toBe(true);
    expect(targets.at(-1)).toMatch(/^Stopped/);
    expect(seen.has('Stopped')).toBe(true);
    expect(navigations).toBe(before);
    await page.screenshot({ path: join(ARTIFACTS, 'visualizer-supervisor-stopped.png'), fullPage: true });

    // No secret reaches the page or the JSON: not the admin token, not the pod's ServiceAccount token.
    const json = await (await fetch(`${base}/debug/machines`)).text();
    const html = await (await fetch(`${base}/debug/`)).text();
    const jobJson = await (await fetch(`${base}/debug/machines/job/${job}`)).text();
    for (const text of [json, html, jobJson]) {
      expect(text).not.toContain(s.env.controlPlane.adminToken);
      expect(text).not.toMatch(/eyJhbGciOi/); // a JWT (ServiceAccount token)
    }
    expect((await readResource(s.kc, JOBS, ns, job))?.status?.['supervisorStatus']).toBe('Stopped');
  });
});
