import { describe, expect, it } from 'vitest';
import { Authenticator, bearerTokenOf, type Caller } from '../../../src/control-api/authn.ts';
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
