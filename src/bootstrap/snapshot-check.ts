// Before a restore, the bootstrap looks for the snapshot's `_metadata` (Flink's entry point of a
// savepoint or retained checkpoint): a missing one is a clear error, never an empty start
// (docs/upgrades.md). What it cannot see (a file system not mounted here, a store it has no
// credentials for, a read that fails) is left to Flink to judge.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export type SnapshotPresence = 'present' | 'missing' | 'unknown';

/** Whether an object exists in object storage (`s3://bucket/key`); rejects when it cannot tell. */
export type ObjectExists = (uri: string) => Promise<boolean>;

const METADATA = '_metadata';
const OBJECT_STORE_SCHEMES = new Set(['s3:', 's3a:', 's3p:']);

/** The `_metadata` of a snapshot path (a directory, or the `_metadata` file itself). */
export function metadataUri(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.endsWith(`/${METADATA}`) ? trimmed : `${trimmed}/${METADATA}`;
}

async function exists(localPath: string): Promise<boolean> {
  try {
    await stat(localPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** A `file:` snapshot: missing only when its directory's parent is visible here and it is not there. */
async function filePresence(url: URL): Promise<SnapshotPresence> {
  const metadata = metadataUri(decodeURIComponent(url.pathname));
  if (await exists(metadata)) return 'present';
  // The snapshot directory, then its parent: when neither is there, this container does not see
  // the volume Flink writes to (the bootstrap pod does not mount it), and nothing can be said.
  const directory = dirname(metadata);
  return (await exists(directory)) || (await exists(dirname(directory))) ? 'missing' : 'unknown';
}

export async function snapshotPresence(path: string, objectExists?: ObjectExists): Promise<SnapshotPresence> {
  let url: URL;
  try {
    url = new URL(path);
  } catch {
    return 'unknown';
  }
  try {
    if (url.protocol === 'file:') return await filePresence(url);
    if (OBJECT_STORE_SCHEMES.has(url.protocol) && objectExists)
      return (await objectExists(metadataUri(path))) ? 'present' : 'missing';
  } catch {
    return 'unknown';
  }
  return 'unknown';
}
