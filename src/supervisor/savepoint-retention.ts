// Which FlinkSavepoints of one job to dispose and which to forget (ADR 0015). Pure: the history
// module (savepoint-history.ts) reads the objects, asks this plan, and acts on it.
//
// - Completed savepoints (files on storage) beyond `maxCount`, or older than `maxAge`, are
//   disposed: files first, then the object. The newest completed one and the one the job restores
//   next are never disposed by retention; user-requested (manual) ones only with `includeManual`.
// - Failed and Abandoned records have no files: past the same limits they are forgotten (deleted).
// - Pending records are never touched; a disposal once begun is carried on whatever the policy
//   says now (its files may be half gone).
// - `spec.dispose` asks for a disposal by hand; only the savepoint the job restores next is refused.

import type { SavepointKind, SavepointState } from '../api/flink-savepoint.ts';

export interface SavepointRecord {
  readonly name: string;
  readonly kind: SavepointKind;
  /** Undefined while the supervisor has not written a status yet (a request, or a crash after create). */
  readonly state: SavepointState | undefined;
  readonly path: string | undefined;
  /** Completion time (completed) or request time (others), epoch ms; creation time as a fallback. */
  readonly at: number;
  readonly disposeRequested: boolean;
  /** status.disposal is set: a disposal has begun. */
  readonly disposing: boolean;
  /** Released from its FlinkJob (savepoint on deletion): the job's policy no longer applies. */
  readonly released: boolean;
}

export interface RetentionPolicy {
  readonly maxCount?: number | undefined;
  /** Seconds. */
  readonly maxAge?: number | undefined;
  readonly includeManual: boolean;
}

export interface RetentionPlan {
  /** Completed savepoints whose files go, with why. */
  readonly dispose: readonly { readonly name: string; readonly reason: string }[];
  /** Records without files that are deleted. */
  readonly forget: readonly { readonly name: string; readonly reason: string }[];
  /** Disposals asked for by hand and refused. */
  readonly refused: readonly { readonly name: string; readonly message: string }[];
}

const newestFirst = (a: SavepointRecord, b: SavepointRecord) => b.at - a.at || (a.name < b.name ? -1 : 1);

/** Indexes past maxCount or older than maxAge, newest first. */
function beyondPolicy(
  records: readonly SavepointRecord[],
  policy: RetentionPolicy,
  now: number,
): { record: SavepointRecord; reason: string }[] {
  const out: { record: SavepointRecord; reason: string }[] = [];
  [...records].sort(newestFirst).forEach((record, index) => {
    if (policy.maxCount !== undefined && index >= policy.maxCount)
      out.push({ record, reason: `retention: beyond the newest ${policy.maxCount}` });
    else if (policy.maxAge !== undefined && now - record.at > policy.maxAge * 1000)
      out.push({ record, reason: `retention: older than ${policy.maxAge}s` });
  });
  return out;
}

export function planRetention(
  records: readonly SavepointRecord[],
  policy: RetentionPolicy | undefined,
  restorablePath: string | null,
  now: number,
): RetentionPlan {
  const dispose = new Map<string, string>();
  const forget = new Map<string, string>();
  const refused: { name: string; message: string }[] = [];

  for (const r of records) {
    if (r.state === 'Pending' || r.state === undefined) continue;
    if (r.state !== 'Completed') {
      if (r.disposeRequested) forget.set(r.name, 'requested: no files to dispose');
      continue;
    }
    if (r.disposing) dispose.set(r.name, 'disposal in progress');
    else if (r.disposeRequested) {
      if (r.path !== undefined && r.path === restorablePath)
        refused.push({
          name: r.name,
          message: `refused: the job restores ${r.path} at its next start (FORGET_SAVEPOINT first)`,
        });
      else dispose.set(r.name, 'requested');
    }
  }

  const limited = policy !== undefined && (policy.maxCount !== undefined || policy.maxAge !== undefined);
  if (limited) {
    const governed = records.filter(
      (r) => !r.released && r.kind !== 'deletion' && (policy.includeManual || r.kind !== 'manual'),
    );
    const completed = governed.filter((r) => r.state === 'Completed');
    const newest = [...completed].sort(newestFirst)[0];
    for (const { record, reason } of beyondPolicy(completed, policy, now)) {
      if (record === newest || (record.path !== undefined && record.path === restorablePath)) continue;
      if (!dispose.has(record.name)) dispose.set(record.name, reason);
    }
    const withoutFiles = governed.filter((r) => r.state === 'Failed' || r.state === 'Abandoned');
    for (const { record, reason } of beyondPolicy(withoutFiles, policy, now))
      if (!forget.has(record.name)) forget.set(record.name, reason);
  }
  return {
    dispose: [...dispose].map(([name, reason]) => ({ name, reason })),
    forget: [...forget].map(([name, reason]) => ({ name, reason })),
    refused,
  };
}

// A failed disposal is tried again (savepoint-history.ts), later each time.
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 600_000;

/** Delay before the next attempt after `attempts` failed ones: 30 s doubling, at most 10 min. */
export function disposalRetryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
}
