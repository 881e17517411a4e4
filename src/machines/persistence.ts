// Writing machines to a resource's status and reading them back, without ever crashing.
//
// Encode: { machine, version, value, context } where value is the state to RESUME in (states
// running a side effect declare `meta.resumeAs`: after a restart the machine observes again
// before acting, so no effect runs twice) and context drops the last observation.
// Decode/restore: zod-validate, migrate old versions, check the resource uid, reject unknown
// states with machine.resolveState (it throws), re-create the invoked actors of the restored
// state (waiters get their persisted deadlines, pollers their trigger ids) and hand back an actor
// that is not started yet. Any failure gives a fresh actor plus a reason for a status condition.
import { createActor, getStateNodes, pathToStateValue } from 'xstate';
import type { ActorOptions, AnyStateMachine, StateValue } from 'xstate';
import { z } from 'zod';
import { clusterMachine, initialClusterContext } from './cluster-machine.ts';
import type { ClusterContext, ClusterMachineInput } from './cluster-machine.ts';
import { MACHINE_VERSIONS, envelopeOf } from './envelope.ts';
import type { MachineName, PersistedEnvelope } from './envelope.ts';
import { initialJobContext, jobMachine } from './job-machine.ts';
import type { JobContext, JobMachineInput } from './job-machine.ts';
import { ClusterPolicySchema, JobPolicySchema, JobStopReasonSchema } from './policies.ts';
import type { MachineState } from './views.ts';

export type RestoreFailureReason =
  | 'SnapshotInvalid'
  | 'SnapshotOfAnotherMachine'
  | 'SnapshotOfAnotherResource'
  | 'SnapshotOutdated'
  | 'SnapshotFromNewerVersion'
  | 'SnapshotStateUnknown'
  | 'SnapshotNotRestorable';

export interface RestoreFailure {
  readonly reason: RestoreFailureReason;
  readonly message: string;
}

/** Turns an envelope of version N into version N + 1 (keyed by N). */
export type Migration = (envelope: PersistedEnvelope) => PersistedEnvelope;
export type Migrations = Readonly<Record<number, Migration>>;

/** No version has been superseded yet: version 1 is the first. */
export const JOB_MIGRATIONS: Migrations = {};
export const CLUSTER_MIGRATIONS: Migrations = {};

// Schemas of the persisted context. Unknown extra fields are dropped; missing ones fail.
// The policies and the job stop reasons are the machines' own schemas (policies.ts).

const epochMs = z.number().finite();
const nullableMs = epochMs.nullable();
const lifecycleActions = z.enum(['START', 'STOP', 'TRIGGER_SAVEPOINT', 'FORGET_SAVEPOINT']);
const requestedAction = z.object({
  action: lifecycleActions,
  withoutSavepoint: z.boolean(),
  requestedAt: epochMs,
});
const actionOutcome = requestedAction.extend({
  outcome: z.enum(['accepted', 'rejected']),
  reason: z.string(),
  at: epochMs,
});
const notice = z.object({ reason: z.string(), message: z.string(), at: epochMs });
const count = z.number().int().min(0);
const completedSnapshot = z.object({ path: z.string(), completedAt: epochMs });
const restoreSchema = z.object({
  path: z.string().nullable(),
  kind: z.enum(['savepoint', 'checkpoint', 'none']),
});

