// The persisted form of a machine: small, versioned, written to the resource's status.
// Only the state value and the context that matters are kept; the last observation is dropped
// (it is stale after a restart: the supervisor observes again before the machine acts).
import type { StateValue } from 'xstate';

export type MachineName = 'cluster' | 'job';

/**
 * Bump when a change of states or context would make an older envelope restore wrongly, and add a
 * migration from the previous version in persistence.ts (or accept that older ones are reset).
 */
export const MACHINE_VERSIONS: Readonly<Record<MachineName, number>> = { cluster: 1, job: 1 };

export interface PersistedEnvelope {
  readonly machine: MachineName;
  readonly version: number;
  readonly value: StateValue;
  readonly context: Readonly<Record<string, unknown>>;
}

/** Context fields that are never persisted. */
export const TRANSIENT_CONTEXT_FIELDS: readonly string[] = ['observed'];

export function persistedContext(context: object): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (!TRANSIENT_CONTEXT_FIELDS.includes(key)) kept[key] = value;
  }
  return kept;
}

export function envelopeOf(machine: MachineName, value: StateValue, context: object): PersistedEnvelope {
  return { machine, version: MACHINE_VERSIONS[machine], value, context: persistedContext(context) };
}
