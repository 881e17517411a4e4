import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, ExitCodeError } from './exit-codes.ts';

/**
 * `--wait`: polls a resource's status through the control API until the request is done, printing
 * a progress line whenever what it sees changes. Done means what the user asked for happened, not
 * only that the supervisor took the request: START waits for Started, STOP for Stopped, a
 * savepoint for a new savepoint path, a scale for the new size to be running. A rejected request
 * fails at once (exit 5); the wait is bounded by `--timeout` (exit 6).
 */

export type StatusView = Record<string, unknown>;
export type ResourceKind = 'cluster' | 'job';

export type Verdict =
  | { readonly state: 'waiting'; readonly line: string }
  | { readonly state: 'done'; readonly line: string }
  | { readonly state: 'failed'; readonly reason: string };

interface ActionView {
  readonly action?: unknown;
  readonly requestedAt?: unknown;
  readonly outcome?: unknown;
  readonly reason?: unknown;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** `Started, Updated, HEALTHY, TaskManagers 1/1` — what a person wants to see change. */
export function describeStatus(kind: ResourceKind, s: StatusView): string {
  const parts = [str(s['supervisorStatus']) || 'Unknown', str(s['resourceStatus']) || 'Unknown'];
  if (kind === 'cluster') {
    if (str(s['clusterHealth'])) parts.push(str(s['clusterHealth']));
    parts.push(`TaskManagers ${num(s['taskManagerReplicas']) ?? 0}/${num(s['taskManagers']) ?? 0}`);
  } else {
    if (str(s['jobStatus'])) parts.push(`Flink ${str(s['jobStatus'])}`);
    parts.push(`parallelism ${num(s['jobParallelism']) ?? 0}`);
    if (str(s['savepointTriggerId'])) parts.push('savepoint in flight');
  }
  return parts.join(', ');
}

export interface ActionRequest {
  readonly kind: ResourceKind;
  readonly action: string;
  /** The actionTimestamp the control API answered with: the request's identity. */
  readonly actionTimestamp: number;
  /** The status before the request (savepoint: to tell a new savepoint from the old one). */
  readonly before?: StatusView;
}

function reached(request: ActionRequest, s: StatusView): boolean {
  const state = s['supervisorStatus'];
  switch (request.action) {
    case 'START':
      return request.kind === 'cluster'
        ? state === 'Started' && s['resourceStatus'] === 'Updated'
        : state === 'Started' && s['jobStatus'] === 'RUNNING';
    case 'STOP':
      return state === 'Stopped';
    case 'TRIGGER_SAVEPOINT': {
      const path = str(s['savepointPath']);
      const before = request.before ?? {};
      const changed =
        path !== str(before['savepointPath']) || s['savepointTimestamp'] !== before['savepointTimestamp'];
      return path !== '' && changed && !str(s['savepointTriggerId']);
    }
    case 'FORGET_SAVEPOINT':
      return str(s['savepointPath']) === '';
    default:
      return false;
  }
}

/** Where an action request stands, from the status view of GET …/status. */
export function judgeAction(request: ActionRequest, s: StatusView): Verdict {
  const status = describeStatus(request.kind, s);
  // A request answered just before the next one (superseded by it, or rejected while the next was
  // taken) has its answer here, not in lastAction.
  const superseded = (s['previousAction'] ?? undefined) as ActionView | undefined;
  if (num(superseded?.requestedAt) === request.actionTimestamp && superseded?.outcome === 'rejected')
    return {
      state: 'failed',
      reason: `${request.action} was rejected: ${str(superseded.reason) || 'no reason given'}`,
    };
  const last = (s['lastAction'] ?? undefined) as ActionView | undefined;
  const lastAt = num(last?.requestedAt);
  if (lastAt === undefined || lastAt < request.actionTimestamp) {
    if (s['supervisorStatus'] === 'Terminated')
      return { state: 'failed', reason: `the ${request.kind} was deleted` };
    const requested = s['requestedAction'] as ActionView | undefined;
    const pending = s['pendingAction'] as ActionView | undefined;
    const where = requested
      ? 'waiting for the supervisor to take the request'
      : pending
        ? `the supervisor holds ${str(pending.action)} until the ${request.kind} can take it`
        : 'waiting for the supervisor';
    return { state: 'waiting', line: `${status} (${where})` };
  }
  if (lastAt === request.actionTimestamp && last?.outcome === 'rejected') {
    return {
      state: 'failed',
      reason: `${request.action} was rejected: ${str(last.reason) || 'no reason given'}`,
    };
  }
  return reached(request, s) ? { state: 'done', line: status } : { state: 'waiting', line: status };
}

export interface ScaleRequest {
  readonly kind: ResourceKind;
  /** metadata.generation after the scale: the status must have observed it. */
  readonly generation: number | undefined;
  /** Jobs: the parallelism that will run (the request clamped to the job's bounds). */
  readonly parallelism?: number;
}

export function judgeScale(request: ScaleRequest, s: StatusView): Verdict {
  const status = describeStatus(request.kind, s);
  const observed = num(s['observedGeneration']) ?? 0;
  if (request.generation !== undefined && observed < request.generation) {
    return { state: 'waiting', line: `${status} (waiting for the supervisor to see the new size)` };
  }
  const state = s['supervisorStatus'];
  if (state === 'Terminated') return { state: 'failed', reason: `the ${request.kind} was deleted` };
  let done: boolean;
  if (request.kind === 'cluster') {
    done = state === 'Stopped' || (state === 'Started' && s['resourceStatus'] === 'Updated');
  } else if (request.parallelism === 0) {
    done = state === 'Stopped';
  } else {
    done =
      state === 'Started' &&
      s['jobStatus'] === 'RUNNING' &&
      (request.parallelism === undefined || s['jobParallelism'] === request.parallelism);
  }
  return { state: done ? 'done' : 'waiting', line: status };
}

/**
 * Pause or resume (ADR 0019): done once the status says what the annotation asks (status.paused,
 * written by the supervisor, or the operator for a FlinkDeployment, at its next pass).
 */
export function judgePause(paused: boolean, s: StatusView): Verdict {
  const line =
    s['paused'] === true ? 'paused' : s['paused'] === false ? 'not paused' : 'paused not reported yet';
  return { state: s['paused'] === paused ? 'done' : 'waiting', line };
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Receives a line each time what the wait sees changes. */
  readonly progress: (line: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Polls `read` until `judge` says done (resolves with the last status) or failed (exit 5), or the
 * timeout passes (exit 6). A failing read (a JobManager restart makes the API briefly 503) is
 * shown and retried; a resource that disappears (exit 4) or missing rights end the wait.
 */
export async function waitUntilDone(
  what: string,
  read: () => Promise<StatusView>,
  judge: (s: StatusView) => Verdict,
  o: WaitOptions,
): Promise<StatusView> {
  const now = o.now ?? (() => Date.now());
  const pause = o.sleep ?? ((ms: number) => sleep(ms).then(() => undefined));
  const started = now();
  let lastLine = '';
  for (;;) {
    let line: string;
    let status: StatusView | undefined;
    try {
      status = await read();
      const verdict = judge(status);
      if (verdict.state === 'failed') throw new ExitCodeError(`${what}: ${verdict.reason}`, EXIT.conflict);
      line = verdict.line;
      if (verdict.state === 'done') {
        o.progress(`${what}: ${line} (${Math.round((now() - started) / 1000)}s)`);
        return status;
      }
    } catch (err) {
      if (err instanceof ExitCodeError && err.exitCode !== EXIT.failure) throw err;
      line = `cannot read the status: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (line !== lastLine) {
      o.progress(`${what}: ${line} (${Math.round((now() - started) / 1000)}s)`);
      lastLine = line;
    }
    if (now() - started >= o.timeoutMs) {
      throw new ExitCodeError(
        `${what}: not done after ${Math.round(o.timeoutMs / 1000)}s; last seen: ${lastLine || 'nothing'}`,
        EXIT.timeout,
      );
    }
    await pause(o.intervalMs ?? 1000);
  }
}
