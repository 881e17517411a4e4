import type {
  V1ContainerState,
  V1ContainerStatus,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

/** What the node agent knows of one container; the pod's status is computed from these, purely. */
export type ContainerPhase =
  | { readonly kind: 'waiting'; readonly reason: string; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAt: number }
  | {
      readonly kind: 'terminated';
      readonly exitCode: number;
      readonly reason: string;
      readonly startedAt: number;
      readonly finishedAt: number;
      readonly signal?: number;
      /** The container's termination message (terminationMessagePath), if it wrote one. */
      readonly message?: string;
    };

export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  readonly phase: ContainerPhase;
  readonly lastTermination?: ContainerPhase & { kind: 'terminated' };
  readonly restartCount: number;
  readonly ready: boolean;
  readonly init: boolean;
}

export interface PodRecord {
  readonly podIp: string | undefined;
  readonly hostIp: string;
  readonly startedAt: number;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly initContainers: readonly ContainerRecord[];
  readonly containers: readonly ContainerRecord[];
  /** Set when the pod could not be set up at all (bad volume, missing secret). */
  readonly setupError?: { reason: string; message: string };
}

function iso(ms: number): Date {
  return new Date(ms);
}

function toState(phase: ContainerPhase): V1ContainerState {
  switch (phase.kind) {
    case 'waiting':
      return { waiting: { reason: phase.reason, ...(phase.message ? { message: phase.message } : {}) } };
    case 'running':
      return { running: { startedAt: iso(phase.startedAt) } };
    case 'terminated':
      return {
        terminated: {
          exitCode: phase.exitCode,
          reason: phase.reason,
          startedAt: iso(phase.startedAt),
          finishedAt: iso(phase.finishedAt),
          ...(phase.signal !== undefined ? { signal: phase.signal } : {}),
          ...(phase.message !== undefined ? { message: phase.message } : {}),
        },
      };
  }
}

function containerStatus(c: ContainerRecord): V1ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: `flinkvisor-node-agent://${c.image}`,
    ready: c.ready,
    started: c.phase.kind === 'running',
    restartCount: c.restartCount,
    state: toState(c.phase),
    ...(c.lastTermination ? { lastState: toState(c.lastTermination) } : {}),
  };
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export function podPhase(pod: PodRecord): PodPhase {
  if (pod.setupError) return 'Pending';
  const initDone = pod.initContainers.every((c) => c.phase.kind === 'terminated' && c.phase.exitCode === 0);
  const initFailed = pod.initContainers.some((c) => c.phase.kind === 'terminated' && c.phase.exitCode !== 0);
  if (initFailed && pod.restartPolicy === 'Never') return 'Failed';
  if (!initDone) return 'Pending';
  const cs = pod.containers;
  const allTerminated = cs.every((c) => c.phase.kind === 'terminated');
  if (allTerminated && pod.restartPolicy !== 'Always') {
    const failed = cs.some((c) => c.phase.kind === 'terminated' && c.phase.exitCode !== 0);
    if (!failed) return 'Succeeded';
    if (pod.restartPolicy === 'Never') return 'Failed';
  }
  const everStarted = cs.every((c) => c.phase.kind !== 'waiting' || c.restartCount > 0 || c.lastTermination);
  return everStarted ? 'Running' : 'Pending';
}

function condition(type: string, ok: boolean, at: number, reason?: string): V1PodCondition {
  return {
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: iso(at),
    ...(reason && !ok ? { reason } : {}),
  };
}

/**
 * The status the kubelet would report. `lastTransitionTime` comes from `previous` when a condition
 * did not flip, so an unchanged pod yields an unchanged status (no write).
 */
export function computePodStatus(pod: PodRecord, now: number, previous?: V1PodStatus): V1PodStatus {
  const phase = podPhase(pod);
  const initDone = pod.initContainers.every((c) => c.phase.kind === 'terminated' && c.phase.exitCode === 0);
  const containersReady = pod.containers.length > 0 && pod.containers.every((c) => c.ready);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const wanted = [
    condition('PodReadyToStartContainers', pod.podIp !== undefined && !pod.setupError, now),
    condition('Initialized', initDone, now, 'ContainersNotInitialized'),
    condition(
      'ContainersReady',
      containersReady && !terminal,
      now,
      terminal ? 'PodCompleted' : 'ContainersNotReady',
    ),
    condition('Ready', containersReady && !terminal, now, terminal ? 'PodCompleted' : 'ContainersNotReady'),
    condition('PodScheduled', true, now),
  ].map((c) => {
    const before = previous?.conditions?.find((p) => p.type === c.type);
    return before && before.status === c.status && before.lastTransitionTime
      ? { ...c, lastTransitionTime: new Date(before.lastTransitionTime) }
      : c;
  });
  return {
    phase,
    conditions: wanted,
    hostIP: pod.hostIp,
    hostIPs: [{ ip: pod.hostIp }],
    ...(pod.podIp ? { podIP: pod.podIp, podIPs: [{ ip: pod.podIp }] } : {}),
    startTime: iso(pod.startedAt),
    ...(pod.setupError ? { reason: pod.setupError.reason, message: pod.setupError.message } : {}),
    ...(pod.initContainers.length ? { initContainerStatuses: pod.initContainers.map(containerStatus) } : {}),
    containerStatuses: pod.containers.map(containerStatus),
  };
}

/** Equality of the parts a status write would change (times of unchanged conditions are kept). */
export function sameStatus(a: V1PodStatus | undefined, b: V1PodStatus): boolean {
  if (!a) return false;
  const norm = (s: V1PodStatus) => JSON.stringify({ ...s, startTime: undefined });
  return norm(a) === norm(b);
}
