import { describe, expect, it } from 'vitest';
import { callerOfCertificate } from '../../../src/control-api/client-certificates.ts';

const subject = (s: Record<string, string | string[]>) => ({ subject: s as never });

describe('the identity of a client certificate', () => {
  it('is CN as the user and each O as a group, in system:authenticated like every API server user', () => {
    expect(callerOfCertificate(subject({ CN: 'alice', O: ['ops', 'flink-admins'] }))).toEqual({
      username: 'alice',
      groups: ['ops', 'flink-admins', 'system:authenticated'],
    });
    expect(callerOfCertificate(subject({ CN: 'bob', O: 'ops' }))).toEqual({
      username: 'bob',
      groups: ['ops', 'system:authenticated'],
    });
    expect(callerOfCertificate(subject({ CN: 'carol' }))).toEqual({
      username: 'carol',
      groups: ['system:authenticated'],
    });
  });

  it('names nobody without exactly one CN', () => {
    expect(callerOfCertificate(subject({ O: 'ops' }))).toEqual({
      error: 'the certificate subject needs exactly one CN, the user name (it has 0)',
    });
    expect(callerOfCertificate(subject({ CN: ['a', 'b'] }))).toEqual({
      error: 'the certificate subject needs exactly one CN, the user name (it has 2)',
    });
    expect(callerOfCertificate(subject({ CN: '' }))).toHaveProperty('error');
  });
});
