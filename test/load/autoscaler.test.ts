// The autoscaler's load test (npm run test:load:autoscaler; not in the default run: about 15
// minutes of real Flink). A real load job (test/fixtures/jobs/load/LoadJob.java, compiled into the
// per-user cache) reads its input rate from a file the test rewrites; its "work" vertex spends a
// fixed time per record, so its busy time follows the rate. On the real control plane and real
// Flink with the adaptive scheduler, the autoscaler in act mode with targetUtilization 0.7:
// raising the rate scales the job up, lowering it scales it down after the down grace, never
// outside [minParallelism, maxParallelism], without flapping. The test asserts the decisions and
// the bounds, not the timings; it prints the decisions timeline and the time from each load change
// to the new parallelism running (docs/autoscaler.md publishes them). The Flink line comes from
// FLINKVISOR_E2E_FLINK like the lifecycle e2e files' (test/support/e2e-flink.ts; default 1.20):
// npm run test:load:autoscaler:flink2 runs it on 2.3.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../src/devenv/prepare.ts';
import { consoleProgress } from '../../src/devenv/progress.ts';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { e2eFlink } from '../support/e2e-flink.ts';
import {
  JOBS,
  createResource,
  deploySupervisor,
  flinkClusterManifest,
  flinkJobManifest,
  readResource,
  startSupervisedEnvironment,
  supervisedNamespace,
  waitForStatus,
  type SupervisedEnvironment,
} from '../support/flinkvisor-e2e.ts';
import { javaJobJar } from '../support/java-job.ts';

const flink = e2eFlink();
const ns = 'load-autoscaler';
const cluster = 'ld';
/** Microseconds the work vertex spends per record: its busy fraction is rate × this / 10⁶ / parallelism. */
const WORK_US = 2000;
/** 0.2 of one subtask: below the band at the minimum parallelism 2. */
const LOW_RATE = 100;
/** 3.6 subtasks' worth: two subtasks saturate (2 → 3), three too (3 → 4, the maximum), four run at 0.9. */
const HIGH_RATE = 1800;
// The source vertex runs at parallelism 1, below the minimum: only the work vertex is ever scalable.
const MIN = 2;
const MAX = 4;
const MINUTE = 60_000;

let s: SupervisedEnvironment;
let rateFile: string;
let jar: string;
/** Set when the test passed: a failed run keeps the environment's directory (the pods' logs). */
let passed = false;

const setRate = (rate: number) => writeFile(rateFile, `${rate}\n`);

/** One change of what status says: the decision (reason, recommendation) or the running parallelism. */
interface Observed {
  readonly at: number;
  readonly running: number;
  readonly reason: string;
  readonly recommended: number;
  readonly utilization: number | undefined;
  readonly message: string;
  /** status.autoscaler.parallelism: the latest rescale act mode recorded. */
  readonly rescale: { readonly from: number; readonly value: number; readonly decidedAt: string } | undefined;
}