const jobContextSchema = z.object({
  uid: z.string().min(1),
  idSeed: z.string(),
  submission: count,
  jobId: z.string().nullable(),
  parallelism: count,
  specDigest: z.string().nullable(),
  clusterEpoch: count.nullable(),
  savepointCounter: count,
  savepoint: z
    .object({
      triggerId: z.string(),
      kind: z.enum(['periodic', 'manual']),
      requestedAt: epochMs,
      deadline: epochMs,
    })
    .nullable(),
  savepointPath: z.string().nullable(),
  savepointAt: nullableMs,
  // Added with K16's fix (absent in older snapshots: the path's trigger is not known).
  savepointTriggerId: z.string().nullable().default(null),
  lastSavepointRequestAt: nullableMs,
  stop: z
    .object({
      reason: JobStopReasonSchema,
      restart: z.boolean(),
      delete: z.boolean(),
      withoutSavepoint: z.boolean(),
      clearSavepointPath: z.boolean(),
      triggerId: z.string().nullable(),
      savepointDeadline: nullableMs,
      savepointAbandoned: z.boolean(),
      cancelDeadline: nullableMs,
      // Added with upgrade modes (absent in older snapshots: nothing read, chosen or asked).
      savepointOutcome: z.enum(['Unread', 'Completed', 'Lost']).nullable().default(null),
      checkpoint: completedSnapshot.nullable().default(null),
      checkpointConfirmed: z.boolean().default(false),
      asked: z.boolean().default(false),
    })
    .nullable(),
  stopReason: JobStopReasonSchema.nullable(),
  lastFlinkState: z.string().nullable(),
  enteredAt: epochMs,
  deadlines: z.object({ restartTimeoutAt: nullableMs, restartAt: nullableMs, savepointDueAt: nullableMs }),
  // Added with JobManager HA (absent in older snapshots: no recovery awaited).
  recoverUntil: nullableMs.default(null),
  // Added with upgrade modes (absent in older snapshots: none known).
  lastCheckpoint: completedSnapshot.nullable().default(null),
  checkpointRestore: completedSnapshot.nullable().default(null),
  restoredFrom: restoreSchema.nullable().default(null),
  // Added with the upgrade health gate (absent in older snapshots: no gate, no stable spec known).
  upgrade: z
    .object({
      phase: z.enum(['Verifying', 'Healthy', 'Failed', 'RollingBack', 'RolledBack']),
      specDigest: z.string().nullable(),
      parallelism: count,
      snapshot: restoreSchema.nullable(),
      until: nullableMs,
      restarts: count,
      reason: z.string().nullable(),
    })
    .nullable()
    .default(null),
  stableSpec: z.object({ specDigest: z.string(), parallelism: count }).nullable().default(null),
  // Added with the autoscaler's act mode (absent in older snapshots: no rescale in place in flight).
  rescale: z.object({ from: count, to: count, deadline: epochMs }).nullable().default(null),
  inPlaceRefused: count.nullable().default(null),
  pendingAction: requestedAction.nullable(),
  lastAction: actionOutcome.nullable(),
  // Added with K3's fix (absent in older snapshots: no request answered as superseded).
  previousAction: actionOutcome.nullable().default(null),
  notice: notice.nullable(),
  now: epochMs,
  lastObservedAt: nullableMs,
  policy: JobPolicySchema,
});

const clusterStopReason = z.enum([
  'Manual',
  'Deleted',
  'SpecChanged',
  'JobManagerLost',
  'JobManagerDrained',
  'Unhealthy',
  'StartTimedOut',
  'RestartRequested',
]);

const clusterContextSchema = z.object({
  uid: z.string().min(1),
  epoch: count,
  specDigest: z.string().nullable(),
  taskSlots: z.number().min(0),
  desiredTaskManagers: count,
  startWithoutSavepoint: z.boolean(),
  stop: z
    .object({
      reason: clusterStopReason,
      restart: z.boolean(),
      delete: z.boolean(),
      withoutSavepoint: z.boolean(),
      jobsDeadline: nullableMs,
    })
    .nullable(),
  stopReason: clusterStopReason.nullable(),
  enteredAt: epochMs,
  deadlines: z.object({ startTimeoutAt: nullableMs, unhealthyAt: nullableMs, scaleDownAt: nullableMs }),
  unreachableSince: nullableMs,
  lastRescaleAt: nullableMs,
  // Added with JobManager HA: snapshots written before it have none of these, which means the same
  // as a fresh epoch (no leader seen, no failover).
  jobManagerLeader: z.string().nullable().default(null),
  jobManagerLeaderId: z.string().nullable().default(null),
  jobManagerFailovers: count.default(0),
  lastFailoverAt: nullableMs.default(null),
  // Added with pod disruptions (ADR 0021): older snapshots recorded none.
  lastDisruption: z
    .object({
      pod: z.string(),
      role: z.enum(['jobmanager', 'taskmanager']),
      reason: z.string(),
      message: z.string(),
      at: epochMs,
    })
    .nullable()
    .default(null),
  podDisruptions: count.default(0),
  // Added with autoClean (ADR 0012): older snapshots were never cleaning up.
  cleanup: z
    .object({
      deadline: epochMs,
      configMaps: z.enum(['Pending', 'Removed', 'Failed']),
      configMapsRemoved: count,
      storage: z.enum(['Skipped', 'Pending', 'Running', 'Removed', 'Failed', 'TimedOut']),
    })
    .nullable()
    .default(null),
  pendingAction: requestedAction.nullable(),
  lastAction: actionOutcome.nullable(),
  // Added with K3's fix (absent in older snapshots: no request answered as superseded).
  previousAction: actionOutcome.nullable().default(null),
  notice: notice.nullable(),
  now: epochMs,
  lastObservedAt: nullableMs,
  policy: ClusterPolicySchema,
});

