import { describe, expect, it } from 'vitest';
import {
  Authenticator,
  bearerTokenOf,
  callerOfTokenReview,
  firstAccepting,
  type Caller,
} from '../../../src/control-api/authn.ts';
import { HttpProblem } from '../../../src/control-api/errors.ts';
import { ManualClock } from '../../support/manual-clock.ts';

function reviewer(known: Record<string, Caller>) {
  const asked: string[] = [];
  return {
    asked,
    review: async (token: string) => {
      asked.push(token);
      return known[token];
    },
  };
}

const ALICE = { username: 'alice', groups: ['g'] };

describe('bearer tokens', () => {
  it('reads "Bearer <token>" only', () => {
    expect(bearerTokenOf('Bearer abc.def')).toBe('abc.def');
    expect(bearerTokenOf('bearer abc')).toBe('abc');
    expect(bearerTokenOf('Basic dXNlcjpwdw==')).toBeUndefined();
    expect(bearerTokenOf('Bearer')).toBeUndefined();
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });
});

describe('Authenticator', () => {
  it('answers 401 without a token or with a refused one', async () => {
    const r = reviewer({});
    const authn = new Authenticator({ review: r.review, clock: new ManualClock() });
    for (const header of [undefined, 'Basic x', 'Bearer nope']) {
      const err = await authn.authenticate(header).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpProblem);
      expect((err as HttpProblem).status).toBe(401);
    }
    expect(r.asked).toEqual(['nope']);
  });

  it('remembers an accepted token for its TTL, a refused one for a shorter time', async () => {
    const clock = new ManualClock();
    const r = reviewer({ good: ALICE });
    const authn = new Authenticator({ review: r.review, clock, acceptedTtlMs: 10_000, refusedTtlMs: 2_000 });
    await expect(authn.authenticate('Bearer good')).resolves.toEqual(ALICE);
    await authn.authenticate('Bearer bad').catch(() => undefined);
    await clock.advance(1_999);
    await authn.authenticate('Bearer good');
    await authn.authenticate('Bearer bad').catch(() => undefined);
    expect(r.asked).toEqual(['good', 'bad']);
    await clock.advance(2);
    await authn.authenticate('Bearer bad').catch(() => undefined);
    expect(r.asked).toEqual(['good', 'bad', 'bad']);
    await clock.advance(8_000);
    await authn.authenticate('Bearer good');
    expect(r.asked).toEqual(['good', 'bad', 'bad', 'good']);
  });

  it('asks once for concurrent requests with the same token, and bounds its cache', async () => {
    const r = reviewer({ a: ALICE, b: ALICE, c: ALICE });
    const authn = new Authenticator({ review: r.review, clock: new ManualClock(), maxEntries: 2 });
    await Promise.all([
      authn.authenticate('Bearer a'),
      authn.authenticate('Bearer a'),
      authn.authenticate('Bearer a'),
    ]);
    expect(r.asked).toEqual(['a']);
    await authn.authenticate('Bearer b');
    await authn.authenticate('Bearer c');
    await authn.authenticate('Bearer a'); // evicted by b and c
    expect(r.asked).toEqual(['a', 'b', 'c', 'a']);
  });

  it('answers 503 when the TokenReview fails, and does not remember the failure', async () => {
    let fail = true;
    const authn = new Authenticator({
      review: async () => {
        if (fail) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
        return ALICE;
      },
      clock: new ManualClock(),
    });
    const err = await authn.authenticate('Bearer t').catch((e: unknown) => e);
    expect((err as HttpProblem).status).toBe(503);
    expect((err as HttpProblem).error).toBe('AuthenticationUnavailable');
    fail = false;
    await expect(authn.authenticate('Bearer t')).resolves.toEqual(ALICE);
  });
});

describe('audiences and client certificates', () => {
  it('asks the next reviewer only when one refuses; a failing review is not covered up', async () => {
    const audienceBound = reviewer({ bound: ALICE });
    const apiServer = reviewer({ plain: { username: 'bob', groups: [] } });
    const review = firstAccepting(audienceBound.review, apiServer.review);
    await expect(review('bound')).resolves.toEqual(ALICE);
    await expect(review('plain')).resolves.toEqual({ username: 'bob', groups: [] });
    await expect(review('neither')).resolves.toBeUndefined();
    expect(audienceBound.asked).toEqual(['bound', 'plain', 'neither']);
    expect(apiServer.asked).toEqual(['plain', 'neither']);
    const failing = firstAccepting(async () => {
      throw new Error('TokenReview timed out');
    }, apiServer.review);
    await expect(failing('plain')).rejects.toThrow('TokenReview timed out');
  });

  it('takes a verified certificate as the caller when no Authorization header is sent; a token wins', async () => {
    const r = reviewer({ good: ALICE });
    const authn = new Authenticator({ review: r.review, clock: new ManualClock() });
    const carol = { username: 'carol', groups: ['ops', 'system:authenticated'] };
    const verified = { kind: 'verified', caller: carol } as const;
    await expect(authn.authenticate(undefined, verified)).resolves.toEqual(carol);
    await expect(authn.authenticate('Bearer good', verified)).resolves.toEqual(ALICE);
    const wrong = await authn.authenticate('Bearer nope', verified).catch((e: unknown) => e);
    expect((wrong as HttpProblem).status).toBe(401);
    expect(r.asked).toEqual(['good', 'nope']);
  });

  it('answers 401 naming why a certificate was refused, or that a credential is needed', async () => {
    const authn = new Authenticator({ review: reviewer({}).review, clock: new ManualClock() });
    const refused = await authn
      .authenticate(undefined, { kind: 'refused', reason: 'not signed by the trusted client CA: x' })
      .catch((e: unknown) => e);
    expect((refused as HttpProblem).status).toBe(401);
    expect((refused as HttpProblem).message).toBe(
      'the client certificate was not accepted (not signed by the trusted client CA: x) and no bearer token was sent',
    );
    const none = await authn.authenticate(undefined).catch((e: unknown) => e);
    expect((none as HttpProblem).message).toBe('a bearer token or a client certificate is required');
  });
});

describe('a TokenReview answer', () => {
  const user = { username: 'system:serviceaccount:ns:sa', uid: 'u1', groups: ['system:serviceaccounts'] };

  it('names the caller only when authenticated for one of the audiences asked for', () => {
    const bound = { authenticated: true, user, audiences: ['flinkvisor'] };
    expect(callerOfTokenReview(bound, ['flinkvisor'])).toEqual(user);
    // An authenticator that is not audience-aware answers no audience: valid for the API server only.
    expect(callerOfTokenReview({ authenticated: true, user }, ['flinkvisor'])).toBeUndefined();
    expect(callerOfTokenReview({ ...bound, audiences: ['other'] }, ['flinkvisor'])).toBeUndefined();
    expect(callerOfTokenReview({ authenticated: true, user })).toEqual(user);
    expect(callerOfTokenReview({ authenticated: false, user }, undefined)).toBeUndefined();
    expect(callerOfTokenReview(undefined)).toBeUndefined();
  });
});
