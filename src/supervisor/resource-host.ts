import type { AnyActorRef } from 'xstate';
import type { ActionOutcome, Notice, RequestedAction } from '../machines/observations.ts';
import type { StatusWriter } from './status-writer.ts';

/** What every machine context carries that the supervisor reports on. */
export interface ReportedContext {
  readonly notice: Notice | null;
  readonly lastAction: ActionOutcome | null;
  readonly pendingAction: RequestedAction | null;
}

/** The supervisor's handle on one resource: its machine actor and its status writer. */
export interface ResourceHost {
  readonly kind: 'cluster' | 'job';
  readonly name: string;
  readonly uid: string;
  readonly actor: AnyActorRef;
  readonly writer: StatusWriter;
  lastValue: string;
  lastNoticeAt: number | null;
  lastActionAt: number | null;
  /** Why the persisted snapshot could not be restored (reported once as a condition and an Event). */
  restoreFailure: { reason: string; message: string } | null;
  /** Set when the spec could not be parsed at this generation. */
  invalidSpec: { generation: number; message: string } | null;
}