const stateValue: z.ZodType<StateValue> = z.lazy(() =>
  z.union([z.string(), z.record(z.string(), z.union([stateValue, z.undefined()]))]),
) as z.ZodType<StateValue>;

const envelopeSchema = z.object({
  machine: z.enum(['cluster', 'job']),
  version: z.number().int(),
  value: stateValue,
  context: z.record(z.string(), z.unknown()),
});

/** The value to persist for `value`: the innermost active state with meta.resumeAs is replaced. */
export function resumeValue(machine: AnyStateMachine, value: StateValue): StateValue {
  const nodes = [...new Set(getStateNodes(machine.root, value))];
  const resumable = nodes
    .filter((node) => typeof (node.meta as { resumeAs?: unknown } | undefined)?.resumeAs === 'string')
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (resumable === undefined) return value;
  const target = machine.getStateNodeById((resumable.meta as { resumeAs: string }).resumeAs);
  return pathToStateValue(target.path);
}

export function encodeJobSnapshot(snapshot: MachineState<JobContext>): PersistedEnvelope {
  return envelopeOf('job', resumeValue(jobMachine, snapshot.value), snapshot.context);
}

export function encodeClusterSnapshot(snapshot: MachineState<ClusterContext>): PersistedEnvelope {
  return envelopeOf('cluster', resumeValue(clusterMachine, snapshot.value), snapshot.context);
}

export type DecodeResult<TContext> =
  | { readonly ok: true; readonly state: MachineState<TContext> }
  | { readonly ok: false; readonly failure: RestoreFailure };

function fail<T>(reason: RestoreFailureReason, message: string): DecodeResult<T> {
  return { ok: false, failure: { reason, message } };
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

interface DecodeSpec<TContext> {
  readonly name: MachineName;
  readonly machine: AnyStateMachine;
  readonly schema: z.ZodType<Omit<TContext, 'observed'>>;
  readonly uid: string;
  readonly migrations: Migrations;
}

function decode<TContext>(raw: unknown, spec: DecodeSpec<TContext>): DecodeResult<TContext> {
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success)
    return fail('SnapshotInvalid', `the persisted machine is malformed (${issues(parsed.error)})`);
  let envelope: PersistedEnvelope = parsed.data;
  if (envelope.machine !== spec.name) {
    return fail(
      'SnapshotOfAnotherMachine',
      `the persisted machine is a ${envelope.machine} machine, not a ${spec.name}`,
    );
  }
  const current = MACHINE_VERSIONS[spec.name];
  if (envelope.version > current) {
    return fail(
      'SnapshotFromNewerVersion',
      `the persisted ${spec.name} machine has version ${envelope.version}; this supervisor knows up to ${current}`,
    );
  }
  while (envelope.version < current) {
    const migrate = spec.migrations[envelope.version];
    if (migrate === undefined) {
      return fail(
        'SnapshotOutdated',
        `no migration from ${spec.name} machine version ${envelope.version} to ${current}`,
      );
    }
    try {
      envelope = migrate(envelope);
    } catch (err) {
      return fail('SnapshotOutdated', `migration from version ${envelope.version} failed: ${String(err)}`);
    }
  }
  const context = spec.schema.safeParse(envelope.context);
  if (!context.success) {
    return fail(
      'SnapshotInvalid',
      `the persisted ${spec.name} context is malformed (${issues(context.error)})`,
    );
  }
  const persistedUid = (context.data as unknown as { uid: string }).uid;
  if (persistedUid !== spec.uid) {
    return fail(
      'SnapshotOfAnotherResource',
      `the persisted machine belongs to uid ${persistedUid}, not ${spec.uid}`,
    );
  }
  const fullContext = { ...context.data, observed: null } as TContext;
  try {
    const resolved = spec.machine.resolveState({
      value: resumeValue(spec.machine, envelope.value),
      context: fullContext,
    });
    return { ok: true, state: { value: resolved.value, context: fullContext } };
  } catch (err) {
    return fail(
      'SnapshotStateUnknown',
      `the persisted state does not exist in this machine: ${(err as Error).message}`,
    );
  }
}

export function decodeJobEnvelope(
  raw: unknown,
  uid: string,
  migrations: Migrations = JOB_MIGRATIONS,
): DecodeResult<JobContext> {
  return decode<JobContext>(raw, {
    name: 'job',
    machine: jobMachine,
    schema: jobContextSchema as unknown as z.ZodType<Omit<JobContext, 'observed'>>,
    uid,
    migrations,
  });
}

