// The visualizer's memory: per machine, the latest snapshot and a bounded ring of its last
// transitions (time, event, from, to and the states passed through on the way). The supervisor
// feeds it, either by handing `inspector(kind, name)` to the actor as its `inspect` option (which
// also catches the event behind every snapshot, effect outcomes included) or by calling `record()`.
// Only sanitized data ever leaves it (sanitize.ts); the raw snapshot stays inside, for predictions.
import type { InspectionEvent, StateValue } from 'xstate';
import type { LifecycleState } from '../machines/observations.ts';
import { lifecycleState } from '../machines/views.ts';
import { RingBuffer } from './ring-buffer.ts';
import { sanitizeContext, scrubText, statePath, summarizeEvent } from './sanitize.ts';
import type { EventSummary, MachineKind } from './sanitize.ts';

export type { EventSummary, MachineKind } from './sanitize.ts';

/** One recorded step of a machine: a change of state, or a notable event that kept the state. */
export interface TransitionRecord {
  /** Increases by one per record of this machine. */
  readonly seq: number;
  /** Wall-clock time of the record (epoch ms, the journal's clock). */
  readonly at: number;
  readonly event: EventSummary;
  /** Dotted state paths: `Started.Running` → `Stopping.Idle`. */
  readonly from: string;
  readonly to: string;
  /** States entered and left again within the same step (eventless rows), in order. */
  readonly via: readonly string[];
}

/** The event type of an autoscaler decision in a job's timeline (not a machine event). */
export const AUTOSCALER_DECISION = 'AUTOSCALER_DECISION';

/** One autoscaler decision as a job's timeline shows it (status.autoscaler after the change). */
export interface AutoscalerDecisionNote {
  readonly mode: string;
  readonly reason: string;
  readonly current: number;
  readonly recommended: number;
  readonly message: string;
  /** Busy-time fraction of the busiest scalable vertex, when the decision read one. */
  readonly utilization?: number;
}

/** A deadline the machine waits for (waiters in context), for countdowns. */
export interface DeadlineView {
  /** Context field, e.g. `deadlines.restartAt` or `stop.cancelDeadline`. */
  readonly field: string;
  readonly label: string;
  readonly at: number;
}

/** What the visualizer shows of one machine (all of it sanitized). */
export interface MachineView {
  readonly kind: MachineKind;
  readonly name: string;
  /** The top-level state (status.supervisorStatus). */
  readonly state: LifecycleState;
  /** The active state as a dotted path (`Stopping.SavepointStop.Awaiting`). */
  readonly path: string;
  /** xstate status: active, done (Terminated), error, stopped. */
  readonly status: string;
  readonly context: Record<string, unknown>;
  readonly deadlines: readonly DeadlineView[];
  /** When the journal last saw a snapshot of it (epoch ms). */
  readonly updatedAt: number;
}

export interface JournalEntry {
  readonly view: MachineView;
  /** Oldest first. */
  readonly transitions: readonly TransitionRecord[];
  /** Transitions that no longer fit the ring. */
  readonly dropped: number;
}

/** The value and context of a live snapshot: what predictions start from (never shown raw). */
export interface RawMachineState {
  readonly value: StateValue;
  readonly context: unknown;
}

export interface MachineJournalOptions {
  /** Transitions kept per machine (default 100). */
  readonly capacity?: number;
  /** Clock for the records' times (the supervisor's clock; default Date.now). */
  readonly now?: () => number;
}

const DEADLINE_FIELDS: Readonly<Record<MachineKind, readonly (readonly [string, string])[]>> = {
  job: [
    ['deadlines.restartTimeoutAt', 'start timeout (restartTimeout)'],
    ['deadlines.restartAt', 'restart (restartDelay)'],
    ['deadlines.savepointDueAt', 'next periodic savepoint'],
    ['savepoint.deadline', 'savepoint timeout'],
    ['stop.savepointDeadline', 'stop-with-savepoint timeout'],
    ['stop.cancelDeadline', 'cancel timeout'],
  ],
  cluster: [
    ['deadlines.startTimeoutAt', 'start timeout'],
    ['deadlines.unhealthyAt', 'unreachable: restart'],
    ['deadlines.scaleDownAt', 'scale down (rescaleDelay)'],
    ['stop.jobsDeadline', 'jobs stop timeout'],
  ],
};

