// Builders and fakes for the machine tests: observations with sensible defaults, snapshots in any
// state, recording fake effects, and a fake clock whose waitUntil resolves without real sleeping.
import { createActor, fromPromise, transition } from 'xstate';
import type { AnyStateMachine, StateValue } from 'xstate';
import { clusterMachine, initialClusterContext } from '../../../src/machines/cluster-machine.ts';
import type { ClusterContext } from '../../../src/machines/cluster-machine.ts';
import { initialJobContext, jobMachine } from '../../../src/machines/job-machine.ts';
import type { JobContext } from '../../../src/machines/job-machine.ts';
import type {
  ActionRequestedEvent,
  ClusterObservation,
  ClusterObservedEvent,
  ClusterView,
  JobObservation,
  JobObservedEvent,
  RequestedActionName,
} from '../../../src/machines/observations.ts';
import { DEFAULT_CLUSTER_POLICY, DEFAULT_JOB_POLICY } from '../../../src/machines/policies.ts';
import type { ClusterPolicy, JobPolicy } from '../../../src/machines/policies.ts';

export const T0 = 1_700_000_000_000;
export const UID = 'uid-1';
export const SEED = 'seed-1';
export const SECOND = 1000;

export function jobPolicy(overrides: Partial<JobPolicy> = {}): JobPolicy {
  return { ...DEFAULT_JOB_POLICY, jobParallelism: 2, savepointTargetPath: 's3://savepoints', ...overrides };
}

export function clusterPolicy(overrides: Partial<ClusterPolicy> = {}): ClusterPolicy {
  return { ...DEFAULT_CLUSTER_POLICY, taskSlots: 2, ...overrides };
}

export function clusterView(overrides: Partial<ClusterView> = {}): ClusterView {
  return {
    state: 'Started',
    healthy: true,
    ready: true,
    epoch: 1,
    stopWithoutSavepoint: false,
    startWithoutSavepoint: false,
    ...overrides,
  };
}

export function jobObservation(overrides: Partial<JobObservation> = {}): JobObservation {
  return {
    deletionRequested: false,
    specDigest: 'bootstrap-1',
    cluster: clusterView(),
    flinkJob: 'NONE',
    bootstrap: 'absent',
    bootstrapJobId: null,
    ...overrides,
  };
}

export function jobObserved(
  at: number,
  observation: Partial<JobObservation> = {},
  policy: Partial<JobPolicy> = {},
): JobObservedEvent {
  return { type: 'OBSERVED', at, policy: jobPolicy(policy), observation: jobObservation(observation) };
}

export function clusterObservation(overrides: Partial<ClusterObservation> = {}): ClusterObservation {
  return {
    deletionRequested: false,
    specDigest: 'cluster-1',
    jobManager: { pods: 1, ready: true },
    jobManagerService: true,
    taskManagers: { pods: 1, ready: 1 },
    flink: { reachable: true, slotsTotal: 2, jobs: [] },
    jobs: [{ name: 'a', state: 'Started', parallelism: 2, jobId: 'job-a' }],
    ...overrides,
  };
}

export function clusterObserved(
  at: number,
  observation: Partial<ClusterObservation> = {},
  policy: Partial<ClusterPolicy> = {},
): ClusterObservedEvent {
  return {
    type: 'OBSERVED',
    at,
    policy: clusterPolicy(policy),
    observation: clusterObservation(observation),
  };
}

export function requested(
  action: RequestedActionName,
  at: number,
  withoutSavepoint = false,
): ActionRequestedEvent {
  return { type: 'ACTION_REQUESTED', at, action, withoutSavepoint, requestedAt: at };
}

export function done(id: string, output: unknown = {}): { type: string; output: unknown } {
  return { type: `xstate.done.actor.${id}`, output };
}

export function failed(id: string, error: unknown = new Error('boom')): { type: string; error: unknown } {
  return { type: `xstate.error.actor.${id}`, error };
}

export function baseJobContext(overrides: Partial<JobContext> = {}): JobContext {
  return {
    ...initialJobContext({ uid: UID, idSeed: SEED, at: T0, policy: jobPolicy() }),
    lastObservedAt: T0,
    ...overrides,
  };
}

/** A job context as it is while a submission runs. */
export function runningJobContext(overrides: Partial<JobContext> = {}): JobContext {
  return baseJobContext({
    submission: 1,
    jobId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    parallelism: 2,
    specDigest: 'bootstrap-1',
    clusterEpoch: 1,
    savepointPath: 's3://savepoints/sp-0',
    lastSavepointRequestAt: T0,
    ...overrides,
  });
}

export function baseClusterContext(overrides: Partial<ClusterContext> = {}): ClusterContext {
  return {
    ...initialClusterContext({ uid: UID, at: T0, policy: clusterPolicy() }),
    lastObservedAt: T0,
    ...overrides,
  };
}

