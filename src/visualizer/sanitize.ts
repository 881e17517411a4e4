// What the visualizer may show of a machine: allow-lists (shapes) of context fields, event fields
// and effect inputs. Nothing is ever dumped raw: a value is copied only where its shape names it,
// strings are scrubbed of credential-looking parts and bounded, and keys on the logger's redaction
// list (REDACTED_PATHS) are censored even if a shape named them by mistake.
import type { StateValue } from 'xstate';
import type { ClusterContext } from '../machines/cluster-machine.ts';
import type { JobContext } from '../machines/job-machine.ts';
import type {
  ClusterObservation,
  ClusterView,
  JobObservation,
  JobSummary,
  RequestedAction,
} from '../machines/observations.ts';
import { ClusterPolicySchema, JobPolicySchema } from '../machines/policies.ts';
import { REDACTED_PATHS } from '../observability/logger.ts';

export type MachineKind = 'cluster' | 'job';

/**
 * An allow-list: `true` copies a scalar (string, number, boolean, null), `[shape]` a list of
 * items of that shape, an object copies the named keys only, a function converts the value itself
 * (and must return something safe).
 */
export type Shape =
  true | ((value: unknown) => unknown) | readonly [Shape] | { readonly [key: string]: Shape };

export const REDACTED = '[redacted]';
const MAX_TEXT = 400;
const MAX_LIST = 64;

function leafKey(path: string): string {
  const bracketed = /\["([^"]+)"\]$/.exec(path);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  return path.split('.').at(-1) ?? path;
}

/** Keys censored wherever they appear: the logger's list plus anything that looks like a credential. */
const DENIED_KEYS = new Set(REDACTED_PATHS.map((path) => leafKey(path).toLowerCase()));
const DENIED_KEY_PATTERN = /token|secret|passw|credential|authorization|kubeconfig|access.?key|private.?key/i;

export function isDeniedKey(key: string): boolean {
  return DENIED_KEYS.has(key.toLowerCase()) || DENIED_KEY_PATTERN.test(key);
}

const TEXT_RULES: readonly (readonly [RegExp, string])[] = [
  // user:password@ in URLs (s3://KEY:SECRET@bucket, https://user:pw@host).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, `$1${REDACTED}@`],
  // Signed URLs and tokens in query strings.
  [/([?&][^=&\s]*(?:token|secret|passw|signature|credential|key)[^=&\s]*=)[^&\s]*/gi, `$1${REDACTED}`],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, `Bearer ${REDACTED}`],
  // JSON Web Tokens (service account tokens).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // key=value / key: value pairs in messages (s3.secret-key: ..., password=...).
  [
    /((?:secret|passw\w*|token|access[-_.]?key|private[-_.]?key)[\w.-]*["']?\s*[:=]\s*)[^\s,;&]+/gi,
    `$1${REDACTED}`,
  ],
];

/** A string as the visualizer may show it: credential-looking parts censored, at most 400 characters. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of TEXT_RULES) out = out.replace(pattern, replacement);
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT - 1)}…` : out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Copies what `shape` allows of `value`; undefined when nothing of it may be shown. */
export function project(value: unknown, shape: Shape): unknown {
  if (typeof shape === 'function') return shape(value);
  if (shape === true) {
    if (value === null || typeof value === 'boolean') return value;
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'string') return scrubText(value);
    return undefined;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return value === null ? null : undefined;
    const item = (shape as readonly [Shape])[0];
    return value
      .slice(0, MAX_LIST)
      .map((entry) => project(entry, item))
      .filter((entry) => entry !== undefined);
  }
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, keyShape] of Object.entries(shape as Record<string, Shape>)) {
    if (!Object.hasOwn(value, key)) continue;
    if (isDeniedKey(key)) {
      out[key] = REDACTED;
      continue;
    }
    const projected = project(value[key], keyShape);
    if (projected !== undefined) out[key] = projected;
  }
  return out;
}

/** Every active leaf of a state value as a dotted path (one, unless states are parallel). */
export function statePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [scrubText(prefix === '' ? value : `${prefix}.${value}`)];
  if (!isRecord(value)) return [];
  const entries = Object.entries(value);
  if (entries.length === 0) return prefix === '' ? [] : [prefix];
  return entries.flatMap(([key, child]) => statePaths(child, prefix === '' ? key : `${prefix}.${key}`));
}

/** A state value as text: `Started.Running` (parallel regions joined by ` | `). */
export function statePath(value: StateValue | unknown): string {
  return statePaths(value).join(' | ');
}

// ------------------------------------------------------------------ shapes

