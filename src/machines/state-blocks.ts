// Builders of the transition rows and invoke blocks the cluster and job machines both repeat.
//
// Each returns plain xstate config that refers to guards, actions and actors by the names both
// machines declare in setup() (recordObservation, recordTime, recordPendingAction, beginStop,
// acceptAction, rejectAction, finishStop, stopDeletes, stopRestarts, waitUntil): the machine's
// createMachine() type-checks a block where it is used (names, action params, actor inputs) as if
// it were written inline, and the state nodes it produces are the same. Rule descriptions are
// passed in, so every rule id stays written out in its machine's file (search for `J.Started.4`).
import { requestAlreadySeen } from './shared-context.ts';

/** A named guard, or and()/or()/not()/stateIn() of named guards. */
export type GuardRef = string | object;

/** A named action, or a parameterized one ({ type, params }). */
export type ActionRef = string | { readonly type: string; readonly params?: object };

/** One transition row; optional parts are left out, not undefined (exactOptionalPropertyTypes). */
export interface Row<TGuard extends GuardRef, TActions> {
  readonly guard?: TGuard;
  readonly target?: string;
  readonly actions?: TActions;
  readonly description: string;
}

/** Parameters of the `beginStop` action of both machines. */
export interface StopParams<TReason extends string> {
  readonly reason: TReason;
  /** Go to Starting once stopped. */
  readonly restart: boolean;
}

/** The `beginStop` action, params in the order the rule tables print them (reason, restart). */
export function beginStop<const TReason extends string>(stop: StopParams<TReason>) {
  return { type: 'beginStop' as const, params: { reason: stop.reason, restart: stop.restart } };
}

/** OBSERVED row that ends in Stopping: record the observation, then begin the stop. */
export function stopWhenObserved<const TGuard extends GuardRef, const TReason extends string>(
  guard: TGuard,
  stop: StopParams<TReason>,
  description: string,
) {
  return {
    guard,
    target: 'Stopping',
    actions: ['recordObservation' as const, beginStop(stop)],
    description,
  };
}

/** Eventless row over a pending request that ends in Stopping: begin the stop, accept the request. */
export function stopOnRequest<const TGuard extends GuardRef, const TReason extends string>(
  guard: TGuard,
  stop: StopParams<TReason>,
  description: string,
) {
  return { guard, target: 'Stopping', actions: [beginStop(stop), 'acceptAction' as const], description };
}

/** Eventless row: reject the pending request, saying why (`reason` goes into the notice). */
export function rejectRequest<const TGuard extends GuardRef>(
  guard: TGuard,
  reason: string,
  description: string,
) {
  return { guard, actions: { type: 'rejectAction' as const, params: { reason } }, description };
}

/** Why START and STOP are rejected while reconciliation is paused (ADR 0019). */
export const PAUSED_REASON = 'reconciliation is paused (annotation flinkvisor.io/paused)';

/** The root ACTION_REQUESTED rows: `.Any.0` ignores a request already seen, `.Any.1` remembers it. */
export function requestRows(descriptions: {
  readonly ignored: string;
  readonly remembered: string;
}): readonly [Row<typeof requestAlreadySeen, never>, Row<never, 'recordPendingAction'>] {
  return [
    { guard: requestAlreadySeen, description: descriptions.ignored },
    { actions: 'recordPendingAction', description: descriptions.remembered },
  ];
}

/** The eventless rows of Stopping.Done (`.D1`–`.D3`): Terminated when deleting, Starting when restarting, else Stopped. */
export function stopOutcomeRows(
  machineId: string,
  descriptions: { readonly terminated: string; readonly restarted: string; readonly stopped: string },
): readonly [Row<'stopDeletes', 'finishStop'>, Row<'stopRestarts', 'finishStop'>, Row<never, 'finishStop'>] {
  return [
    {
      guard: 'stopDeletes',
      target: `#${machineId}.Terminated`,
      actions: 'finishStop',
      description: descriptions.terminated,
    },
    {
      guard: 'stopRestarts',
      target: `#${machineId}.Starting`,
      actions: 'finishStop',
      description: descriptions.restarted,
    },
    { target: `#${machineId}.Stopped`, actions: 'finishStop', description: descriptions.stopped },
  ];
}

/** Builders whose actor inputs and deadlines read the machine's context. */
export function blocksFor<TContext>() {
  return {
    /**
     * Invoke an effect; once it completes, record the time and go to `target`; if it fails, go to
     * `errorTarget` (default `target`), where the next observation decides again (and retries).
     */
    effect: <const TId extends string, const TSrc extends string, TInput>(spec: {
      readonly id: TId;
      readonly src: TSrc;
      readonly input: (context: TContext) => TInput;
      readonly target: string;
      readonly errorTarget?: string;
    }) => ({
      id: spec.id,
      src: spec.src,
      input: ({ context }: { context: TContext }) => spec.input(context),
      onDone: { target: spec.target, actions: 'recordTime' as const },
      onError: { target: spec.errorTarget ?? spec.target },
    }),
    /** A durable wait (`waitUntil` the deadline); when it fires, record the time, then `then`. */
    waiter: <const TId extends string, const TThen extends ActionRef>(spec: {
      readonly id: TId;
      readonly deadline: (context: TContext) => number | null;
      readonly target: string;
      readonly then: TThen;
      readonly description: string;
    }) => ({
      id: spec.id,
      src: 'waitUntil' as const,
      input: ({ context }: { context: TContext }) => ({ deadline: spec.deadline(context) }),
      onDone: {
        target: spec.target,
        actions: ['recordTime' as const, spec.then],
        description: spec.description,
      },
    }),
    /**
     * A waiter taken only while `guard` passes: when it does not (a paused machine, ADR 0019), the
     * wait lapses and the next observation decides, from its deadline in context.
     */
    guardedWaiter: <
      const TId extends string,
      const TThen extends ActionRef,
      const TGuard extends GuardRef,
    >(spec: {
      readonly id: TId;
      readonly deadline: (context: TContext) => number | null;
      readonly target: string;
      readonly then: TThen;
      readonly guard: TGuard;
      readonly description: string;
    }) => ({
      id: spec.id,
      src: 'waitUntil' as const,
      input: ({ context }: { context: TContext }) => ({ deadline: spec.deadline(context) }),
      onDone: {
        guard: spec.guard,
        target: spec.target,
        actions: ['recordTime' as const, spec.then],
        description: spec.description,
      },
    }),
  };
}