export function runningClusterContext(overrides: Partial<ClusterContext> = {}): ClusterContext {
  return baseClusterContext({
    epoch: 1,
    specDigest: 'cluster-1',
    taskSlots: 2,
    desiredTaskManagers: 1,
    ...overrides,
  });
}

export function jobSnapshot(value: StateValue, context: JobContext) {
  return jobMachine.resolveState({ value, context });
}

export function clusterSnapshot(value: StateValue, context: ClusterContext) {
  return clusterMachine.resolveState({ value, context });
}

/** One pure step: the next snapshot and the ids of the effects it would start. */
export function step<TMachine extends AnyStateMachine>(machine: TMachine, snapshot: unknown, event: unknown) {
  const [next, actions] = transition(machine, snapshot as never, event as never);
  const started = (actions as unknown as { type: string; params?: { id?: string } }[])
    .filter((action) => action.type === 'xstate.spawnChild')
    .map((action) => String(action.params?.id));
  return { next: next as { value: StateValue; context: never; status: string }, started };
}

export interface RecordedCall {
  readonly src: string;
  readonly input: unknown;
}

type Behaviour = 'hold' | 'fail' | unknown | ((input: unknown) => unknown);

/**
 * Fake effects: each call is recorded; by default it resolves with `{}` (awaitSavepoint: a completed
 * savepoint), `hold` leaves it pending, `fail` rejects, a function computes the output.
 */
export class FakeEffects {
  readonly calls: RecordedCall[] = [];
  readonly behaviours = new Map<string, Behaviour>();

  set(src: string, behaviour: Behaviour): this {
    this.behaviours.set(src, behaviour);
    return this;
  }

  count(src: string): number {
    return this.calls.filter((call) => call.src === src).length;
  }

  inputs(src: string): unknown[] {
    return this.calls.filter((call) => call.src === src).map((call) => call.input);
  }

  actor(src: string) {
    return fromPromise(async ({ input, signal }: { input: unknown; signal: AbortSignal }) => {
      this.calls.push({ src, input });
      const behaviour = this.behaviours.get(src);
      if (behaviour === 'hold') {
        return await new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        });
      }
      if (behaviour === 'fail') throw new Error(`${src} failed`);
      if (typeof behaviour === 'function') return await (behaviour as (input: unknown) => unknown)(input);
      if (behaviour !== undefined) return behaviour;
      if (src === 'awaitSavepoint') return { status: 'COMPLETED', location: 's3://savepoints/sp-new' };
      if (src === 'readSnapshots') return { checkpoint: null, savepoint: null };
      return {};
    });
  }
}

/** A clock under test control: waitUntil resolves when advance() passes the deadline. */
export class FakeClock {
  now: number;
  private waiters: { deadline: number; resolve: (at: number) => void }[] = [];
  /** Every waitUntil input received, null included. */
  readonly requested: (number | null)[] = [];

  constructor(now: number) {
    this.now = now;
  }

  waitUntil() {
    return fromPromise(
      async ({ input, signal }: { input: { deadline: number | null }; signal: AbortSignal }) => {
        this.requested.push(input.deadline);
        const at = await new Promise<number>((resolve, reject) => {
          if (input.deadline === null) {
            signal.addEventListener('abort', () => reject(new Error('aborted')));
            return;
          }
          if (input.deadline <= this.now) {
            resolve(this.now);
            return;
          }
          const waiter = { deadline: input.deadline, resolve };
          this.waiters.push(waiter);
          signal.addEventListener('abort', () => {
            this.waiters = this.waiters.filter((w) => w !== waiter);
            reject(new Error('aborted'));
          });
        });
        return { at };
      },
    );
  }

  async advance(ms: number): Promise<void> {
    this.now += ms;
    const due = this.waiters.filter((w) => w.deadline <= this.now);
    this.waiters = this.waiters.filter((w) => w.deadline > this.now);
    for (const waiter of due) waiter.resolve(this.now);
    await settle();
  }

  get pending(): number {
    return this.waiters.length;
  }
}

/** Let resolved promises and the actors reacting to them run (no timers involved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

const JOB_EFFECTS = [
  'persist',
  'createBootstrap',
  'deleteBootstrap',
  'triggerSavepoint',
  'awaitSavepoint',
  'stopWithSavepoint',
  'cancelJob',
  'readSnapshots',
  'rescaleInPlace',
] as const;

const CLUSTER_EFFECTS = [
  'ensureJobManager',
  'ensureJobManagerService',
  'cancelFlinkJobs',
  'scaleTaskManagers',
  'deleteClusterResources',
  'removeHighAvailabilityConfigMaps',
  'startStorageCleanup',
] as const;

export function providedJobMachine(effects: FakeEffects, clock: FakeClock) {
  const actors: Record<string, unknown> = { waitUntil: clock.waitUntil() };
  for (const src of JOB_EFFECTS) actors[src] = effects.actor(src);
  return jobMachine.provide({ actors: actors as never });
}

export function providedClusterMachine(effects: FakeEffects, clock: FakeClock) {
  const actors: Record<string, unknown> = { waitUntil: clock.waitUntil() };
  for (const src of CLUSTER_EFFECTS) actors[src] = effects.actor(src);
  return clusterMachine.provide({ actors: actors as never });
}

/** A started job actor with fakes; errors fail the test instead of crashing the process. */
export function liveJob(
  effects: FakeEffects,
  clock: FakeClock,
  input = { uid: UID, idSeed: SEED, at: clock.now },
) {
  const actor = createActor(providedJobMachine(effects, clock), { input });
  const errors: unknown[] = [];
  actor.subscribe({ error: (err) => errors.push(err) });
  actor.start();
  return { actor, errors };
}

