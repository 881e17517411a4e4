import { AuthenticationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../kube/clock.ts';
import { kubeMessageOf, statusCodeOf } from '../kube/errors.ts';

/**
 * The CLI's token for the control API (ADR 0022): rather than the user's own API server token, a
 * short-lived token bound to the control API's audience, asked for with TokenRequest
 * (`create serviceaccounts/token`) for the ServiceAccount the kubeconfig user is. A token bound to
 * `flinkvisor` is worthless against the API server, so the control API never holds a credential
 * that could act as the user elsewhere. When the user is no ServiceAccount, or may not ask, the CLI
 * warns once and sends the kubeconfig's token (which the control API accepts unless it is run
 * audience-only).
 */

/** The shortest lifetime the API server grants (10 minutes); the token is renewed before its end. */
export const AUDIENCE_TOKEN_SECONDS = 600;
/** Renew when this share of the lifetime is gone, so a token never expires during a request. */
const RENEW_AT = 0.8;

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly name: string;
}

const SERVICE_ACCOUNT_USER =
  /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

/** `system:serviceaccount:<namespace>:<name>` as a reference, else undefined. */
export function serviceAccountOfUser(username: string | undefined): ServiceAccountRef | undefined {
  const match = SERVICE_ACCOUNT_USER.exec(username ?? '');
  return match?.[1] && match[3] ? { namespace: match[1], name: match[3] } : undefined;
}

/**
 * The ServiceAccount a token says it belongs to (its `sub` claim), read without verifying: only a
 * hint of whom to ask a TokenRequest for; the API server decides. Undefined for other tokens.
 */
export function serviceAccountOfToken(token: string | undefined): ServiceAccountRef | undefined {
  const payload = token?.split('.')[1];
  if (!payload || token?.split('.').length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? serviceAccountOfUser(claims.sub) : undefined;
  } catch {
    return undefined;
  }
}

/** Who the kubeconfig user is, by a SelfSubjectReview (any credential: tokens, certificates, plugins). */
export async function whoAmI(kubeConfig: KubeConfig): Promise<string | undefined> {
  const review = await kubeConfig
    .makeApiClient(AuthenticationV1Api)
    .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  return review.status?.userInfo?.username;
}

export interface IssuedToken {
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** One TokenRequest for `serviceAccount`, bound to `audience`, with the kubeconfig's credentials. */
export async function requestAudienceToken(
  kubeConfig: KubeConfig,
  serviceAccount: ServiceAccountRef,
  audience: string,
  clock: Clock,
): Promise<IssuedToken> {
  const requested = clock.now();
  const answer = await kubeConfig.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: serviceAccount.name,
    namespace: serviceAccount.namespace,
    body: { spec: { audiences: [audience], expirationSeconds: AUDIENCE_TOKEN_SECONDS } },
  });
  const token = answer.status?.token;
  if (!token) throw new Error('the TokenRequest answer has no token');
  const expiry = answer.status?.expirationTimestamp;
  const expiresAt = expiry ? new Date(expiry).getTime() : requested + AUDIENCE_TOKEN_SECONDS * 1000;
  return { token, expiresAt };
}

/** Why a TokenRequest failed, in one line for the warning. */
export function refusalOf(err: unknown): string {
  const code = statusCodeOf(err);
  return code ? `HTTP ${code}: ${kubeMessageOf(err)}` : err instanceof Error ? err.message : String(err);
}

export interface AudienceTokenSourceOptions {
  readonly serviceAccount: ServiceAccountRef;
  readonly audience: string;
  readonly clock: Clock;
  /** One TokenRequest; `requestAudienceToken` with the kubeconfig in the CLI. */
  readonly request: () => Promise<IssuedToken>;
  /** The kubeconfig's own token, sent when no audience-bound token can be had. */
  readonly fallback: string | undefined;
  /** Writes one warning line (stderr); called at most once. */
  readonly warn: (line: string) => void;
}

/**
 * A token source for the control API client: the audience-bound token, renewed at 80 % of its
 * life; once a TokenRequest is refused, the fallback for the rest of the run (after one warning).
 * Undefined means "send no token" (no fallback: a client certificate may still identify the user).
 */
export function audienceTokenSource(o: AudienceTokenSourceOptions): () => Promise<string | undefined> {
  let current: { token: string; renewAt: number } | undefined;
  let refused = false;
  return async () => {
    if (refused) return o.fallback;
    if (current && o.clock.now() < current.renewAt) return current.token;
    try {
      const requestedAt = o.clock.now();
      const issued = await o.request();
      current = {
        token: issued.token,
        renewAt: requestedAt + Math.max(0, issued.expiresAt - requestedAt) * RENEW_AT,
      };
      return current.token;
    } catch (err) {
      refused = true;
      const sa = `${o.serviceAccount.namespace}/${o.serviceAccount.name}`;
      o.warn(
        `warning: no token for audience "${o.audience}" (TokenRequest for ServiceAccount ${sa} refused: ${refusalOf(err)}); ` +
          (o.fallback ? "sending the kubeconfig's token instead" : 'sending no token'),
      );
      return o.fallback;
    }
  };
}