/** Polls the FlinkJob's status every second and keeps each change, with its time. */
class Timeline {
  readonly seen: Observed[] = [];
  readonly marks: { at: number; what: string }[] = [];
  #stopped = false;
  #loop: Promise<void> | null = null;

  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  start(): void {
    this.#loop = (async () => {
      while (!this.#stopped) {
        const r = await readResource(s.kc, JOBS, ns, this.#name).catch(() => undefined);
        const st = r?.status ?? {};
        const a = st['autoscaler'] as Record<string, unknown> | undefined;
        if (a && st['jobStatus'] === 'RUNNING') {
          const o: Observed = {
            at: Date.now(),
            running: Number(st['jobParallelism']),
            reason: String(a['reason']),
            recommended: Number(a['recommended']),
            utilization: (a['metrics'] as Record<string, number> | undefined)?.['utilization'],
            message: String(a['message']),
            rescale: a['parallelism'] as Observed['rescale'],
          };
          const last = this.seen.at(-1);
          if (
            !last ||
            last.running !== o.running ||
            last.reason !== o.reason ||
            last.recommended !== o.recommended
          )
            this.seen.push(o);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
  }

  mark(what: string): number {
    const at = Date.now();
    this.marks.push({ at, what });
    return at;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** The timeline as a table, times from the first mark. */
  render(): string {
    const t0 = this.marks[0]?.at ?? this.seen[0]?.at ?? 0;
    const mmss = (at: number) => {
      const sec = Math.round((at - t0) / 1000);
      return `${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}`;
    };
    const rows = [
      ...this.marks.map((m) => ({ at: m.at, text: `| ${mmss(m.at)} | **${m.what}** | | | |` })),
      ...this.seen.map((o) => ({
        at: o.at,
        text: `| ${mmss(o.at)} | ${o.reason} | ${o.running} | ${o.recommended} | ${o.utilization ?? ''} |`,
      })),
    ].sort((a, b) => a.at - b.at);
    return ['| t | decision | running | recommended | utilization |', '| - | - | - | - | - |']
      .concat(rows.map((r) => r.text))
      .join('\n');
  }
}

beforeAll(async () => {
  s = await startSupervisedEnvironment({ keepDir: true });
  const distribution = s.env.assets.flink[flink.line];
  if (!distribution) throw new Error(`no Flink ${flink.line} in the devenv`);
  jar = await javaJobJar(
    {
      name: 'load-job',
      source: join(PROJECT_ROOT, 'test', 'fixtures', 'jobs', 'load', 'LoadJob.java'),
      mainClass: 'LoadJob',
      purpose: "the load job of the autoscaler's load test",
    },
    distribution,
    defaultCacheDir(process.env),
    consoleProgress((l) => process.stderr.write(`${l}\n`)),
  );
  rateFile = join(s.stateDir, 'load-rate');
  await setRate(LOW_RATE);
  await supervisedNamespace(s.kc, ns);
  await createResource(
    s.kc,
    flinkClusterManifest(ns, cluster, {
      flinkImage: flink.image,
      rescalePolicy: 'None',
      taskManagers: 1,
      taskSlots: 4,
      flinkConfiguration: {
        'jobmanager.scheduler': 'adaptive',
        // Rescale soon after a change (the defaults wait 30 s or more): 1.20's names, then 2.x's.
        'jobmanager.adaptive-scheduler.scaling-interval.min': '5s',
        'jobmanager.adaptive-scheduler.resource-stabilization-timeout': '2s',
        'jobmanager.adaptive-scheduler.executing.cooldown-after-rescaling': '5s',
        'jobmanager.adaptive-scheduler.executing.resource-stabilization-timeout': '2s',
        'jobmanager.adaptive-scheduler.rescale-trigger.max-delay': '5s',
      },
    }),
  );
  await deploySupervisor(s.kc, ns, cluster);
});

afterAll(async () => {
  if (!s) return;
  await s.stop();
  // Fifteen minutes are too many to run again for the logs of a failure: they stay.
  if (passed) await rm(s.env.dir, { recursive: true, force: true });
  else process.stderr.write(`autoscaler load test failed; its environment is kept in ${s.env.dir}\n`);
});

describe(`the autoscaler under a real load (Flink ${flink.version}, adaptive scheduler)`, () => {
  it('scales up when the rate rises, down after the grace when it falls, within bounds, without flapping', async () => {
    const manifest = flinkJobManifest(ns, cluster, 'load', s.stateDir, {
      parallelism: MIN,
      line: flink.line,
    });
    Object.assign(manifest.spec.bootstrap, {
      jarPath: jar,
      className: 'LoadJob',
      arguments: ['--rate-file', rateFile, '--work-us', String(WORK_US)],
    });
    (manifest.spec as Record<string, unknown>)['autoscaler'] = {
      enabled: true,
      mode: 'act',
      targetUtilization: '0.7',
      targetUtilizationBoundary: '0.1',
      minParallelism: MIN,
      maxParallelism: MAX,
      // Short, so the run takes minutes: production wants 5m windows and longer graces.
      metricsWindow: '60s',
      stabilizationInterval: '30s',
      scaleUpGracePeriod: '30s',
      scaleDownGracePeriod: '2m',
      maxRescalesPerHour: 10,
    };
    await createResource(s.kc, manifest);
    const job = manifest.metadata.name;
    const timeline = new Timeline(job);
    const until = (what: string, p: (st: Record<string, unknown>) => boolean, timeoutMs: number) =>
      waitForStatus(s.kc, JOBS, ns, job, what, p, timeoutMs, 1000);
    const autoscaler = (st: Record<string, unknown>) => (st['autoscaler'] ?? {}) as Record<string, unknown>;

    await until(
      `RUNNING at ${MIN}`,
      (st) => st['jobStatus'] === 'RUNNING' && st['jobParallelism'] === MIN,
      4 * MINUTE,
    );
    timeline.start();
    timeline.mark(`rate ${LOW_RATE}/s`);
    // A full window at the low rate: the job runs at the minimum, nothing to do.
    await until(
      'a decision at the low rate',
      (st) => ['AtBound', 'WithinTarget'].includes(String(autoscaler(st)['reason'])),
      4 * MINUTE,
    );

    await setRate(HIGH_RATE);
    const raised = timeline.mark(`rate ${HIGH_RATE}/s`);
    await until(
      `scaled up, running at more than ${MIN}`,
      (st) => st['jobStatus'] === 'RUNNING' && Number(st['jobParallelism']) > MIN,
      6 * MINUTE,
    );
    const firstUp = Date.now() - raised;
    await until(
      `running at the maximum ${MAX}`,
      (st) => st['jobStatus'] === 'RUNNING' && st['jobParallelism'] === MAX,
      8 * MINUTE,
    );
    const fullUp = Date.now() - raised;
    // Held at the high rate for two windows: no scale-down while the load is high.
    await new Promise((resolve) => setTimeout(resolve, 2 * MINUTE));

    await setRate(LOW_RATE);
    const lowered = timeline.mark(`rate ${LOW_RATE}/s`);
    await until(
      'scaled down, running at less than the maximum',
      (st) => st['jobStatus'] === 'RUNNING' && Number(st['jobParallelism']) < MAX,
      8 * MINUTE,
    );
    const firstDown = Date.now() - lowered;
    await until(
      `back at the minimum ${MIN}`,
      (st) => st['jobStatus'] === 'RUNNING' && st['jobParallelism'] === MIN,
      8 * MINUTE,
    );
    const fullDown = Date.now() - lowered;
    // Two windows more at the low rate: it stays (no flapping back up).
    await new Promise((resolve) => setTimeout(resolve, 2 * MINUTE));
    timeline.mark('end');
    await timeline.stop();
    const final = await readResource(s.kc, JOBS, ns, job);

    const seen = timeline.seen;
    process.stderr.write(
      `\nautoscaler load test timeline (t from the first mark):\n${timeline.render()}\n` +
        `load raised → first scale-up running: ${Math.round(firstUp / 1000)}s, → ${MAX} running: ${Math.round(fullUp / 1000)}s\n` +
        `load lowered → first scale-down running: ${Math.round(firstDown / 1000)}s, → ${MIN} running: ${Math.round(fullDown / 1000)}s\n`,
    );

    // Never outside the bounds: neither what ran nor what was decided.
    for (const o of seen) {
      expect(o.running).toBeGreaterThanOrEqual(MIN);
      expect(o.running).toBeLessThanOrEqual(MAX);
      expect(o.recommended).toBeLessThanOrEqual(MAX);
      if (o.reason !== 'NotRunning') expect(o.recommended).toBeGreaterThanOrEqual(MIN);
    }
    // The rescales recorded (status.autoscaler.parallelism, one per decision): up only while the
    // rate was high, down only once it was low again.
    const decided = new Map<string, NonNullable<Observed['rescale']>>();
    for (const o of seen) if (o.rescale) decided.set(o.rescale.decidedAt, o.rescale);
    const rescales = [...decided.values()].map((r) => ({ ...r, at: Date.parse(r.decidedAt) }));
    const ups = rescales.filter((r) => r.value > r.from);
    const downs = rescales.filter((r) => r.value < r.from);
    expect(ups.length + downs.length).toBe(rescales.length);
    expect(ups.length).toBeGreaterThanOrEqual(1);
    expect(downs.length).toBeGreaterThanOrEqual(1);
    for (const up of ups) {
      expect(up.at).toBeGreaterThan(raised);
      expect(up.at).toBeLessThan(lowered);
    }
    for (const down of downs) expect(down.at).toBeGreaterThan(lowered);
    for (const r of rescales) {
      expect(r.value).toBeGreaterThanOrEqual(MIN);
      expect(r.value).toBeLessThanOrEqual(MAX);
    }
    // No flapping: the parallelism that ran rose, then fell, and changed direction once.
    const runs = seen.map((o) => o.running).filter((p, i, all) => i === 0 || p !== all[i - 1]);
    const peak = runs.indexOf(Math.max(...runs));
    expect(runs.slice(0, peak + 1)).toEqual([...runs.slice(0, peak + 1)].sort((a, b) => a - b));
    expect(runs.slice(peak)).toEqual([...runs.slice(peak)].sort((a, b) => b - a));
    expect(runs[0]).toBe(MIN);
    expect(Math.max(...runs)).toBe(MAX);
    expect(runs.at(-1)).toBe(MIN);
    // One rescale per change of the running parallelism: none decided twice, none lost.
    expect(rescales).toHaveLength(runs.length - 1);
    // The scale-down waited for its grace: pending first, for at least scaleDownGracePeriod.
    const pendingDown = seen.find((o) => o.reason === 'ScaleDownPending' && o.at > lowered);
    const firstDownAt = Math.min(...downs.map((d) => d.at));
    expect(pendingDown).toBeDefined();
    if (pendingDown) expect(firstDownAt - pendingDown.at).toBeGreaterThanOrEqual(2 * MINUTE - 5_000);
    expect(final?.status?.['jobParallelism']).toBe(MIN);
    passed = true;
  });
});