const REQUEST = { action: true, withoutSavepoint: true, requestedAt: true } as const satisfies Record<
  keyof RequestedAction,
  true
>;
const OUTCOME = { ...REQUEST, outcome: true, reason: true, at: true } as const;
const NOTICE = { reason: true, message: true, at: true } as const;

/** A shape copying each of `keys` as a scalar. */
function scalars<K extends string>(keys: readonly K[]): Readonly<Record<K, true>> {
  return Object.fromEntries(keys.map((key) => [key, true])) as Record<K, true>;
}

// The policy fields are the machines' schemas' keys, so a new field is shown without being listed
// here. They are all scalars (a field that is not would be left out, never dumped).
const JOB_POLICY = scalars(JobPolicySchema.keyof().options);
const CLUSTER_POLICY = scalars(ClusterPolicySchema.keyof().options);

const CLUSTER_VIEW = {
  state: true,
  healthy: true,
  ready: true,
  epoch: true,
  stopWithoutSavepoint: true,
  startWithoutSavepoint: true,
  highAvailability: true,
  jobManagerGone: true,
} as const satisfies Record<keyof ClusterView, true>;

const JOB_OBSERVATION = {
  deletionRequested: true,
  paused: true,
  specDigest: true,
  cluster: CLUSTER_VIEW,
  flinkJob: true,
  flinkTasksRunning: true,
  bootstrap: true,
  bootstrapJobId: true,
  bootstrapFailure: true,
  latestCheckpoint: { path: true, completedAt: true },
} as const satisfies Record<keyof JobObservation, Shape>;

const JOB_SUMMARY = { name: true, state: true, parallelism: true, jobId: true } as const satisfies Record<
  keyof JobSummary,
  true
>;

const CLUSTER_OBSERVATION = {
  deletionRequested: true,
  paused: true,
  specDigest: true,
  jobManager: { pods: true, ready: true, leader: { id: true, pod: true }, draining: true },
  jobManagerService: true,
  taskManagers: { pods: true, ready: true },
  flink: { reachable: true, slotsTotal: true, jobs: [{ id: true, state: true }] },
  jobs: [JOB_SUMMARY],
  storageCleanup: true,
  disruptions: [{ pod: true, role: true, reason: true, message: true, at: true }],
} as const satisfies Record<keyof ClusterObservation, Shape>;

/** The job context fields worth seeing (idSeed is left out: it only feeds id derivation). */
const JOB_CONTEXT = {
  uid: true,
  submission: true,
  jobId: true,
  parallelism: true,
  specDigest: true,
  clusterEpoch: true,
  savepointCounter: true,
  savepoint: { triggerId: true, kind: true, requestedAt: true, deadline: true },
  savepointPath: true,
  savepointAt: true,
  savepointTriggerId: true,
  lastSavepointRequestAt: true,
  stop: {
    reason: true,
    restart: true,
    delete: true,
    withoutSavepoint: true,
    clearSavepointPath: true,
    triggerId: true,
    savepointDeadline: true,
    savepointAbandoned: true,
    cancelDeadline: true,
    savepointOutcome: true,
    checkpoint: { path: true, completedAt: true },
    checkpointConfirmed: true,
    asked: true,
  },
  stopReason: true,
  lastFlinkState: true,
  enteredAt: true,
  deadlines: { restartTimeoutAt: true, restartAt: true, savepointDueAt: true },
  recoverUntil: true,
  lastCheckpoint: { path: true, completedAt: true },
  checkpointRestore: { path: true, completedAt: true },
  restoredFrom: { path: true, kind: true },
  upgrade: {
    phase: true,
    specDigest: true,
    parallelism: true,
    snapshot: { path: true, kind: true },
    until: true,
    restarts: true,
    reason: true,
  },
  stableSpec: { specDigest: true, parallelism: true },
  rescale: { from: true, to: true, deadline: true },
  inPlaceRefused: true,
  pendingAction: REQUEST,
  lastAction: OUTCOME,
  previousAction: OUTCOME,
  notice: NOTICE,
  now: true,
  lastObservedAt: true,
  policy: JOB_POLICY,
  observed: JOB_OBSERVATION,
} as const satisfies Partial<Record<keyof JobContext, Shape>>;

