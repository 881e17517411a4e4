// The requested-action annotation (START, STOP, TRIGGER_SAVEPOINT, FORGET_SAVEPOINT), whoever set
// it (kubectl, the control API, the CLI), under Flinkvisor's name or the toolbox's alias: stamped
// with its identity, handed to the machine, and cleared once the machine recorded it in status.
import {
  ANNOTATIONS,
  type FLINK_CLUSTER,
  type FLINK_JOB,
  parseRequestedAction,
  requestAnnotationKeys,
} from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import type { EventType } from '../kube/event-recorder.ts';
import { retryOnConflict } from '../kube/retry-on-conflict.ts';
import type { ActionRequestedEvent, RequestedActionName } from '../machines/observations.ts';
import type { InvalidAction, ReportedContext } from './resource-host.ts';
import { MAX_ACTION_STAMP_AHEAD_MS, parseActionStamp } from '../api/action-time.ts';

export { parseActionStamp };

/**
 * The persisted machine snapshot with every recorded request time that lies beyond the accepted
 * window ahead of `now` (1e300, a clock far ahead when it was stored) brought back to `now`. A
 * machine ignores any request not newer than its last one, so one such time restored as is would
 * make every later request look old, and be cleared unanswered, forever. Restored snapshots pass
 * through here; anything that is not an envelope with a context is returned as is.
 */
export function withSaneActionTimes(machine: unknown, now: number): unknown {
  if (!machine || typeof machine !== 'object') return machine;
  const context = (machine as { context?: unknown }).context;
  if (!context || typeof context !== 'object') return machine;
  const fixed: Record<string, unknown> = { ...(context as Record<string, unknown>) };
  let changed = false;
  for (const field of ['lastAction', 'pendingAction']) {
    const action = fixed[field] as { requestedAt?: unknown } | null | undefined;
    const at = action?.requestedAt;
    if (typeof at === 'number' && !(at <= now + MAX_ACTION_STAMP_AHEAD_MS)) {
      fixed[field] = { ...action, requestedAt: now };
      changed = true;
    }
  }
  return changed ? { ...(machine as Record<string, unknown>), context: fixed } : machine;
}

/** A key as one JSON Pointer token (RFC 6901): `~` and `/` escaped. */
function jsonPointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

export const EXPECTED_ACTIONS = 'START, STOP, TRIGGER_SAVEPOINT or FORGET_SAVEPOINT';

