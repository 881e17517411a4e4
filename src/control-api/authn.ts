import { AuthenticationV1Api, type KubeConfig, type V1TokenReviewStatus } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Clock } from '../kube/clock.ts';
import { HttpProblem, unauthorized } from './errors.ts';

/**
 * Who is calling, as the API server's TokenReview or a verified client certificate says; the input
 * of every SubjectAccessReview.
 */
export interface Caller {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The bearer token of an `Authorization` header, or undefined when there is none. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** One TokenReview: the authenticated caller, or undefined when the API server refused the token. */
export type TokenReviewer = (token: string, signal?: AbortSignal) => Promise<Caller | undefined>;

/** The audience of the tokens the control API accepts by default (and the CLI asks for). */
export const DEFAULT_TOKEN_AUDIENCE = 'flinkvisor';

/**
 * TokenReview through the API server (needs `create tokenreviews`, see CONTROL_API_CLUSTER_RULES).
 * With `audiences`, the API server authenticates only tokens issued for one of them; without, only
 * tokens for the API server itself.
 */
export function kubernetesTokenReviewer(
  kubeConfig: KubeConfig,
  audiences?: readonly string[],
): TokenReviewer {
  const api = kubeConfig.makeApiClient(AuthenticationV1Api);
  return async (token) => {
    const review = await api.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(audiences && audiences.length > 0 ? { audiences: [...audiences] } : {}) },
      },
    });
    return callerOfTokenReview(review.status, audiences);
  };
}

/**
 * The caller a TokenReview status names, or undefined. When audiences were asked for, the status
 * must name one of them: an authenticator that is not audience-aware answers none, and its
 * "authenticated" then means valid for the API server, not for us (TokenReviewStatus.audiences).
 */
export function callerOfTokenReview(
  status: V1TokenReviewStatus | undefined,
  audiences?: readonly string[],
): Caller | undefined {
  if (!status?.authenticated || !status.user?.username) return undefined;
  if (audiences && audiences.length > 0 && !status.audiences?.some((a) => audiences.includes(a))) {
    return undefined;
  }
  const user = status.user;
  return {
    username: user.username ?? '',
    ...(user.uid ? { uid: user.uid } : {}),
    groups: user.groups ?? [],
    ...(user.extra ? { extra: user.extra } : {}),
  };
}

/**
 * Asks each reviewer in turn until one accepts the token (ADR 0022: an audience-bound token first,
 * then, when allowed, a token for the API server). A failing review is a failure, not a refusal:
 * it is never covered up by the next reviewer.
 */
export function firstAccepting(...reviewers: readonly TokenReviewer[]): TokenReviewer {
  return async (token, signal) => {
    for (const review of reviewers) {
      const caller = await review(token, signal);
      if (caller) return caller;
    }
    return undefined;
  };
}

/**
 * What the TLS layer says about the client certificate of a connection: none was presented, one
 * was verified against the client CA (and names a caller), or one was presented and refused.
 */
export type ClientCertificate =
  | { readonly kind: 'none' }
  | { readonly kind: 'verified'; readonly caller: Caller }
  | { readonly kind: 'refused'; readonly reason: string };

export interface AuthenticatorOptions {
  readonly review: TokenReviewer;
  readonly clock: Clock;
  /** How long an accepted token is trusted without asking again (default 10 s). */
  readonly acceptedTtlMs?: number;
  /** How long a refused token is refused without asking again (default 2 s). */
  readonly refusedTtlMs?: number;
  /** Cache entries kept at most (default 1000); the oldest go first. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly caller: Caller | undefined;
  readonly until: number;
}

/**
 * Authenticates bearer tokens with TokenReview and remembers the answer briefly, so a burst of
 * requests (a CLI `--wait` polling) costs one review. The cache is keyed by a SHA-256 of the
 * token: the tokens themselves are never kept, nor logged. A revoked token keeps working for at
 * most `acceptedTtlMs`.
 */
export class Authenticator {
  readonly #o: AuthenticatorOptions;
  readonly #cache = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<Caller | undefined>>();

  constructor(options: AuthenticatorOptions) {
    this.#o = options;
  }

  /**
   * The caller of a request with this `Authorization` header and client certificate; throws 401
   * or 503 problems. A bearer token, when sent, names the caller (a client certificate is then only
   * the transport's gate); without one, a verified client certificate does (ADR 0022).
   */
  async authenticate(
    authorization: string | undefined,
    certificate: ClientCertificate = { kind: 'none' },
  ): Promise<Caller> {
    if (authorization === undefined && certificate.kind === 'verified') return certificate.caller;
    const token = bearerTokenOf(authorization);
    if (!token) {
      if (authorization) throw unauthorized('the Authorization header is not "Bearer <token>"');
      throw unauthorized(
        certificate.kind === 'refused'
          ? `the client certificate was not accepted (${certificate.reason}) and no bearer token was sent`
          : 'a bearer token or a client certificate is required',
      );
    }
    const caller = await this.#review(token);
    if (!caller) throw unauthorized('the token was not accepted by the Kubernetes API (TokenReview)');
    return caller;
  }

  async #review(token: string): Promise<Caller | undefined> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.#o.clock.now();
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return cached.caller;
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const review = this.#o
      .review(token)
      .then((caller) => {
        const ttl = caller ? (this.#o.acceptedTtlMs ?? 10_000) : (this.#o.refusedTtlMs ?? 2_000);
        this.#remember(key, { caller, until: this.#o.clock.now() + ttl });
        return caller;
      })
      .catch((err: unknown) => {
        throw new HttpProblem(
          503,
          'AuthenticationUnavailable',
          `the token could not be reviewed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      })
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, review);
    return review;
  }

  #remember(key: string, entry: Entry): void {
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    const max = this.#o.maxEntries ?? 1000;
    while (this.#cache.size > max) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }
}
