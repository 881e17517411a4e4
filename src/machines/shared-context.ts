// What the cluster and job machines decide the same way, as pure functions of their context.
//
// Both machines keep time, requested actions, their outcome and notices in the same context
// fields (persisted under the same names, see README "Context"). Each machine names its own
// guards and actions in setup() and calls these from them: the assign of an action returns what
// one of these functions computes, so both machines stay typed by their own context and events.
// Nothing here is machine-specific; what differs between the machines stays in their files.
import type {
  ActionOutcome,
  ActionRequestedEvent,
  Notice,
  RequestedAction,
  RequestedActionName,
} from './observations.ts';
import type { EffectOutput } from './ports.ts';

/** The context fields both machines keep (and persist) the same way. */
export interface SharedContext {
  readonly pendingAction: RequestedAction | null;
  readonly lastAction: ActionOutcome | null;
  /**
   * The answer `lastAction` held before its current one. Two requests may be answered within one
   * status write (a pending request superseded by a newer one taken in the same step, or rejected
   * just before the next is accepted), and the status writer stores only the latest snapshot: this
   * keeps the earlier answer in status, so every request has its answer stored (the simulator's
   * finding K3).
   */
  readonly previousAction: ActionOutcome | null;
  readonly notice: Notice | null;
  /**
   * Latest time seen in any event or effect output. It goes back only with an observation earlier
   * than the last one: the wall clock stepped back, a new epoch.
   */
  readonly now: number;
  readonly lastObservedAt: number | null;
}

/** The shared fields of a fresh context: nothing requested, decided or observed yet. */
export function initialSharedContext(at: number): SharedContext {
  return {
    pendingAction: null,
    lastAction: null,
    previousAction: null,
    notice: null,
    now: at,
    lastObservedAt: null,
  };
}

/** The stop intent fields both machines keep while Stopping. */
export interface SharedStopIntent {
  readonly reason: string;
  readonly restart: boolean;
  readonly delete: boolean;
}

/** Any event a machine receives: its own events, and xstate's done/error events of its effects. */
export type MachineEvent = { readonly type: string; readonly output?: unknown };

/** The OBSERVED event of either machine, as far as this module reads it. */
export interface ObservedEventLike {
  readonly type: 'OBSERVED';
  readonly at: number;
  readonly policy: unknown;
  readonly observation: { readonly deletionRequested: boolean };
}

export function notice(reason: string, message: string, at: number): Notice {
  return { reason, message, at };
}

/** A deadline is passed at `at` (null or undefined: nothing is scheduled). */
export function passed(deadline: number | null | undefined, at: number): boolean {
  return deadline !== null && deadline !== undefined && at >= deadline;
}

/** What an effect's error event says (its message, at most 300 characters); '' for any other event. */
export function errorMessage(event: MachineEvent): string {
  if (!('error' in event)) return '';
  const error: unknown = event.error;
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}

/** The output of an effect's done event; undefined for any other event. */
export function outputOf<T>(event: MachineEvent): T | undefined {
  return 'output' in event ? (event.output as T) : undefined;
}

/** When an event happened: `at` of OBSERVED/ACTION_REQUESTED, or `output.at` of an effect. */
function timeOf(event: MachineEvent): number | undefined {
  if (event.type === 'OBSERVED' || event.type === 'ACTION_REQUESTED')
    return (event as unknown as { at: number }).at;
  const output = outputOf<EffectOutput>(event);
  return typeof output?.at === 'number' ? output.at : undefined;
}

/** The event as the machine's OBSERVED event, or null for any other event. */
export function asObservedEvent<TObserved extends ObservedEventLike>(event: MachineEvent): TObserved | null {
  return event.type === 'OBSERVED' ? (event as unknown as TObserved) : null;
}

/** A guard over an OBSERVED event; false for any other event. */
export function onObservedEvent<TObserved extends ObservedEventLike, TContext>(
  check: (event: TObserved, context: TContext) => boolean,
): (args: { context: TContext; event: MachineEvent }) => boolean {
  return ({ context, event }) => {
    const observed = asObservedEvent<TObserved>(event);
    return observed !== null && check(observed, context);
  };
}

// Guards, named by each machine in setup({ guards }).

