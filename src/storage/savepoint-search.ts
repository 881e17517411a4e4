// Finding the savepoints of a Flink job in its target directory (docs/adr/0023-savepoint-search.md):
// Flink keeps the answer to a savepoint trigger in the JobManager's memory only, so a savepoint that
// completed just before a JobManager restart (without HA) is named nowhere but in storage. Flink
// writes each savepoint as `<target>/savepoint-<first 6 hex of the job id>-<12 hex>/`, its
// `_metadata` file last, once the savepoint is complete: a directory with `_metadata` is a whole
// savepoint, and the file's time says when it completed.
import type { S3Client } from './s3-client.ts';
import { parseS3Uri } from './s3-uri.ts';

export interface FoundSavepoint {
  /** The savepoint's location as Flink reports it: `<target directory>/savepoint-…`. */
  readonly path: string;
  /** When its `_metadata` was written (the object store's clock), ISO 8601. */
  readonly completedAt: string;
}

/** An object of a listing, as both S3 and the simulator's storage give it. */
export interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
}

/**
 * At most this many are reported: the report travels in a pod's termination message (4096 bytes),
 * and one search is for one lost trigger.
 */
export const MAX_REPORTED_SAVEPOINTS = 16;

/** `savepoint-<first 6 hex of the job id>-`: how Flink starts the directory of a job's savepoint. */
export function savepointDirectoryPrefix(jobId: string): string {
  return `savepoint-${jobId.slice(0, 6).toLowerCase()}-`;
}

/**
 * The complete savepoints of `jobId` among the objects listed under `directoryPrefix` (a key prefix
 * ending in '/' or ''), written at or after `since`, oldest first. `base` is the directory's URI
 * without a trailing slash, which the reported paths start with.
 */
export function matchSavepoints(
  objects: readonly ListedObject[],
  directoryPrefix: string,
  base: string,
  jobId: string,
  since: Date,
): FoundSavepoint[] {
  const name = new RegExp(`^${savepointDirectoryPrefix(jobId)}[0-9a-f]{12}$`);
  const found: { path: string; at: Date }[] = [];
  for (const o of objects) {
    if (!o.key.startsWith(directoryPrefix) || !o.key.endsWith('/_metadata')) continue;
    const dir = o.key.slice(directoryPrefix.length, -'/_metadata'.length);
    if (!name.test(dir) || o.lastModified.getTime() < since.getTime()) continue;
    found.push({ path: `${base}/${dir}`, at: o.lastModified });
  }
  return found
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.path.localeCompare(b.path))
    .map((f) => ({ path: f.path, completedAt: f.at.toISOString() }));
}

/** What the search reports: the savepoints found, oldest first, and whether more were left out. */
export interface SavepointSearchReport {
  readonly savepoints: readonly FoundSavepoint[];
  readonly truncated: boolean;
}

/** Lists `directory` (an S3 URI) for the complete savepoints of `jobId` written since `since`. */
export async function findSavepoints(
  client: Pick<S3Client, 'listObjects'>,
  directory: string,
  jobId: string,
  since: Date,
): Promise<SavepointSearchReport> {
  const location = parseS3Uri(directory);
  const base = directory.replace(/\/+$/, '');
  const listed = await client.listObjects(
    location.bucket,
    `${location.prefix}${savepointDirectoryPrefix(jobId)}`,
  );
  const all = matchSavepoints(listed, location.prefix, base, jobId, since);
  return {
    savepoints: all.slice(0, MAX_REPORTED_SAVEPOINTS),
    truncated: all.length > MAX_REPORTED_SAVEPOINTS,
  };
}

/** The report as the search Job writes it (its termination message) and the supervisor reads it. */
export function renderSearchReport(report: SavepointSearchReport): string {
  return JSON.stringify(report);
}

/** The report from a termination message; undefined when it is not one. */
export function parseSearchReport(text: string | undefined): SavepointSearchReport | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as { savepoints?: unknown; truncated?: unknown };
    if (!Array.isArray(value.savepoints)) return undefined;
    const savepoints = value.savepoints.filter(
      (s): s is FoundSavepoint =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as FoundSavepoint).path === 'string' &&
        typeof (s as FoundSavepoint).completedAt === 'string' &&
        Number.isFinite(Date.parse((s as FoundSavepoint).completedAt)),
    );
    return { savepoints, truncated: value.truncated === true };
  } catch {
    return undefined;
  }
}
