// Removing a cluster's state directories from object storage (autoClean, docs/adr/0012-auto-clean.md):
// every object under each directory goes, except those under a directory that must be kept (a
// savepoint still referenced). A repeat finds less or nothing to delete and succeeds: the run that a
// crash interrupted is simply run again.
import type { S3Client } from './s3-client.ts';
import { parseS3Uri, S3UriError, type S3Location } from './s3-uri.ts';

export interface DirectoryCleanup {
  /** The directory as given (`s3://bucket/checkpoints/ns/cluster`). */
  readonly uri: string;
  readonly removed: number;
  /** Objects left in place because they lie under a kept directory. */
  readonly kept: number;
}

/** A directory to remove, refused when it is a whole bucket: that is never what a cleanup means. */
function directory(uri: string): S3Location {
  const location = parseS3Uri(uri);
  if (location.prefix === '') throw new S3UriError(`refusing to remove a whole bucket: ${uri}`);
  return location;
}

/** Whether `key` of `bucket` lies under one of the kept directories. */
function isKept(bucket: string, key: string, keep: readonly S3Location[]): boolean {
  return keep.some((k) => k.bucket === bucket && (k.prefix === '' || key.startsWith(k.prefix)));
}

/**
 * Deletes every object under each of `uris` but those under one of `keep`, one directory after the
 * other, and says what it did per directory. Every URI is checked before anything is deleted.
 */
export async function removeDirectories(
  client: S3Client,
  uris: readonly string[],
  keep: readonly string[] = [],
): Promise<DirectoryCleanup[]> {
  const targets = uris.map((uri) => ({ uri, location: directory(uri) }));
  const kept = keep.map((uri) => parseS3Uri(uri));
  const results: DirectoryCleanup[] = [];
  for (const { uri, location } of targets) {
    const keys = (await client.listObjects(location.bucket, location.prefix)).map((o) => o.key);
    const doomed = keys.filter((key) => !isKept(location.bucket, key, kept));
    await client.deleteObjects(location.bucket, doomed, location.prefix);
    results.push({ uri, removed: doomed.length, kept: keys.length - doomed.length });
  }
  return results;
}
