// The state visualizer in a real browser (Debian's chromium driven by playwright-core): the page
// of a debug server over real cluster and job machines shows the job Started, then, after a STOP,
// the path through Stopping to Stopped without a reload. Screenshots go to test-results/. No Flink runs
// here (the machines' effects are in-process fakes), so FLINKVISOR_E2E_FLINK does not apply.
//
// Needs: `apt-get install -y chromium` (/usr/bin/chromium) and the playwright-core devDependency.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDebugServer } from '../../src/visualizer/debug-server.ts';
import type { DebugServer } from '../../src/visualizer/debug-server.ts';
import { CLUSTER_NAME, eventually, JOB_NAME, machineHarness } from '../unit/visualizer/harness.ts';
import type { MachineHarness } from '../unit/visualizer/harness.ts';
import { ARTIFACTS, launchBrowser, until, WAIT_MS, type BrowserContext } from '../support/browser.ts';

/** A promise the test resolves by hand: an effect in flight until the test lets it finish. */
function gate<T>() {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('state visualizer in a browser', () => {
  let harness: MachineHarness;
  let server: DebugServer;
  let context: BrowserContext;
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    harness = machineHarness();
    await harness.cluster.start();
    await harness.job.start();
    server = await startDebugServer({
      host: '127.0.0.1',
      port: 0,
      journal: harness.journal,
      machines: harness.source,
      supervisor: { namespace: 'flink', cluster: CLUSTER_NAME },
    });
    browser = await launchBrowser();
    context = browser.context;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    harness?.stop();
  });

  it('shows the job Started, then its path through Stopping to Stopped without a reload', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    let navigations = 0;
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    page.on('framenavigated', () => {
      navigations += 1;
    });
    await page.goto(`${base}/debug/`);

    const job = page.locator(`section.machine[data-kind="job"][data-name="${JOB_NAME}"]`);
    const cluster = page.locator(`section.machine[data-kind="cluster"][data-name="${CLUSTER_NAME}"]`);
    const badge = job.locator('[data-field="state"]');
    const badgeIs = (state: string) =>
      until(`the job to show ${state}`, async () => (await badge.textContent()) === state);
    const diagram = job.locator('img[data-field="diagram"]');
    const diagramShows = (path: string) =>
      until(
        `the diagram of ${path}`,
        async () =>
          (await diagram.getAttribute('data-version'))?.startsWith(`${path}#`) === true &&
          (await diagram.getAttribute('data-loaded')) === 'true',
      );
    await badgeIs('Started');
    expect(await job.locator('[data-field="path"]').textContent()).toBe('Started.Running');
    expect(await cluster.locator('[data-field="state"]').textContent()).toBe('Started');
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('live');
    const jobId = harness.job.context.jobId ?? '';
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    expect(await job.locator('[data-field="facts"]').textContent()).toContain(jobId);
    expect(await job.locator('.countdown').allTextContents()).toEqual([
      expect.stringMatching(/^in (59m|1h)/),
    ]);
    await diagramShows('Started.Running');
    await page.screenshot({ path: join(ARTIFACTS, 'visualizer-job-started.png'), fullPage: true });
    const navigationsBefore = navigations;
    await page.evaluate(() => {
      (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage = true;
    });

    // "What would happen": asks the pure machine, changes nothing.
    await job.locator('form[data-field="whatif"] select').selectOption('STOP');
    await job.locator('form[data-field="whatif"] button').click();
    const prediction = job.locator('[data-field="prediction"]');
    await until('the prediction', async () =>
      ((await prediction.textContent()) ?? '').includes('Stopping.Idle'),
    );
    expect(await prediction.textContent()).toContain('STOP requested: Started.Running → Stopping.Idle');
    expect(harness.job.value).toEqual({ Started: 'Running' });

    // kubectl annotate ... requested-action=STOP, as the supervisor hands it to the machine.
    const savepoint = gate<{ status: 'COMPLETED'; location: string }>();
    harness.effects.set('awaitSavepoint', () => savepoint.promise);
    await harness.job.request('STOP');
    await harness.job.observeRunning();
    expect(harness.job.value).toEqual({ Stopping: { SavepointStop: 'Awaiting' } });
    await badgeIs('Stopping');
    expect(await job.locator('[data-field="path"]').textContent()).toBe('Stopping.SavepointStop.Awaiting');
    // The stop-with-savepoint trigger id is in the context the page shows.
    const triggerId = harness.job.context.stop?.triggerId ?? '';
    expect(triggerId).not.toBe('');
    expect(await job.locator('[data-field="facts"]').textContent()).toContain(triggerId);

    savepoint.open({ status: 'COMPLETED', location: 's3://savepoints/sp-stopped' });
    await eventually(
      () => JSON.stringify(harness.job.value) === '{"Stopped":"Idle"}',
      WAIT_MS,
      'the job to stop',
    );
    await badgeIs('Stopped');
    await diagramShows('Stopped.Idle');
    const rows = await job.locator('tbody[data-field="transitions"] tr').allTextContents();
    const targets: (string | null)[] = [];
    for (const row of await job.locator('tbody[data-field="transitions"] tr').all()) {
      targets.unshift(await row.getAttribute('data-to'));
    }
    const fromStarted = targets.slice(targets.indexOf('Started.Running'));
    expect(fromStarted).toEqual([
      'Started.Running',
      'Stopping.Idle',
      'Stopping.SavepointStop.Recording',
      'Stopping.SavepointStop.Requesting',
      'Stopping.SavepointStop.Awaiting',
      'Stopped.Idle',
    ]);
    expect(rows[0]).toContain('done(awaitSavepoint)');
    expect(rows[0]).toContain('Stopping.Done');
    expect(rows.find((row) => row.includes('STOP requested'))).toContain('Started.Running');
    expect(await job.locator('[data-field="facts"]').textContent()).toContain('s3://savepoints/sp-stopped');
    await page.screenshot({ path: join(ARTIFACTS, 'visualizer-job-stopped.png'), fullPage: true });

    // No reload happened, nothing came from anywhere but the supervisor, nothing broke.
    expect(await page.evaluate(() => (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(
      true,
    );
    expect(navigations).toBe(navigationsBefore);
    expect(requests.filter((url) => !url.startsWith(`${base}/debug/`))).toEqual([]);
    expect(problems).toEqual([]);
    expect(harness.errors).toEqual([]);
    expect(await badge.getAttribute('data-state')).toBe('Stopped');
  });
});