/** What taking a request needs of the supervisor. */
export interface RequestedActionPorts {
  readonly resources: CustomResourceClient;
  readonly namespace: string;
  /** Counts one metadata write (the apiWrites metric). */
  readonly metadataWritten: () => void;
  readonly debug: (fields: Record<string, unknown>, message: string) => void;
  /** The pause between tries after a conflict while clearing (the supervisor's clock). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The resource the request is on, and its machine. */
export interface ActionTarget {
  readonly kind: typeof FLINK_CLUSTER | typeof FLINK_JOB;
  readonly raw: CustomObject;
  send(event: ActionRequestedEvent): void;
  context(): ReportedContext;
  /** Remembers a request no machine can take, so the status says why (ActionProcessed). */
  refuse(invalid: InvalidAction): void;
  event(type: EventType, reason: string, message: string): void;
  /** Writes the resource's status now; resolves once stored. */
  writeStatus(): Promise<void>;
}

export type ActionHandling =
  /** No request, or one already taken (its annotation is being cleared). */
  | 'none'
  /** An unknown action: refused and cleared. */
  | 'invalid'
  /** The request had no identity of its own yet: stamped; it comes back through the watch. */
  | 'stamped'
  /** Handed to the machine, which recorded it; the annotation is cleared. */
  | 'recorded'
  /** Handed to the machine, which did not record it (yet): the annotation stays for the next pass. */
  | 'sent';

/**
 * Takes the request on `target`, if any. The annotation is stamped with its time if the user gave
 * none (its identity, so a repeat is ignored), handed to the machine, and cleared once the machine
 * recorded it (pending or processed) and that record is in status: a crash in between re-sends the
 * same request, which the machine ignores.
 */
export async function takeRequestedAction(
  ports: RequestedActionPorts,
  target: ActionTarget,
  now: number,
): Promise<ActionHandling> {
  const { kind, raw } = target;
  const annotations = raw.metadata.annotations ?? {};
  const keys = requestAnnotationKeys(annotations);
  const value = annotations[keys.requestedAction];
  const action = parseRequestedAction(value);
  if (action === undefined) return 'none';
  const name = raw.metadata.name ?? '';
  const stamp = annotations[ANNOTATIONS.actionTimestamp];
  // Clears the request's annotations, only while they still carry this request (a newer one stays).
  // The JSON patch's `test` ops are the precondition, not the resourceVersion: the status writes the
  // same request causes must not make the clearing fail.
  const clear = () =>
    retryOnConflict(
      async () => {
        const current = await ports.resources.get(kind, ports.namespace, name);
        const a = current?.metadata.annotations ?? {};
        if (!current || a[keys.requestedAction] !== value || a[ANNOTATIONS.actionTimestamp] !== stamp) return;
        const path = (key: string) => `/metadata/annotations/${jsonPointerToken(key)}`;
        const present = [keys.requestedAction, keys.withoutSavepoint, ANNOTATIONS.actionTimestamp]
          .filter((key) => a[key] !== undefined)
          .map(path);
        await ports.resources.jsonPatch(kind, ports.namespace, name, [
          { op: 'test', path: path(keys.requestedAction), value },
          ...(stamp === undefined
            ? []
            : [
                {
                  op: 'test',
                  path: `/metadata/annotations/${jsonPointerToken(ANNOTATIONS.actionTimestamp)}`,
                  value: stamp,
                },
              ]),
          ...present.map((path) => ({ op: 'remove', path })),
        ]);
        ports.metadataWritten();
      },
      ports.sleep ? { sleep: ports.sleep } : {},
    ).catch((err: unknown) =>
      ports.debug({ err: String(err) }, 'action annotation not cleared; next pass retries'),
    );
  if (action === 'invalid') {
    const message = `unknown requested action "${value}"; expected ${EXPECTED_ACTIONS}`;
    target.event('Warning', 'InvalidAction', message);
    // The condition, not only the Event: `kubectl wait --for=condition=ActionProcessed` must end.
    target.refuse({ at: now, message });
    await target
      .writeStatus()
      .catch((err: unknown) =>
        ports.debug({ err: String(err) }, 'status not written; the next snapshot writes it'),
      );
    await clear();
    return 'invalid';
  }
  const identity = parseActionStamp(stamp, now);
  if (!identity || (identity.action !== undefined && identity.action !== action)) {
    if (stamp && !identity) {
      target.event(
        'Warning',
        'ActionTimestampReplaced',
        `action timestamp "${stamp.slice(0, 64)}" is not a time within the accepted window; replaced with ${now}`,
      );
    }
    // The request's identity: its time, and the action it belongs to, so a stamp left by an
    // earlier request is never mistaken for this one.
    await ports.resources
      .patch(kind, ports.namespace, name, {
        metadata: {
          resourceVersion: raw.metadata.resourceVersion,
          annotations: { [ANNOTATIONS.actionTimestamp]: `${now}:${action}` },
        },
      })
      .then(() => ports.metadataWritten())
      .catch(() => undefined);
    return 'stamped';
  }
  const requestedAt = identity.at;
  target.send({
    type: 'ACTION_REQUESTED',
    at: now,
    action: action as RequestedActionName,
    withoutSavepoint: (annotations[keys.withoutSavepoint] ?? '').toLowerCase() === 'true',
    requestedAt,
  });
  // Recorded means this very request is the machine's pending or last one: a time order would
  // count a request stamped by a clock behind the previous stamp as taken (K1).
  const context = target.context();
  const isThis = (seen: { action: string; requestedAt: number } | null | undefined) =>
    seen?.requestedAt === requestedAt && seen.action === action;
  const recorded = isThis(context.pendingAction) || isThis(context.lastAction);
  if (!recorded) return 'sent';
  await target.writeStatus();
  await clear();
  return 'recorded';
}
