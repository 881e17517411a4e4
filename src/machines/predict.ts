// "What would happen if": the next state and the effects an event would start, computed with
// xstate's pure transition() — nothing runs. The state visualizer builds on this.
import { getStateNodes, transition } from 'xstate';
import type { AnyStateMachine, EventFromLogic, StateValue } from 'xstate';
import type { LifecycleState } from './observations.ts';
import { lifecycleState } from './views.ts';
import type { MachineState } from './views.ts';

export interface PredictedEffect {
  /** Invoke id (for example `triggerSavepoint`, `persist`, `restartDelay`). */
  readonly id: string;
  /** Actor name in setup({ actors }) (for example `waitUntil`). */
  readonly src: string;
  /** The input it would receive (trigger id, deadline, ...). */
  readonly input: unknown;
}

export interface Prediction {
  readonly value: StateValue;
  readonly state: LifecycleState;
  /** Effects the event would start (invoked actors of newly entered states). */
  readonly started: readonly PredictedEffect[];
  /** Invoke ids the event would stop, aborting their calls (a restarted one is in both lists). */
  readonly stopped: readonly string[];
  readonly context: unknown;
}

interface ExecutableActionLike {
  readonly type: string;
  readonly params?: {
    readonly id?: unknown;
    readonly actorRef?: { readonly src?: unknown; getSnapshot?: () => { readonly input?: unknown } };
  };
}

function invokeIds(machine: AnyStateMachine, value: StateValue): Set<string> {
  const ids = new Set<string>();
  for (const node of new Set(getStateNodes(machine.root, value))) {
    for (const invoke of node.invoke) ids.add(invoke.id);
  }
  return ids;
}

/**
 * The outcome of sending `event` to a machine in `state` (a live snapshot's value and context, or a
 * restored one), without executing anything.
 */
export function predict<TMachine extends AnyStateMachine>(
  machine: TMachine,
  state: MachineState<unknown>,
  event: EventFromLogic<TMachine>,
): Prediction {
  const snapshot = machine.resolveState({ value: state.value, context: state.context as never });
  const [next, actions] = transition(machine, snapshot as never, event);
  const started: PredictedEffect[] = [];
  for (const action of actions as unknown as readonly ExecutableActionLike[]) {
    if (action.type !== 'xstate.spawnChild') continue;
    const ref = action.params?.actorRef;
    started.push({
      id: String(action.params?.id ?? ''),
      src: String(ref?.src ?? ''),
      input: ref?.getSnapshot?.().input,
    });
  }
  const value = (next as { value: StateValue }).value;
  const before = invokeIds(machine, snapshot.value);
  const after = invokeIds(machine, value);
  const restarted = new Set(started.map((effect) => effect.id));
  const stopped = [...before].filter((id) => !after.has(id) || restarted.has(id));
  return {
    value,
    state: lifecycleState(value),
    started,
    stopped,
    context: (next as { context: unknown }).context,
  };
}
