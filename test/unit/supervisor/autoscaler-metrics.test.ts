import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AutoscalerStatus } from '../../../src/api/autoscaler.ts';
import { recordAutoscalerPass } from '../../../src/supervisor/autoscaler-metrics.ts';
import { fleetSupervisorMetrics, supervisorMetrics } from '../../../src/supervisor/supervisor-metrics.ts';

const JOB = { namespace: 'shop', name: 'orders' };
const P = 'flinkvisor_supervisor_autoscaler';

const status = (fields: Partial<AutoscalerStatus> = {}): AutoscalerStatus => ({
  mode: 'act',
  current: 2,
  recommended: 2,
  reason: 'WithinTarget',
  message: 'holds',
  ...fields,
});

const override = (
  value: number,
  from: number,
  decidedAt: string,
): NonNullable<AutoscalerStatus['parallelism']> => ({
  value,
  basis: 2,
  from,
  reason: value > from ? 'ScaleUp' : 'ScaleDown',
  decidedAt,
});

/** name{labels} → value, for the autoscaler's series of a registry. */
async function series(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    if (!metric.name.startsWith(P)) continue;
    for (const v of metric.values) {
      const labels = Object.entries(v.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, l]) => `${k}=${String(l)}`)
        .join(',');
      out[`${metric.name.slice(P.length + 1)}{${labels}}`] = v.value;
    }
  }
  return out;
}

describe('the autoscaler decision metrics', () => {
  it('sets the gauges each pass and counts a decision when the reason or recommendation changes', async () => {
    const registry = new Registry();
    const { autoscaler } = supervisorMetrics(registry);
    const collecting = status({ reason: 'CollectingMetrics' });
    await recordAutoscalerPass(autoscaler, JOB, null, collecting);
    await recordAutoscalerPass(autoscaler, JOB, collecting, collecting);
    const pending = status({
      reason: 'ScaleUpPending',
      metrics: { samples: 3, windowSeconds: 30, utilization: 0.95 },
    });
    await recordAutoscalerPass(autoscaler, JOB, collecting, pending);
    expect(await series(registry)).toEqual({
      'current_parallelism{job=orders,namespace=shop}': 2,
      'recommended_parallelism{job=orders,namespace=shop}': 2,
      'utilization{job=orders,namespace=shop}': 0.95,
      'decisions_total{job=orders,namespace=shop,reason=CollectingMetrics}': 1,
      'decisions_total{job=orders,namespace=shop,reason=ScaleUpPending}': 1,
    });
  });

  it('counts each rescale act mode records once, by direction, and not again while it is applied', async () => {
    const registry = new Registry();
    const { autoscaler } = supervisorMetrics(registry);
    const upOverride = override(4, 2, '2026-12-07T12:00:00Z');
    const up = status({ reason: 'ScaleUp', recommended: 4, parallelism: upOverride });
    const rescaling = { ...up, reason: 'Rescaling' as const };
    const done = status({ current: 4, recommended: 4, parallelism: upOverride });
    const down = status({
      current: 4,
      recommended: 3,
      reason: 'ScaleDown',
      parallelism: override(3, 4, '2026-12-07T12:05:00Z'),
    });
    let before: AutoscalerStatus | null = status();
    for (const after of [up, rescaling, rescaling, done, down]) {
      await recordAutoscalerPass(autoscaler, JOB, before, after);
      before = after;
    }
    const s = await series(registry);
    expect(s['rescales_total{direction=up,job=orders,namespace=shop}']).toBe(1);
    expect(s['rescales_total{direction=down,job=orders,namespace=shop}']).toBe(1);
    expect(s['recommended_parallelism{job=orders,namespace=shop}']).toBe(3);
    expect(s['current_parallelism{job=orders,namespace=shop}']).toBe(4);
    expect(s['decisions_total{job=orders,namespace=shop,reason=Rescaling}']).toBe(1);
  });

  it('counts nothing again for the status a new leader starts from', async () => {
    const registry = new Registry();
    const { autoscaler } = supervisorMetrics(registry);
    const stored = status({
      reason: 'ScaleUp',
      recommended: 4,
      parallelism: override(4, 2, '2026-12-07T12:00:00Z'),
    });
    await recordAutoscalerPass(autoscaler, JOB, stored, stored);
    const s = await series(registry);
    expect(Object.keys(s).filter((k) => k.includes('_total'))).toEqual([]);
    expect(s['recommended_parallelism{job=orders,namespace=shop}']).toBe(4);
  });

  it('drops the gauges when the autoscaler is switched off, and every series when the job goes', async () => {
    const registry = new Registry();
    const { autoscaler } = supervisorMetrics(registry);
    const other = { namespace: 'shop', name: 'payments' };
    await recordAutoscalerPass(autoscaler, JOB, null, status());
    await recordAutoscalerPass(autoscaler, other, null, status());
    await recordAutoscalerPass(autoscaler, JOB, status(), null);
    expect(Object.keys(await series(registry)).filter((k) => k.includes('job=orders'))).toEqual([
      'decisions_total{job=orders,namespace=shop,reason=WithinTarget}',
    ]);
    await autoscaler.forgetJob(JOB.namespace, JOB.name);
    const left = Object.keys(await series(registry));
    expect(left.filter((k) => k.includes('job=orders'))).toEqual([]);
    expect(left.filter((k) => k.includes('job=payments'))).toHaveLength(3);
  });

  it('in fleet mode labels each series with the cluster too, and forgets a stopped cluster', async () => {
    const registry = new Registry();
    const fleet = fleetSupervisorMetrics(registry);
    const a = fleet.forCluster('shop', 'east');
    const b = fleet.forCluster('shop', 'west');
    await recordAutoscalerPass(a.autoscaler, JOB, null, status());
    await recordAutoscalerPass(b.autoscaler, JOB, null, status({ current: 3, recommended: 3 }));
    expect((await series(registry))['current_parallelism{cluster=west,job=orders,namespace=shop}']).toBe(3);
    await a.autoscaler.forgetJob(JOB.namespace, JOB.name);
    expect(Object.keys(await series(registry)).filter((k) => k.includes('cluster=east'))).toEqual([]);
    await fleet.forget('shop', 'west');
    expect(await series(registry)).toEqual({});
  });
});