export function decodeClusterEnvelope(
  raw: unknown,
  uid: string,
  migrations: Migrations = CLUSTER_MIGRATIONS,
): DecodeResult<ClusterContext> {
  return decode<ClusterContext>(raw, {
    name: 'cluster',
    machine: clusterMachine,
    schema: clusterContextSchema as unknown as z.ZodType<Omit<ClusterContext, 'observed'>>,
    uid,
    migrations,
  });
}

type InvokeDefinition = {
  readonly id: string;
  readonly src: unknown;
  readonly input?: unknown;
  readonly systemId?: string;
};

/**
 * A persisted xstate snapshot of `state` whose invoked actors are re-created: restoring from
 * resolveState alone would start none of them (xstate only restarts children it finds in the
 * snapshot), so waits would never end. Their input is computed from the restored context.
 */
export function restorableSnapshot(machine: AnyStateMachine, state: MachineState<unknown>): unknown {
  const resolved = machine.resolveState({ value: state.value, context: state.context as never });
  const persisted = machine.getPersistedSnapshot(resolved) as Record<string, unknown>;
  const children: Record<string, unknown> = {};
  for (const node of new Set(getStateNodes(machine.root, resolved.value))) {
    for (const invoke of node.invoke as readonly InvokeDefinition[]) {
      if (typeof invoke.src !== 'string') continue;
      const input =
        typeof invoke.input === 'function'
          ? (invoke.input as (args: unknown) => unknown)({
              context: state.context,
              event: { type: 'xstate.restore' },
              self: undefined,
            })
          : invoke.input;
      children[invoke.id] = {
        snapshot: { status: 'active', input, output: undefined, error: undefined },
        src: invoke.src,
        syncSnapshot: false,
        systemId: invoke.systemId,
      };
    }
  }
  return { ...persisted, children };
}

export interface Restored<TMachine extends AnyStateMachine> {
  /** Not started: subscribe (with an error observer) first, then start(). */
  readonly actor: ReturnType<typeof createActor<TMachine>>;
  readonly restored: boolean;
  /** Why a fresh actor was made (null when restored or when nothing was persisted). */
  readonly failure: RestoreFailure | null;
}

export interface RestoreOptions {
  readonly migrations?: Migrations;
  readonly actorOptions?: Omit<ActorOptions<AnyStateMachine>, 'snapshot' | 'input'>;
}

function restore<TMachine extends AnyStateMachine, TContext>(
  machine: TMachine,
  raw: unknown,
  decoded: DecodeResult<TContext> | null,
  input: unknown,
  options: RestoreOptions,
): Restored<TMachine> {
  const fresh = (failure: RestoreFailure | null): Restored<TMachine> => ({
    actor: createActor(machine, { ...options.actorOptions, input } as never),
    restored: false,
    failure,
  });
  if (raw === undefined || raw === null || decoded === null) return fresh(null);
  if (!decoded.ok) return fresh(decoded.failure);
  try {
    const snapshot = restorableSnapshot(machine, decoded.state);
    const actor = createActor(machine, { ...options.actorOptions, snapshot } as never);
    if ((actor.getSnapshot() as { status?: string }).status === 'error') {
      return fresh({ reason: 'SnapshotNotRestorable', message: 'the restored machine is in error' });
    }
    return { actor, restored: true, failure: null };
  } catch (err) {
    return fresh({ reason: 'SnapshotNotRestorable', message: (err as Error).message });
  }
}

/**
 * The job actor for a FlinkJob: restored from `raw` (status.machine) when possible, otherwise fresh
 * from `input` with the reason. `machine` is the provided machine (jobMachine.provide({ actors })).
 */
export function restoreJobActor<TMachine extends AnyStateMachine>(
  machine: TMachine,
  raw: unknown,
  input: JobMachineInput,
  options: RestoreOptions = {},
): Restored<TMachine> {
  const decoded =
    raw === undefined || raw === null ? null : decodeJobEnvelope(raw, input.uid, options.migrations);
  return restore(machine, raw, decoded, input, options);
}

export function restoreClusterActor<TMachine extends AnyStateMachine>(
  machine: TMachine,
  raw: unknown,
  input: ClusterMachineInput,
  options: RestoreOptions = {},
): Restored<TMachine> {
  const decoded =
    raw === undefined || raw === null ? null : decodeClusterEnvelope(raw, input.uid, options.migrations);
  return restore(machine, raw, decoded, input, options);
}

/** The context a fresh machine would start with (for status defaults before the first event). */
export const freshContexts = { job: initialJobContext, cluster: initialClusterContext };
