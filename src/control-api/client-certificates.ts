import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { ClientCertificate } from './authn.ts';

/**
 * The identity of a verified client certificate, as the Kubernetes API server reads one: the
 * subject's common name (CN) is the user name, its organizations (O) the groups, and every such
 * caller is in `system:authenticated` (ADR 0022). The client CA is therefore as powerful as an
 * API server's client CA for what the control API does: it may name any user and any group.
 */

/** The group the API server adds to every authenticated user; RBAC bindings to it apply. */
export const AUTHENTICATED_GROUP = 'system:authenticated';

function values(attribute: string | string[] | undefined): string[] {
  if (attribute === undefined) return [];
  return (Array.isArray(attribute) ? attribute : [attribute]).filter((v) => v !== '');
}

/** A certificate's subject as a caller, or why it names none. */
export function callerOfCertificate(
  certificate: Pick<PeerCertificate, 'subject'>,
): { username: string; groups: string[] } | { error: string } {
  const names = values(certificate.subject?.CN);
  if (names.length !== 1 || names[0] === undefined) {
    return { error: `the certificate subject needs exactly one CN, the user name (it has ${names.length})` };
  }
  const groups = values(certificate.subject.O);
  return { username: names[0], groups: [...new Set([...groups, AUTHENTICATED_GROUP])] };
}

/**
 * What the TLS handshake of this connection established about the client certificate. Only a
 * server that asked for certificates (a client CA is configured) ever sees one; the verification
 * itself is OpenSSL's (chain to the client CA, validity dates, client-auth key usage).
 */
export function clientCertificateOf(socket: Socket): ClientCertificate {
  if (!(socket instanceof TLSSocket)) return { kind: 'none' };
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return { kind: 'none' };
  if (!socket.authorized) {
    const reason = socket.authorizationError;
    return {
      kind: 'refused',
      reason: `not signed by the trusted client CA: ${reason instanceof Error ? reason.message : String(reason)}`,
    };
  }
  const caller = callerOfCertificate(peer);
  if ('error' in caller) return { kind: 'refused', reason: caller.error };
  return { kind: 'verified', caller };
}
