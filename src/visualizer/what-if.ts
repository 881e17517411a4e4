// "What would happen": a request body names an event; we complete it from the machine's live
// context (so `{ "type": "ACTION_REQUESTED", "action": "STOP" }` or an OBSERVED that changes one
// field is enough), run it through the pure machine (src/machines/predict.ts) and answer with the
// sanitized outcome. Nothing is sent to the live actor and no effect runs.
import { getStateNodes } from 'xstate';
import type { AnyStateMachine, StateValue } from 'xstate';
import { z } from 'zod';
import { jobStatusSchema } from '../flink/schemas.ts';
import { clusterMachine } from '../machines/cluster-machine.ts';
import { jobMachine } from '../machines/job-machine.ts';
import { ClusterPolicySchema, JobPolicySchema } from '../machines/policies.ts';
import { predict } from '../machines/predict.ts';
import type { RawMachineState } from './machine-journal.ts';
import { sanitizeContext, sanitizeEffectInput, scrubText, statePath, summarizeEvent } from './sanitize.ts';
import type { EventSummary, MachineKind } from './sanitize.ts';

/** The pure machine definitions (no effects provided: predictions never act). */
export const MACHINES: Readonly<Record<MachineKind, AnyStateMachine>> = {
  job: jobMachine,
  cluster: clusterMachine,
};

/** A request the machine cannot be asked (400). */
export class WhatIfError extends Error {}

const epochMs = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();
const lifecycle = z.enum(['Unknown', 'Starting', 'Started', 'Stopping', 'Stopped', 'Terminated']);

const clusterView = z.strictObject({
  state: lifecycle,
  healthy: z.boolean(),
  ready: z.boolean(),
  epoch: count,
  stopWithoutSavepoint: z.boolean(),
  startWithoutSavepoint: z.boolean(),
});

const jobObservation = z.strictObject({
  deletionRequested: z.boolean(),
  specDigest: z.string(),
  cluster: clusterView,
  flinkJob: z.union([jobStatusSchema, z.enum(['NOT_FOUND', 'UNREACHABLE', 'NONE'])]),
  bootstrap: z.enum(['absent', 'active', 'succeeded', 'failed']),
  bootstrapJobId: z.string().nullable(),
});

const clusterObservation = z.strictObject({
  deletionRequested: z.boolean(),
  specDigest: z.string(),
  jobManager: z.strictObject({ pods: count, ready: z.boolean() }),
  jobManagerService: z.boolean(),
  taskManagers: z.strictObject({ pods: count, ready: count }),
  flink: z.union([
    z.strictObject({
      reachable: z.literal(true),
      slotsTotal: count,
      jobs: z.array(z.strictObject({ id: z.string(), state: jobStatusSchema })),
    }),
    z.strictObject({ reachable: z.literal(false) }),
  ]),
  jobs: z.array(
    z.strictObject({ name: z.string(), state: lifecycle, parallelism: count, jobId: z.string().nullable() }),
  ),
});

// The machines' policy schemas, strict: a field the policy does not have is a mistake worth a 400.
const jobPolicy = z.strictObject(JobPolicySchema.shape);
const clusterPolicy = z.strictObject(ClusterPolicySchema.shape);

const actionRequested = z.strictObject({
  type: z.literal('ACTION_REQUESTED'),
  action: z.enum(['START', 'STOP', 'TRIGGER_SAVEPOINT', 'FORGET_SAVEPOINT']),
  withoutSavepoint: z.boolean().default(false),
  at: epochMs.optional(),
  requestedAt: epochMs.optional(),
});

const plainObject = z.record(z.string(), z.unknown());

const observed = z.strictObject({
  type: z.literal('OBSERVED'),
  at: epochMs.optional(),
  /** Fields to change in the last observation (nested objects merge). */
  observation: plainObject.optional(),
  /** Fields to change in the last policy. */
  policy: plainObject.optional(),
});

const effectOutcome = z.strictObject({
  type: z.string().regex(/^xstate\.(done|error)\.actor\.[A-Za-z][A-Za-z0-9]*$/),
  output: plainObject.optional(),
  error: z.string().max(200).optional(),
});

export const whatIfRequest = z.strictObject({ event: z.unknown() });