/**
 * Rows `.0`: the very observation processed last, delivered again, is ignored. An OBSERVED is
 * whole and current when sent, and one process sends its observations in order, so an earlier `at`
 * than the last one is not stale: it is a wall clock stepped back (NTP, a resumed VM, a new leader
 * whose clock is behind the last one's). Ignoring it left the machine deaf for the size of the step
 * (the simulator's finding K4); it is taken, as a new epoch of the wall clock, and `now` follows it
 * (observationUpdate). Deadlines set before the step move back by it (clockStepBack, rebased in
 * each machine's recordObservation); those set after it count from the stepped-back clock.
 */
export function isStaleObservation(event: ObservedEventLike, context: SharedContext): boolean {
  return context.lastObservedAt !== null && event.at === context.lastObservedAt;
}

/**
 * Reconciliation is paused (ADR 0019): the observation being handled says so, or, for the events
 * that carry none (a waiter firing, a request), the last one did. Guarded rows are the ones that
 * act (start, stop, restart, scale, periodic savepoints); observing, deletion and a user's
 * TRIGGER_SAVEPOINT go on.
 */
export function isPaused({
  context,
  event,
}: {
  context: { readonly observed: { readonly paused?: boolean } | null };
  event: MachineEvent;
}): boolean {
  const observed = asObservedEvent<ObservedEventLike & { observation: { paused?: boolean } }>(event);
  return (observed?.observation ?? context.observed)?.paused === true;
}

export function isDeletionObserved(event: ObservedEventLike): boolean {
  return event.observation.deletionRequested;
}

/**
 * Root ACTION_REQUESTED row `.Any.0`: the request pending or taken last (the same requestedAt, the
 * same action), delivered again, is ignored. Identity, not order: a stamp is the wall-clock time of
 * whoever stamped it, so a new request stamped by a clock behind the one that stamped the previous
 * request is earlier, and ignoring anything "not newer" cleared it unanswered (the simulator's
 * finding K1). The annotation holds one request at a time and moves only forward, but a new
 * leader's watch cache may lag behind its clearing: the request taken before the last one came back
 * from it and was taken again, over a newer START stamped by a clock behind (finding K19, seed
 * 1002912). So the request before the last counts as seen too.
 */
export function requestAlreadySeen({
  context,
  event,
}: {
  context: SharedContext;
  event: { readonly requestedAt: number; readonly action?: RequestedActionName };
}): boolean {
  // previousAction may be missing from a context built by hand (tests) or before it existed.
  const same = (seen: RequestedAction | null | undefined) =>
    seen !== null &&
    seen !== undefined &&
    seen.requestedAt === event.requestedAt &&
    (event.action === undefined || seen.action === event.action);
  return same(context.lastAction) || same(context.pendingAction) || same(context.previousAction);
}

/** A guard: the pending request is `action`. */
export function pendingIs(action: RequestedActionName): (args: { context: SharedContext }) => boolean {
  return ({ context }) => context.pendingAction?.action === action;
}

export function anyPendingAction({ context }: { context: SharedContext }): boolean {
  return context.pendingAction !== null;
}

/** What the stop guards read: the machine's stop intent (null unless Stopping). */
interface StopGuardArgs {
  readonly context: { readonly stop: SharedStopIntent | null };
}

/** Stopping, and not (yet) because the resource is deleted. */
export function notYetDeleting({ context }: StopGuardArgs): boolean {
  return context.stop !== null && !context.stop.delete;
}

/** Stopping.Done: the stop ends in Terminated. */
export function stopDeletes({ context }: StopGuardArgs): boolean {
  return context.stop?.delete === true;
}

/** Stopping.Done: the stop ends in Starting. */
export function stopRestarts({ context }: StopGuardArgs): boolean {
  return context.stop?.restart === true;
}

// Context updates: what the machines' assign actions return.

/** The common part of recording an OBSERVED event (each machine adds what it derives from it). */
export function observationUpdate<TObserved extends ObservedEventLike>(
  context: SharedContext,
  observed: TObserved,
): {
  now: number;
  lastObservedAt: number;
  observed: TObserved['observation'];
  policy: TObserved['policy'];
} {
  // An observation earlier than the last one is a wall clock stepped back (or a new leader whose
  // clock is behind): a new epoch, and the machine's time follows it, so deadlines set from now on
  // count from the clock that will judge them (a restart delay set 190 s late, seed 100068).
  const steppedBack = context.lastObservedAt !== null && observed.at < context.lastObservedAt;
  return {
    now: steppedBack ? observed.at : Math.max(context.now, observed.at),
    lastObservedAt: observed.at,
    observed: observed.observation,
    policy: observed.policy,
  };
}