export function liveCluster(effects: FakeEffects, clock: FakeClock, input = { uid: UID, at: clock.now }) {
  const actor = createActor(providedClusterMachine(effects, clock), { input });
  const errors: unknown[] = [];
  actor.subscribe({ error: (err) => errors.push(err) });
  actor.start();
  return { actor, errors };
}

type JobActor = ReturnType<typeof liveJob>['actor'];
type ClusterActor = ReturnType<typeof liveCluster>['actor'];

/** Sends observations at the fake clock's time (1 ms apart when the clock did not move). */
export class JobDriver {
  readonly actor: JobActor;
  readonly clock: FakeClock;
  policy: Partial<JobPolicy>;
  readonly notices: string[] = [];
  private last = 0;

  constructor(actor: JobActor, clock: FakeClock, policy: Partial<JobPolicy> = {}) {
    this.actor = actor;
    this.clock = clock;
    this.policy = policy;
    actor.subscribe((snapshot) => {
      const reason = snapshot.context.notice?.reason;
      if (reason !== undefined && reason !== this.notices.at(-1)) this.notices.push(reason);
    });
  }

  private tick(): number {
    this.last = Math.max(this.clock.now, this.last + 1);
    return this.last;
  }

  async observe(observation: Partial<JobObservation> = {}, policy: Partial<JobPolicy> = {}): Promise<void> {
    this.actor.send(jobObserved(this.tick(), observation, { ...this.policy, ...policy }));
    await settle();
  }

  /** The observation of a running job: Flink runs the owned id, the bootstrap Job succeeded. */
  async observeRunning(observation: Partial<JobObservation> = {}): Promise<void> {
    await this.observe({ flinkJob: 'RUNNING', bootstrap: 'absent', ...observation });
  }

  async request(action: RequestedActionName, withoutSavepoint = false): Promise<void> {
    this.actor.send(requested(action, this.tick(), withoutSavepoint));
    await settle();
  }

  /** Unknown → Started.Running with the fakes' default (successful) effects. */
  async start(): Promise<void> {
    await this.observe();
    await this.observe();
    await this.observe({ flinkJob: 'NOT_FOUND' });
    await this.observe({
      flinkJob: 'RUNNING',
      bootstrap: 'active',
      bootstrapJobId: this.actor.getSnapshot().context.jobId,
    });
  }

  get value(): StateValue {
    return this.actor.getSnapshot().value;
  }

  get context(): JobContext {
    return this.actor.getSnapshot().context;
  }
}

export class ClusterDriver {
  readonly actor: ClusterActor;
  readonly clock: FakeClock;
  policy: Partial<ClusterPolicy>;
  readonly notices: string[] = [];
  private last = 0;

  constructor(actor: ClusterActor, clock: FakeClock, policy: Partial<ClusterPolicy> = {}) {
    this.actor = actor;
    this.clock = clock;
    this.policy = policy;
    actor.subscribe((snapshot) => {
      const reason = snapshot.context.notice?.reason;
      if (reason !== undefined && reason !== this.notices.at(-1)) this.notices.push(reason);
    });
  }

  async observe(
    observation: Partial<ClusterObservation> = {},
    policy: Partial<ClusterPolicy> = {},
  ): Promise<void> {
    this.last = Math.max(this.clock.now, this.last + 1);
    this.actor.send(clusterObserved(this.last, observation, { ...this.policy, ...policy }));
    await settle();
  }

  async request(action: RequestedActionName, withoutSavepoint = false): Promise<void> {
    this.last = Math.max(this.clock.now, this.last + 1);
    this.actor.send(requested(action, this.last, withoutSavepoint));
    await settle();
  }

  /** Unknown → Starting → Started.Idle (then healthy defaults: 1 JobManager, Service, 1 TaskManager, one job). */
  async start(): Promise<void> {
    await this.observe({
      jobManager: { pods: 0, ready: false },
      jobManagerService: false,
      taskManagers: { pods: 0, ready: 0 },
      flink: { reachable: false },
    });
    await this.observe();
  }

  get value(): StateValue {
    return this.actor.getSnapshot().value;
  }

  get context(): ClusterContext {
    return this.actor.getSnapshot().context;
  }
}
