// Whether Flink could reach its state storage, read from what Flink said about the last savepoint.
// Wrong S3 credentials do not stop a JobManager from starting (the file system connects lazily), so
// the first sign is a savepoint or checkpoint that fails with the store's refusal. Naming the Secret
// the credentials came from turns "savepoint abandoned: ...403..." into something a user can fix.
import type { StorageSpec } from '../api/flink-cluster.ts';

/** Error codes S3-compatible stores answer when the credentials, not the request, are wrong. */
const REFUSALS = [
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidClientTokenId',
  'ExpiredToken',
  'InvalidToken',
] as const;

export interface StorageRefusal {
  /** The store's error code, or `Forbidden` for a bare 403. */
  readonly code: string;
}

/** The store's refusal in a failure message of Flink, if that is what it is. */
export function storageRefusalIn(message: string): StorageRefusal | undefined {
  const code = REFUSALS.find((c) => message.includes(c));
  if (code) return { code };
  if (/\b403\b.*Forbidden|Status Code: 403|status code 403|Forbidden \(Service: (Amazon )?S3/i.test(message))
    return { code: 'Forbidden' };
  return undefined;
}

/** Where a cluster's S3 credentials come from, as a user would look for them. */
export function credentialsSource(storage: StorageSpec | undefined, namespace: string): string {
  const secret = storage?.s3?.credentialsSecret;
  if (!secret)
    return "no credentials Secret (spec.storage.s3.credentialsSecret): the pods use their ServiceAccount's cloud identity or none";
  return `Secret ${namespace}/${secret.name} (keys ${secret.accessKeyIdKey}, ${secret.secretAccessKeyKey})`;
}

export interface StorageAccessVerdict {
  readonly accessible: boolean;
  readonly reason: string;
  readonly message: string;
}

/**
 * The StorageAccessible condition a notice implies: False when a savepoint was abandoned with the
 * store's refusal, True once a savepoint completed; nothing for other notices (the stored condition
 * stays as it is).
 */
export function storageAccessVerdict(
  notice: { readonly reason: string; readonly message: string } | null | undefined,
  storage: StorageSpec | undefined,
  namespace: string,
): StorageAccessVerdict | undefined {
  if (!notice) return undefined;
  if (notice.reason === 'SavepointCompleted') {
    return { accessible: true, reason: 'SavepointCompleted', message: notice.message };
  }
  if (notice.reason !== 'SavepointAbandoned' && notice.reason !== 'StopWithSavepointFailed') return undefined;
  const refusal = storageRefusalIn(notice.message);
  if (!refusal) return undefined;
  return {
    accessible: false,
    reason: 'StorageAccessDenied',
    message: `the state storage refused Flink's credentials (${refusal.code}); check ${credentialsSource(storage, namespace)}`,
  };
}