export interface WhatIfAnswer {
  readonly kind: MachineKind;
  readonly name: string;
  readonly event: EventSummary;
  readonly from: string;
  readonly to: string;
  readonly state: string;
  /** Effects the event would start, with their (sanitized) inputs. */
  readonly started: readonly { id: string; src: string; input: unknown }[];
  /** Effects it would stop. */
  readonly stopped: readonly string[];
  /** Top-level context fields (of the allow-list) that would change. */
  readonly changed: readonly string[];
  readonly context: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Overrides merged into a base object: nested plain objects merge, anything else replaces. */
export function mergeDeep(base: unknown, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(overrides)) {
    out[key] = isRecord(value) && isRecord(out[key]) ? mergeDeep(out[key], value) : value;
  }
  return out;
}

function numberField(context: unknown, field: string): number {
  const value = isRecord(context) ? context[field] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new WhatIfError(`invalid ${what}: ${issues(result.error)}`);
  return result.data;
}

function invokeIdsOf(machine: AnyStateMachine, value: StateValue): Set<string> {
  const ids = new Set<string>();
  for (const node of new Set(getStateNodes(machine.root, value))) {
    for (const invoke of node.invoke) ids.add(invoke.id);
  }
  return ids;
}

/** The complete event a request names, built on the live context; WhatIfError when it makes no sense. */
export function completeEvent(
  kind: MachineKind,
  state: RawMachineState,
  requested: unknown,
  now: number,
): Record<string, unknown> {
  const type = isRecord(requested) ? requested['type'] : undefined;
  const context = state.context;
  // Time must move on, or the machine ignores the event as stale (rules `.0`).
  const at = Math.max(now, numberField(context, 'now') + 1, numberField(context, 'lastObservedAt') + 1);
  if (type === 'ACTION_REQUESTED') {
    const event = parse(actionRequested, requested, 'ACTION_REQUESTED event');
    const eventAt = event.at ?? at;
    return { ...event, at: eventAt, requestedAt: event.requestedAt ?? eventAt };
  }
  if (type === 'OBSERVED') {
    const event = parse(observed, requested, 'OBSERVED event');
    const last = isRecord(context) ? context : {};
    if (!isRecord(last['observed']) && event.observation === undefined) {
      throw new WhatIfError('the machine has observed nothing yet: give a complete observation');
    }
    const observation = mergeDeep(last['observed'], event.observation ?? {});
    const policy = mergeDeep(last['policy'], event.policy ?? {});
    return {
      type: 'OBSERVED',
      at: event.at ?? at,
      observation:
        kind === 'job'
          ? parse(jobObservation, observation, 'observation')
          : parse(clusterObservation, observation, 'observation'),
      policy: kind === 'job' ? parse(jobPolicy, policy, 'policy') : parse(clusterPolicy, policy, 'policy'),
    };
  }
  if (typeof type === 'string' && type.startsWith('xstate.')) {
    const event = parse(effectOutcome, requested, 'effect outcome');
    const id = event.type.replace(/^xstate\.(done|error)\.actor\./, '');
    if (!invokeIdsOf(MACHINES[kind], state.value).has(id)) {
      throw new WhatIfError(`no effect "${id}" runs in ${statePath(state.value)}`);
    }
    if (event.type.startsWith('xstate.done.')) return { type: event.type, output: { at, ...event.output } };
    return { type: event.type, error: new Error(event.error ?? 'failed') };
  }
  throw new WhatIfError(
    'event.type must be ACTION_REQUESTED, OBSERVED, xstate.done.actor.<id> or xstate.error.actor.<id>',
  );
}

/** Runs the requested event through the pure machine from `state`; nothing is executed. */
export function whatIf(
  kind: MachineKind,
  name: string,
  state: RawMachineState,
  requested: unknown,
  now: number,
): WhatIfAnswer {
  const event = completeEvent(kind, state, requested, now);
  const machine = MACHINES[kind];
  let prediction;
  try {
    prediction = predict(machine, { value: state.value, context: state.context }, event as never);
  } catch (err) {
    const reason = err instanceof Error ? scrubText(err.message) : 'error';
    throw new WhatIfError(`the machine cannot take this event: ${reason}`);
  }
  const before = sanitizeContext(kind, state.context);
  const after = sanitizeContext(kind, prediction.context);
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return {
    kind,
    name,
    event: summarizeEvent(kind, event),
    from: statePath(state.value),
    to: statePath(prediction.value),
    state: prediction.state,
    started: prediction.started.map((effect) => ({
      id: effect.id,
      src: effect.src,
      input: sanitizeEffectInput(effect.input),
    })),
    stopped: prediction.stopped,
    changed: [...fields].filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field])),
    context: after,
  };
}
