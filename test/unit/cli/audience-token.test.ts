import { describe, expect, it } from 'vitest';
import {
  audienceTokenSource,
  serviceAccountOfToken,
  serviceAccountOfUser,
  type IssuedToken,
} from '../../../src/cli/audience-token.ts';
import { ManualClock } from '../../support/manual-clock.ts';

/** An unsigned JWT with these claims: the CLI only reads them as a hint. */
function jwt(claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('whose token it is', () => {
  it('reads the ServiceAccount from the sub claim of a JWT, and nothing else', () => {
    expect(serviceAccountOfToken(jwt({ sub: 'system:serviceaccount:team-a:flink-ops' }))).toEqual({
      namespace: 'team-a',
      name: 'flink-ops',
    });
    expect(serviceAccountOfToken(jwt({ sub: 'alice@example.com' }))).toBeUndefined();
    expect(serviceAccountOfToken('0123456789abcdef')).toBeUndefined();
    expect(serviceAccountOfToken('a.%%%.c')).toBeUndefined();
    expect(serviceAccountOfToken(undefined)).toBeUndefined();
    expect(serviceAccountOfUser('system:serviceaccount:ns:sa:extra')).toBeUndefined();
    expect(serviceAccountOfUser('system:serviceaccount:NS:sa')).toBeUndefined();
  });
});

describe('the audience-bound token source', () => {
  const SA = { namespace: 'ns', name: 'sa' };

  it('keeps a token for 80 % of its life, then asks again', async () => {
    const clock = new ManualClock();
    let issued = 0;
    const request = async (): Promise<IssuedToken> => {
      issued++;
      return { token: `t${issued}`, expiresAt: clock.now() + 600_000 };
    };
    const warnings: string[] = [];
    const source = audienceTokenSource({
      serviceAccount: SA,
      audience: 'flinkvisor',
      clock,
      request,
      fallback: 'kubeconfig-token',
      warn: (l) => warnings.push(l),
    });
    expect(await source()).toBe('t1');
    await clock.advance(479_000);
    expect(await source()).toBe('t1');
    await clock.advance(1_000);
    expect(await source()).toBe('t2');
    expect(warnings).toEqual([]);
  });

  it('warns once when refused and sends the fallback from then on, without asking again', async () => {
    let asked = 0;
    const warnings: string[] = [];
    const source = audienceTokenSource({
      serviceAccount: SA,
      audience: 'flinkvisor',
      clock: new ManualClock(),
      request: async () => {
        asked++;
        throw Object.assign(new Error('forbidden'), { code: 403, body: { message: 'cannot create' } });
      },
      fallback: 'kubeconfig-token',
      warn: (l) => warnings.push(l),
    });
    expect([await source(), await source(), await source()]).toEqual([
      'kubeconfig-token',
      'kubeconfig-token',
      'kubeconfig-token',
    ]);
    expect(asked).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: no token for audience "flinkvisor" \(TokenRequest for ServiceAccount ns\/sa refused: HTTP 403: .*\); sending the kubeconfig's token instead$/,
    );
  });
});