const CLUSTER_CONTEXT = {
  uid: true,
  epoch: true,
  specDigest: true,
  taskSlots: true,
  desiredTaskManagers: true,
  startWithoutSavepoint: true,
  stop: { reason: true, restart: true, delete: true, withoutSavepoint: true, jobsDeadline: true },
  stopReason: true,
  enteredAt: true,
  deadlines: { startTimeoutAt: true, unhealthyAt: true, scaleDownAt: true },
  unreachableSince: true,
  lastRescaleAt: true,
  jobManagerLeader: true,
  jobManagerLeaderId: true,
  jobManagerFailovers: true,
  lastFailoverAt: true,
  lastDisruption: { pod: true, role: true, reason: true, message: true, at: true },
  podDisruptions: true,
  cleanup: { deadline: true, configMaps: true, configMapsRemoved: true, storage: true },
  pendingAction: REQUEST,
  lastAction: OUTCOME,
  previousAction: OUTCOME,
  notice: NOTICE,
  now: true,
  lastObservedAt: true,
  policy: CLUSTER_POLICY,
  observed: CLUSTER_OBSERVATION,
} as const satisfies Partial<Record<keyof ClusterContext, Shape>>;

export const CONTEXT_SHAPES: Readonly<Record<MachineKind, Shape>> = {
  job: JOB_CONTEXT,
  cluster: CLUSTER_CONTEXT,
};

/** The allow-listed part of a machine's context. */
export function sanitizeContext(kind: MachineKind, context: unknown): Record<string, unknown> {
  const projected = project(context, CONTEXT_SHAPES[kind]);
  return isRecord(projected) ? projected : {};
}

/** Inputs of the effects (ports.ts); the persist envelope shows where it resumes, not its context. */
const EFFECT_INPUT = {
  deadline: true,
  jobId: true,
  triggerId: true,
  targetDirectory: true,
  drain: true,
  submission: true,
  parallelism: true,
  savepointPath: true,
  clusterEpoch: true,
  epoch: true,
  taskSlots: true,
  desired: true,
  removeIdleSurplus: true,
  jobIds: [true],
  envelope: { machine: true, version: true, value: (value: unknown) => statePath(value) },
} as const satisfies Shape;

export function sanitizeEffectInput(input: unknown): unknown {
  return project(input, EFFECT_INPUT) ?? null;
}

const EFFECT_OUTPUT = {
  at: true,
  status: true,
  location: true,
  reason: true,
  created: true,
  deleted: true,
} as const satisfies Shape;

const ACTION_REQUESTED = { at: true, ...REQUEST } as const;
const OBSERVED: Readonly<Record<MachineKind, Shape>> = {
  job: { at: true, policy: JOB_POLICY, observation: JOB_OBSERVATION },
  cluster: { at: true, policy: CLUSTER_POLICY, observation: CLUSTER_OBSERVATION },
};

/** An event as the journal keeps it: its type, a short label and the allow-listed fields. */
export interface EventSummary {
  readonly type: string;
  /** `OBSERVED`, `STOP requested`, `done(persist)`, `error(cancelJob)`, ... */
  readonly label: string;
  readonly fields: Record<string, unknown>;
}

const EVENT_TYPE = /^[A-Za-z0-9_.@-]{1,120}$/;

function errorName(error: unknown): string {
  if (error instanceof Error) return scrubText(error.name);
  return typeof error;
}

function effectIdOf(type: string, kind: 'done' | 'error'): string | null {
  const prefix = `xstate.${kind}.actor.`;
  return type.startsWith(prefix) ? type.slice(prefix.length) : null;
}

/** The allow-listed summary of an event: effect errors show their class only (messages go to logs). */
export function summarizeEvent(kind: MachineKind, event: unknown): EventSummary {
  const raw = isRecord(event) ? event : {};
  const type = typeof raw['type'] === 'string' && EVENT_TYPE.test(raw['type']) ? raw['type'] : 'unknown';
  const asRecord = (shape: Shape) => {
    const projected = project(raw, shape);
    return isRecord(projected) ? projected : {};
  };
  if (type === 'OBSERVED') return { type, label: 'OBSERVED', fields: asRecord(OBSERVED[kind]) };
  if (type === 'ACTION_REQUESTED') {
    const fields = asRecord(ACTION_REQUESTED);
    const action = typeof fields['action'] === 'string' ? fields['action'] : '?';
    const without = fields['withoutSavepoint'] === true ? ' without savepoint' : '';
    return { type, label: `${action} requested${without}`, fields };
  }
  const done = effectIdOf(type, 'done');
  if (done !== null) {
    const output = project(raw['output'], EFFECT_OUTPUT);
    return { type, label: `done(${done})`, fields: isRecord(output) ? { output } : {} };
  }
  const failed = effectIdOf(type, 'error');
  if (failed !== null) return { type, label: `error(${failed})`, fields: { error: errorName(raw['error']) } };
  return { type, label: type, fields: {} };
}
