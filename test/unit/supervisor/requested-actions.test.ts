// The requested-action annotation against an in-memory API server: stamped with its identity,
// handed to the machine, cleared once recorded; an unknown action is refused with a condition.
import { describe, expect, it } from 'vitest';
import { requestAlreadySeen } from '../../../src/machines/shared-context.ts';
import {
  ANNOTATIONS,
  FLINK_JOB,
  hasRequestAnnotation,
  requestAnnotationKeys,
  TOOLBOX_ANNOTATIONS,
} from '../../../src/api/names.ts';
import type { CustomObject } from '../../../src/kube/custom-resource-client.ts';
import type { ActionRequestedEvent } from '../../../src/machines/observations.ts';
import {
  parseActionStamp,
  withSaneActionTimes,
  takeRequestedAction,
  type ActionTarget,
} from '../../../src/supervisor/requested-actions.ts';
import type { InvalidAction, ReportedContext } from '../../../src/supervisor/resource-host.ts';
import { InMemoryCustomResources } from '../../support/in-memory-custom-resources.ts';

const NS = 'flink';
const NOW = 1_800_000_000_000;

function setup(annotations: Record<string, string>, records = true, recorded: Partial<ReportedContext> = {}) {
  const resources = new InMemoryCustomResources();
  const raw = resources.put(FLINK_JOB, NS, { metadata: { name: 'orders', annotations } });
  const sent: ActionRequestedEvent[] = [];
  const events: [string, string, string][] = [];
  const refused: InvalidAction[] = [];
  let statusWrites = 0;
  let context: ReportedContext = { notice: null, lastAction: null, pendingAction: null, ...recorded };
  const target = (obj: CustomObject): ActionTarget => ({
    kind: FLINK_JOB,
    raw: obj,
    send: (event) => {
      sent.push(event);
      if (records) {
        const { action, withoutSavepoint, requestedAt } = event;
        context = { ...context, pendingAction: { action, withoutSavepoint, requestedAt } };
      }
    },
    context: () => context,
    refuse: (invalid) => refused.push(invalid),
    event: (type, reason, message) => events.push([type, reason, message]),
    writeStatus: async () => {
      statusWrites++;
    },
  });
  let metadataWrites = 0;
  const ports = {
    resources,
    namespace: NS,
    metadataWritten: () => metadataWrites++,
    debug: () => undefined,
  };
  /** One pass, reading the object as the cache holds it (`cached`), or as stored now. */
  const take = async (cached?: CustomObject) => {
    const current = cached ?? (await resources.get(FLINK_JOB, NS, 'orders')) ?? raw;
    return takeRequestedAction(ports, target(current), NOW);
  };
  const annotationsNow = async () =>
    (await resources.get(FLINK_JOB, NS, 'orders'))?.metadata.annotations ?? {};
  return {
    resources,
    sent,
    events,
    refused,
    take,
    annotationsNow,
    statusWrites: () => statusWrites,
    metadataWrites: () => metadataWrites,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Stamps that are no time of a request: absurd, negative, fractional, far ahead, or before 2020. */
const ABSURD_STAMPS = [
  '1e300',
  '-5',
  '1.5',
  String(NOW + DAY_MS),
  '9'.repeat(400),
  String(Date.UTC(2019, 11, 31)),
  '5',
];

describe('parseActionStamp', () => {
  it('reads `<ms>` and `<ms>:<ACTION>`, and nothing else', () => {
    expect(parseActionStamp('1700000000000', NOW)).toEqual({ at: 1_700_000_000_000 });
    expect(parseActionStamp('1700000000000:stop', NOW)).toEqual({ at: 1_700_000_000_000, action: 'STOP' });
    expect(parseActionStamp(undefined, NOW)).toBeUndefined();
    expect(parseActionStamp('', NOW)).toBeUndefined();
    expect(parseActionStamp('yesterday', NOW)).toBeUndefined();
    expect(parseActionStamp('-5', NOW)).toBeUndefined();
  });

  it('takes only a safe integer from 2020 on, at most ten minutes ahead of now', () => {
    for (const stamp of ABSURD_STAMPS) {
      expect(parseActionStamp(stamp, NOW), stamp).toBeUndefined();
      expect(parseActionStamp(`${stamp}:STOP`, NOW), `${stamp}:STOP`).toBeUndefined();
    }
    expect(parseActionStamp(`${NOW + 10 * 60 * 1000}:STOP`, NOW)).toEqual({
      at: NOW + 10 * 60 * 1000,
      action: 'STOP',
    });
    expect(parseActionStamp(`${NOW + 10 * 60 * 1000 + 1}:STOP`, NOW)).toBeUndefined();
    expect(parseActionStamp(String(Date.UTC(2020, 0, 1)), NOW)).toEqual({ at: Date.UTC(2020, 0, 1) });
  });
});

describe('takeRequestedAction', () => {
  it('does nothing without a request', async () => {
    const t = setup({});
    expect(await t.take()).toBe('none');
    expect(await setup({ [ANNOTATIONS.requestedAction]: 'NONE' }).take()).toBe('none');
    expect(t.resources.writes).toEqual([]);
  });

  it('stamps a request that has no identity yet, and sends nothing', async () => {
    const t = setup({ [ANNOTATIONS.requestedAction]: 'STOP' });
    expect(await t.take()).toBe('stamped');
    expect(t.sent).toEqual([]);
    expect((await t.annotationsNow())[ANNOTATIONS.actionTimestamp]).toBe(`${NOW}:STOP`);
    expect(t.metadataWrites()).toBe(1);
  });

  it('restamps a stamp left by an earlier request for another action', async () => {
    const t = setup({
      [ANNOTATIONS.requestedAction]: 'START',
      [ANNOTATIONS.actionTimestamp]: `${NOW - 5000}:STOP`,
    });
    expect(await t.take()).toBe('stamped');
    expect((await t.annotationsNow())[ANNOTATIONS.actionTimestamp]).toBe(`${NOW}:START`);
  });

  it.each(ABSURD_STAMPS)(
    'replaces the stamp %s with its own time, says so in a Warning Event, and sends nothing',
    async (stamp) => {
      const t = setup({
        [ANNOTATIONS.requestedAction]: 'STOP',
        [ANNOTATIONS.actionTimestamp]: `${stamp}:STOP`,
      });
      expect(await t.take()).toBe('stamped');
      expect(t.sent).toEqual([]);
      expect((await t.annotationsNow())[ANNOTATIONS.actionTimestamp]).toBe(`${NOW}:STOP`);
      expect(t.events.map(([type, reason]) => [type, reason])).toEqual([
        ['Warning', 'ActionTimestampReplaced'],
      ]);
      // The next pass takes the request with the supervisor's stamp.
      expect(await t.take()).toBe('recorded');
      expect(t.sent.map((e) => e.requestedAt)).toEqual([NOW]);
    },
  );

  it('hands a stamped request to the machine; once recorded, writes status and clears the annotations', async () => {
    const t = setup({
      [ANNOTATIONS.requestedAction]: 'stop',
      [ANNOTATIONS.withoutSavepoint]: 'true',
      [ANNOTATIONS.actionTimestamp]: `${NOW - 1000}:STOP`,
    });
    expect(await t.take()).toBe('recorded');
    expect(t.sent).toEqual([
      { type: 'ACTION_REQUESTED', at: NOW, action: 'STOP', withoutSavepoint: true, requestedAt: NOW - 1000 },
    ]);
    expect(t.statusWrites()).toBe(1);
    const after = await t.annotationsNow();
    expect(after[ANNOTATIONS.requestedAction]).toBeUndefined();
    expect(after[ANNOTATIONS.withoutSavepoint]).toBeUndefined();
    expect(after[ANNOTATIONS.actionTimestamp]).toBeUndefined();
  });

  it('clears the annotations even when status writes change the object between the read and the write', async () => {
    const t = setup({
      [ANNOTATIONS.requestedAction]: 'STOP',
      [ANNOTATIONS.actionTimestamp]: `${NOW - 1000}`,
    });
    // Every write attempt meets a fresh status write first (the machine reporting its stop): a
    // resourceVersion precondition would lose every time; the annotations' own values decide.
    t.resources.beforePatch = () => {
      const current = t.resources.objects.get(`${FLINK_JOB.plural}/${NS}/orders`)!;
      void t.resources.replaceStatus(FLINK_JOB, NS, 'orders', current.metadata.resourceVersion ?? '', {
        supervisorStatus: 'Stopping',
      });
    };
    expect(await t.take()).toBe('recorded');
    expect(await t.annotationsNow()).toEqual({});
    expect(t.metadataWrites()).toBe(1);
  });

  it('keeps the annotations while the machine has not recorded the request', async () => {
    const t = setup(
      { [ANNOTATIONS.requestedAction]: 'STOP', [ANNOTATIONS.actionTimestamp]: `${NOW}` },
      false,
    );
    expect(await t.take()).toBe('sent');
    expect(t.statusWrites()).toBe(0);
    expect((await t.annotationsNow())[ANNOTATIONS.requestedAction]).toBe('STOP');
  });

  it('a request stamped earlier than the last one taken (a clock behind) is not counted as recorded until the machine records it (K1)', async () => {
    const lastAction = {
      action: 'STOP' as const,
      withoutSavepoint: false,
      requestedAt: NOW + 60_000,
      outcome: 'accepted' as const,
      reason: 'accepted',
      at: NOW + 60_000,
    };
    const t = setup(
      { [ANNOTATIONS.requestedAction]: 'START', [ANNOTATIONS.actionTimestamp]: `${NOW}:START` },
      false,
      { lastAction },
    );
    expect(await t.take()).toBe('sent');
    expect(t.sent.map((e) => [e.action, e.requestedAt])).toEqual([['START', NOW]]);
    expect((await t.annotationsNow())[ANNOTATIONS.requestedAction]).toBe('START');
  });

  it('leaves a newer request in place when clearing the one it took', async () => {
    const t = setup({
      [ANNOTATIONS.requestedAction]: 'STOP',
      [ANNOTATIONS.actionTimestamp]: `${NOW - 1000}:STOP`,
    });
    const cached = await t.resources.get(FLINK_JOB, NS, 'orders');
    // The user asked again after the cache was read: the stored request is a newer one.
    await t.resources.patch(FLINK_JOB, NS, 'orders', {
      metadata: { annotations: { [ANNOTATIONS.actionTimestamp]: `${NOW}:STOP` } },
    });
    expect(await t.take(cached)).toBe('recorded');
    expect((await t.annotationsNow())[ANNOTATIONS.actionTimestamp]).toBe(`${NOW}:STOP`);
    expect((await t.annotationsNow())[ANNOTATIONS.requestedAction]).toBe('STOP');
  });

  it('an invalid requested action sets ActionProcessed=False (InvalidAction), says so in an Event, and is cleared', async () => {
    const t = setup({ [ANNOTATIONS.requestedAction]: 'EXPLODE' });
    expect(await t.take()).toBe('invalid');
    expect(t.sent).toEqual([]);
    const message =
      'unknown requested action "EXPLODE"; expected START, STOP, TRIGGER_SAVEPOINT or FORGET_SAVEPOINT';
    expect(t.events).toEqual([['Warning', 'InvalidAction', message]]);
    expect(t.refused).toEqual([{ at: NOW, message }]);
    expect(t.statusWrites()).toBe(1);
    expect((await t.annotationsNow())[ANNOTATIONS.requestedAction]).toBeUndefined();
  });
});

describe("the toolbox's annotation names (operator.nextbreakpoint.com) as aliases", () => {
  it('are the names its manual annotates with', () => {
    expect(TOOLBOX_ANNOTATIONS.requestedAction).toBe('operator.nextbreakpoint.com/requested-action');
    expect(TOOLBOX_ANNOTATIONS.withoutSavepoint).toBe('operator.nextbreakpoint.com/without-savepoint');
  });

  it('stamps an aliased request with the Flinkvisor identity, hands it to the machine, and clears the alias', async () => {
    const t = setup({
      [TOOLBOX_ANNOTATIONS.requestedAction]: 'TRIGGER_SAVEPOINT',
      // Left by the toolbox's supervisor (its write time, not a request identity): ignored, kept.
      'operator.nextbreakpoint.com/action-timestamp': '1610700000000',
    });
    expect(await t.take()).toBe('stamped');
    expect((await t.annotationsNow())[ANNOTATIONS.actionTimestamp]).toBe(`${NOW}:TRIGGER_SAVEPOINT`);
    expect(await t.take()).toBe('recorded');
    expect(t.sent).toEqual([
      {
        type: 'ACTION_REQUESTED',
        at: NOW,
        action: 'TRIGGER_SAVEPOINT',
        withoutSavepoint: false,
        requestedAt: NOW,
      },
    ]);
    expect(await t.annotationsNow()).toEqual({
      'operator.nextbreakpoint.com/action-timestamp': '1610700000000',
    });
  });

  it("reads the toolbox's without-savepoint with its requested-action (lower case, as the toolbox accepted)", async () => {
    const t = setup({
      [TOOLBOX_ANNOTATIONS.requestedAction]: 'stop',
      [TOOLBOX_ANNOTATIONS.withoutSavepoint]: 'true',
      [ANNOTATIONS.actionTimestamp]: `${NOW - 1000}:STOP`,
    });
    expect(await t.take()).toBe('recorded');
    expect(t.sent.map((e) => [e.action, e.withoutSavepoint, e.requestedAt])).toEqual([
      ['STOP', true, NOW - 1000],
    ]);
    expect(await t.annotationsNow()).toEqual({});
  });

  it("takes Flinkvisor's request first when both ask, and the toolbox's on a later pass", async () => {
    const t = setup({
      [ANNOTATIONS.requestedAction]: 'STOP',
      [ANNOTATIONS.actionTimestamp]: `${NOW - 2000}:STOP`,
      [TOOLBOX_ANNOTATIONS.requestedAction]: 'START',
    });
    expect(await t.take()).toBe('recorded');
    expect(t.sent.map((e) => e.action)).toEqual(['STOP']);
    expect(await t.annotationsNow()).toEqual({ [TOOLBOX_ANNOTATIONS.requestedAction]: 'START' });
    expect(await t.take()).toBe('stamped');
    expect(await t.take()).toBe('recorded');
    expect(t.sent.map((e) => e.action)).toEqual(['STOP', 'START']);
    expect(await t.annotationsNow()).toEqual({});
  });

  it("ignores the toolbox's resting value NONE, and refuses an unknown aliased action as any other", async () => {
    expect(await setup({ [TOOLBOX_ANNOTATIONS.requestedAction]: 'NONE' }).take()).toBe('none');
    const t = setup({ [TOOLBOX_ANNOTATIONS.requestedAction]: 'RESTART' });
    expect(await t.take()).toBe('invalid');
    expect(t.events.map(([, reason]) => reason)).toEqual(['InvalidAction']);
    expect(await t.annotationsNow()).toEqual({});
  });

  it('requestAnnotationKeys and hasRequestAnnotation see either name', () => {
    expect(requestAnnotationKeys(undefined)).toBe(ANNOTATIONS);
    expect(requestAnnotationKeys({ [TOOLBOX_ANNOTATIONS.requestedAction]: 'NONE' })).toBe(ANNOTATIONS);
    expect(requestAnnotationKeys({ [TOOLBOX_ANNOTATIONS.requestedAction]: 'START' })).toBe(
      TOOLBOX_ANNOTATIONS,
    );
    expect(hasRequestAnnotation({ [TOOLBOX_ANNOTATIONS.requestedAction]: 'START' })).toBe(true);
    expect(hasRequestAnnotation({ [ANNOTATIONS.requestedAction]: 'STOP' })).toBe(true);
    expect(hasRequestAnnotation({ other: 'x' })).toBe(false);
  });
});

describe('withSaneActionTimes (restoring a snapshot)', () => {
  const envelope = (requestedAt: number) => ({
    machine: 'job',
    version: 1,
    value: 'Started',
    context: {
      pendingAction: null,
      lastAction: {
        action: 'STOP',
        withoutSavepoint: false,
        requestedAt,
        outcome: 'accepted',
        reason: '',
        at: 1,
      },
    },
  });

  it('brings a recorded request time beyond the window back to now, so later requests are not ignored', () => {
    for (const poisoned of [1e300, NOW + 24 * 3600 * 1000]) {
      const restored = withSaneActionTimes(envelope(poisoned), NOW) as ReturnType<typeof envelope>;
      expect(restored.context.lastAction.requestedAt).toBe(NOW);
      const context = restored.context as unknown as Parameters<typeof requestAlreadySeen>[0]['context'];
      // The machine's own rule: a request stamped after now is new.
      expect(requestAlreadySeen({ context, event: { requestedAt: NOW + 1 } })).toBe(false);
      // Requests are told apart by identity, not order, since K1: even unsanitised, a recorded
      // time far ahead no longer makes a later request look already seen.
      const raw = envelope(poisoned).context as unknown as typeof context;
      expect(requestAlreadySeen({ context: raw, event: { requestedAt: NOW + 1 } })).toBe(false);
    }
  });

  it('leaves sane times and anything that is not an envelope untouched', () => {
    const sane = envelope(NOW - 1000);
    expect(withSaneActionTimes(sane, NOW)).toBe(sane);
    expect(withSaneActionTimes(undefined, NOW)).toBeUndefined();
    expect(withSaneActionTimes('garbage', NOW)).toBe('garbage');
  });
});
