import { randomUUID } from 'node:crypto';

/**
 * A Lease candidate's identity: its pod name and a per-process suffix (client-go's hostname_uuid),
 * so a container restarted after kill -9 is a new candidate and waits out the lease like any other,
 * instead of resuming the dead one's lease.
 */
export function processIdentity(podName: string): string {
  return `${podName}${SEPARATOR}${randomUUID().slice(0, 8)}`;
}

// Pod names are DNS names (RFC 1123): an underscore never occurs in one, so it ends the name.
const SEPARATOR = '_';

/** The pod named in a holder identity (the identity itself when it carries no suffix). */
export function podNameOfIdentity(identity: string): string {
  const at = identity.indexOf(SEPARATOR);
  return at < 0 ? identity : identity.slice(0, at);
}