function fieldAt(context: Record<string, unknown>, field: string): unknown {
  let value: unknown = context;
  for (const key of field.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

function deadlinesOf(kind: MachineKind, context: Record<string, unknown>): DeadlineView[] {
  const out: DeadlineView[] = [];
  for (const [field, label] of DEADLINE_FIELDS[kind]) {
    const at = fieldAt(context, field);
    if (typeof at === 'number' && Number.isFinite(at)) out.push({ field, label, at });
  }
  return out.sort((a, b) => a.at - b.at);
}

interface SnapshotLike {
  readonly value?: unknown;
  readonly context?: unknown;
  readonly status?: unknown;
}

function asSnapshot(snapshot: unknown): SnapshotLike {
  return typeof snapshot === 'object' && snapshot !== null ? (snapshot as SnapshotLike) : {};
}

/** The view of a snapshot: value, status and the allow-listed context (also used for live sources). */
export function viewOf(kind: MachineKind, name: string, snapshot: unknown, updatedAt: number): MachineView {
  const { value, context, status } = asSnapshot(snapshot);
  const sanitized = sanitizeContext(kind, context);
  return {
    kind,
    name,
    state: lifecycleState((value ?? 'Unknown') as StateValue),
    path: statePath(value),
    status: typeof status === 'string' ? status : 'unknown',
    context: sanitized,
    deadlines: deadlinesOf(kind, sanitized),
    updatedAt,
  };
}

function key(kind: MachineKind, name: string): string {
  return `${kind}/${name}`;
}

// Changes worth a record even when the state stays: a request arrives, is decided, a notice is given.
function notable(before: Record<string, unknown>, after: Record<string, unknown>): boolean {
  return ['pendingAction', 'lastAction', 'notice'].some(
    (field) => JSON.stringify(before[field] ?? null) !== JSON.stringify(after[field] ?? null),
  );
}

class Entry {
  readonly kind: MachineKind;
  readonly name: string;
  readonly transitions: RingBuffer<TransitionRecord>;
  raw: RawMachineState | null = null;
  view: MachineView;
  seq = 0;
  /** States seen within the current step (from inspection microsteps). */
  microsteps: string[] = [];

  constructor(kind: MachineKind, name: string, capacity: number, at: number) {
    this.kind = kind;
    this.name = name;
    this.transitions = new RingBuffer(capacity);
    this.view = viewOf(kind, name, undefined, at);
  }
}

export class MachineJournal {
  readonly #capacity: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<() => void>();

  constructor(options: MachineJournalOptions = {}) {
    this.#capacity = options.capacity ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records a snapshot of a machine and, when known, the event that produced it. A record joins the
   * transitions when the state changed or a request/notice did; either way the latest view updates.
   */
  record(kind: MachineKind, name: string, snapshot: unknown, event?: unknown): void {
    const at = this.#now();
    const k = key(kind, name);
    let entry = this.#entries.get(k);
    const isNew = entry === undefined;
    if (entry === undefined) {
      entry = new Entry(kind, name, this.#capacity, at);
      this.#entries.set(k, entry);
    }
    const before = entry.view;
    const after = viewOf(kind, name, snapshot, at);
    const { value, context } = asSnapshot(snapshot);
    entry.raw = { value: (value ?? 'Unknown') as StateValue, context };
    entry.view = after;
    const via = entry.microsteps.filter((path, i, all) => path !== after.path && path !== all[i - 1]);
    entry.microsteps = [];
    const from = isNew ? '' : before.path;
    if (isNew || from !== after.path || notable(before.context, after.context)) {
      entry.seq += 1;
      entry.transitions.push({
        seq: entry.seq,
        at,
        // Without its event (a caller of record() that has none) the step says so.
        event: summarizeEvent(kind, event ?? { type: 'snapshot' }),
        from,
        to: after.path,
        via: via.filter((path) => path !== from),
      });
    }
    this.#changed();
  }

  /**
   * Adds an autoscaler decision to a job's timeline (the supervisor notes each change of the
   * reason or the recommended parallelism): the decision is not a machine event and keeps the
   * state, so its record goes from the current state to itself. A job the journal has not seen yet
   * gets none (its machine's first snapshot comes first).
   */
  noteAutoscalerDecision(name: string, decision: AutoscalerDecisionNote): void {
    const entry = this.#entries.get(key('job', name));
    if (entry === undefined) return;
    const change =
      decision.recommended !== 0 && decision.recommended !== decision.current
        ? ` ${decision.current} → ${decision.recommended}`
        : '';
    entry.seq += 1;
    entry.transitions.push({
      seq: entry.seq,
      at: this.#now(),
      event: {
        type: AUTOSCALER_DECISION,
        label: `autoscaler ${decision.reason}${change}`,
        fields: {
          mode: decision.mode,
          reason: decision.reason,
          current: decision.current,
          recommended: decision.recommended,
          ...(decision.utilization === undefined ? {} : { utilization: decision.utilization }),
          message: scrubText(decision.message),
        },
      },
      from: entry.view.path,
      to: entry.view.path,
      via: [],
    });
    this.#changed();
  }

  /**
   * An `inspect` observer for this machine's actor (createActor / restore*Actor `actorOptions`): it
   * records every snapshot of the machine itself (not of its invoked effects) with its event, and
   * the states passed through within a step.
   */
  inspector(kind: MachineKind, name: string): (event: InspectionEvent) => void {
    return (inspection) => {
      // Runs inside the actor's step: whatever happens here must not reach the machine.
      try {
        if (inspection.actorRef.sessionId !== inspection.rootId) return;
        if (inspection.type === '@xstate.microstep') {
          const entry = this.#entries.get(key(kind, name));
          const path = statePath((inspection.snapshot as SnapshotLike).value);
          if (entry !== undefined && path !== '') entry.microsteps.push(path);
          return;
        }
        if (inspection.type === '@xstate.snapshot') {
          this.record(kind, name, inspection.snapshot, inspection.event);
        }
      } catch {
        // The visualizer is a debugging aid: losing one record is better than disturbing a machine.
      }
    };
  }

  /** Drops a machine (its resource is gone). */
  forget(kind: MachineKind, name: string): void {
    if (this.#entries.delete(key(kind, name))) this.#changed();
  }

  /** Every machine, clusters first, then by name. */
  entries(): JournalEntry[] {
    return [...this.#entries.values()]
      .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'cluster' ? -1 : 1))
      .map((entry) => this.#entryView(entry));
  }

  entry(kind: MachineKind, name: string): JournalEntry | undefined {
    const entry = this.#entries.get(key(kind, name));
    return entry === undefined ? undefined : this.#entryView(entry);
  }

  /** The latest raw value and context (for predictions; never serialize this). */
  latest(kind: MachineKind, name: string): RawMachineState | undefined {
    return this.#entries.get(key(kind, name))?.raw ?? undefined;
  }

  /** Called after every change (coalesce: snapshots come in bursts). Returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #entryView(entry: Entry): JournalEntry {
    return { view: entry.view, transitions: entry.transitions.toArray(), dropped: entry.transitions.dropped };
  }

  #changed(): void {
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch {
        // A failing listener (a closed SSE client) must not break the machine that is recording.
      }
    }
  }
}