/**
 * How far a stepped-back wall clock moved: what every deadline set before the step is moved back by
 * (0 when the clock did not step back). The step is at least this (the real time between the two
 * observations is not known and adds to it), so a moved deadline still passes late by that time at
 * most, never early; unmoved, it passed late by the whole step (up to 5 minutes of skew in the
 * simulator: finding K7).
 */
export function clockStepBack(context: SharedContext, observed: ObservedEventLike): number {
  return context.lastObservedAt !== null && observed.at < context.lastObservedAt
    ? context.lastObservedAt - observed.at
    : 0;
}

/** A deadline or time stamp set before a wall-clock step back, in the stepped-back clock's time. */
export function rebased<T extends number | null>(at: T, step: number): T {
  return (at === null || step === 0 ? at : at - step) as T;
}

/** `recordTime`: the machine's time follows events and effect outputs, never going back. */
export function timeUpdate(context: SharedContext, event: MachineEvent): { now?: number } {
  const at = timeOf(event);
  return at === undefined ? {} : { now: Math.max(context.now, at) };
}

/**
 * `recordPendingAction`: remember the request until a state accepts or rejects it. A request still
 * pending when a newer one comes is answered there and then, rejected as superseded: every request
 * is answered exactly once (a `kubectl wait` on it, the control API's action wait, its Event), never
 * silently dropped.
 */
export function pendingActionUpdate(
  context: SharedContext,
  event: ActionRequestedEvent | { readonly type: 'OBSERVED' },
): {
  now?: number;
  pendingAction?: RequestedAction;
  lastAction?: ActionOutcome;
  previousAction?: ActionOutcome | null;
  notice?: Notice;
} {
  if (event.type !== 'ACTION_REQUESTED') return {};
  const request: RequestedAction = {
    action: event.action,
    withoutSavepoint: event.withoutSavepoint,
    requestedAt: event.requestedAt,
  };
  const now = Math.max(context.now, event.at);
  if (context.pendingAction === null) return { now, pendingAction: request };
  const superseded = rejectedUpdate(
    { ...context, now },
    `superseded by ${event.action} requested after it, before it could be taken`,
  );
  return { now, ...superseded, pendingAction: request };
}

function outcome(context: SharedContext, result: 'accepted' | 'rejected', reason: string): ActionOutcome {
  const action = context.pendingAction as RequestedAction;
  return { ...action, outcome: result, reason, at: context.now };
}

/** `acceptAction`: the pending request is taken. */
export function acceptedUpdate(context: SharedContext): {
  lastAction: ActionOutcome;
  previousAction: ActionOutcome | null;
  pendingAction: null;
} {
  return {
    lastAction: outcome(context, 'accepted', 'accepted'),
    previousAction: context.lastAction,
    pendingAction: null,
  };
}

/** `rejectAction`: the pending request does not apply in this state; say why. */
export function rejectedUpdate(
  context: SharedContext,
  reason: string,
): { lastAction: ActionOutcome; previousAction: ActionOutcome | null; pendingAction: null; notice: Notice } {
  return {
    lastAction: outcome(context, 'rejected', reason),
    previousAction: context.lastAction,
    pendingAction: null,
    notice: notice(
      'ActionRejected',
      `${context.pendingAction?.action ?? 'action'} rejected: ${reason}`,
      context.now,
    ),
  };
}

/** A stop intent turned into a deletion (the machine's own reason type must allow 'Deleted'). */
export type DeletingStop<TStop extends SharedStopIntent> = Omit<TStop, 'reason' | 'restart' | 'delete'> & {
  readonly reason: 'Deleted';
  readonly restart: false;
  readonly delete: true;
};

/** `markDeleting`: deleted while stopping: terminate once stopped, no restart. */
export function deletingUpdate<TStop extends SharedStopIntent>(
  context: SharedContext & { readonly stop: TStop | null },
  message: string,
): { stop: DeletingStop<TStop> | null; notice: Notice } {
  return {
    stop:
      context.stop === null
        ? null
        : { ...context.stop, delete: true as const, restart: false as const, reason: 'Deleted' as const },
    notice: notice('Deleted', message, context.now),
  };
}
