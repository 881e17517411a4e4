import { describe, expect, it } from 'vitest';
import { createDebugRoutes } from '../../../src/visualizer/debug-routes.ts';
import { AUTOSCALER_DECISION, MachineJournal } from '../../../src/visualizer/machine-journal.ts';
import { jobSnapshot, runningJobContext } from '../machines/support.ts';

// The autoscaler's decisions join the job's timeline beside its machine's transitions: each keeps
// the state, says the reason and the parallelism change, and carries its numbers for the tooltip.

describe("the visualizer's timeline of autoscaler decisions", () => {
  it('adds each decision to the running job, in order with its transitions, and serves it', () => {
    let now = 1_000;
    const journal = new MachineJournal({ now: () => now });
    journal.record('job', 'orders', jobSnapshot({ Started: 'Running' }, runningJobContext()));
    now += 30_000;
    journal.noteAutoscalerDecision('orders', {
      mode: 'act',
      reason: 'ScaleUpPending',
      current: 1,
      recommended: 1,
      message: 'busiest vertex Map at 95% (target 70% ± 10%): scale up from 1 to 2 once this holds 30s',
      utilization: 0.95,
    });
    now += 30_000;
    journal.noteAutoscalerDecision('orders', {
      mode: 'act',
      reason: 'ScaleUp',
      current: 1,
      recommended: 2,
      message: 'busiest vertex Map at 96% (target 70% ± 10%): scale up from 1 to 2',
      utilization: 0.96,
    });
    const transitions = journal.entry('job', 'orders')?.transitions ?? [];
    expect(transitions.map((t) => [t.seq, t.event.label, t.from, t.to])).toEqual([
      [1, 'snapshot', '', 'Started.Running'],
      [2, 'autoscaler ScaleUpPending', 'Started.Running', 'Started.Running'],
      [3, 'autoscaler ScaleUp 1 → 2', 'Started.Running', 'Started.Running'],
    ]);
    expect(transitions[2]).toMatchObject({
      at: 61_000,
      event: {
        type: AUTOSCALER_DECISION,
        fields: { mode: 'act', reason: 'ScaleUp', current: 1, recommended: 2, utilization: 0.96 },
      },
    });
    const served = createDebugRoutes({ journal }).payload().machines[0]?.transitions ?? [];
    expect(served.map((t) => t.event.label)).toContain('autoscaler ScaleUp 1 → 2');
  });

  it('scrubs credential-looking text out of the message and shows no change while the job does not run', () => {
    const journal = new MachineJournal();
    journal.record('job', 'orders', jobSnapshot({ Started: 'Running' }, runningJobContext()));
    journal.noteAutoscalerDecision('orders', {
      mode: 'recommend',
      reason: 'NotRunning',
      current: 0,
      recommended: 0,
      message: 'the job is not running: password=hunter2',
    });
    const last = journal.entry('job', 'orders')?.transitions.at(-1);
    expect(last?.event.label).toBe('autoscaler NotRunning');
    expect(String(last?.event.fields['message'])).not.toContain('hunter2');
    expect(last?.event.fields).not.toHaveProperty('utilization');
  });

  it('notes nothing for a job the journal has not seen', () => {
    const journal = new MachineJournal();
    let changes = 0;
    journal.subscribe(() => (changes += 1));
    journal.noteAutoscalerDecision('unknown', {
      mode: 'act',
      reason: 'WithinTarget',
      current: 2,
      recommended: 2,
      message: 'holds',
    });
    expect(journal.entries()).toEqual([]);
    expect(changes).toBe(0);
  });
});
