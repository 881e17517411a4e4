import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactDeep, redactText } from '../../../src/observability/logger.ts';

function memoryLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  // pino writes synchronously to a plain stream with write(); tests read `lines` right after logging.
  const log = createLogger({ name: 'test', level: 'debug', destination });
  return {
    log,
    text: () => lines.join(''),
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRET = 'sup3r-s3cret-value';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';

describe('the logger redacts secrets at any depth', () => {
  it('still redacts the top-level paths', () => {
    const { log, text } = memoryLogger();
    log.info({ token: SECRET, password: SECRET, secret: SECRET, authorization: SECRET }, 'top');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('[redacted]');
  });

  it('redacts nested secrets in objects, errors and arrays', () => {
    const { log, text, records } = memoryLogger();
    const err = Object.assign(new Error('request failed'), { config: { token: SECRET, url: '/apis' } });
    log.error({ err }, 'nested error');
    log.info(
      { request: { headers: { authorization: `Bearer ${SECRET}`, cookie: SECRET, accept: 'json' } } },
      'req',
    );
    log.info({ s3: { secretKey: SECRET, 'secret-key': SECRET, accessKeyId: 'AKIAPUBLICID' } }, 's3');
    log.info({ a: { b: { c: { d: { e: { f: { password: SECRET } } } } } } }, 'deep');
    log.info({ items: [{ name: 'x', token: SECRET }, [{ privateKey: SECRET }], PEM] }, 'arrays');
    log.info(
      { spec: { flinkConfiguration: { 'fs.s3a.secret.key': SECRET, 's3.secret-key': SECRET } } },
      'flink',
    );
    log.info({ tls: { cert: PEM } }, 'pem');
    log.child({ creds: { bearerToken: SECRET } }).info('child');
    const out = text();
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('MIIEpAIBAAKCAQEA');
    // The rest survives: non-secret fields, access key ids, and the error's shape.
    expect(out).toContain('AKIAPUBLICID');
    expect(out).toContain('"accept":"json"');
    const errRecord = records()[0] as {
      err: { type: string; message: string; stack: string; config: { url: string } };
    };
    expect(errRecord.err.type).toBe('Error');
    expect(errRecord.err.message).toBe('request failed');
    expect(errRecord.err.stack).toContain('request failed');
    expect(errRecord.err.config.url).toBe('/apis');
    expect(records()[0]?.['msg']).toBe('nested error');
  });

  it('redacts inside an error logged as the object itself', () => {
    const { log, text, records } = memoryLogger();
    log.error(Object.assign(new Error('boom'), { response: { headers: { authorization: SECRET } } }));
    expect(text()).not.toContain(SECRET);
    expect(records()[0]?.['msg']).toBe('boom');
  });

  it('is cycle-safe, depth-bounded and does not mutate its input', () => {
    const cyclic: Record<string, unknown> = { token: SECRET, name: 'c' };
    cyclic['self'] = cyclic;
    const input = { cyclic, shared: [cyclic, cyclic] };
    const { log, text } = memoryLogger();
    log.info(input, 'cycle');
    expect(text()).not.toContain(SECRET);
    expect(cyclic['token']).toBe(SECRET);
    let deep: Record<string, unknown> = { token: SECRET };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    expect(JSON.stringify(redactDeep(deep))).not.toContain(SECRET);
  });

  it('redacts credentials quoted inside strings under innocent keys (an error turned into text)', () => {
    const { log, text } = memoryLogger();
    log.warn({ err: `request failed: Authorization: Bearer ${SECRET}` }, 'status write failed');
    log.warn({ details: { url: `https://api/apis?watch=1&token=${SECRET}&x=1` } }, 'url');
    log.warn({ nested: [{ message: `basic ${SECRET}` }] }, 'basic');
    const out = text();
    expect(out).not.toContain(SECRET);
    expect(out).toContain('Bearer [redacted]');
    expect(out).toContain('watch=1&token=[redacted]&x=1');
  });
});

describe('redactText', () => {
  it('censors the credentials free text may quote, and leaves the rest as it was', () => {
    const text = [
      'java.io.IOException: config s3.secret-key=abc123 fs.s3a.secret.key: "x y" password=hunter2;',
      'GET http://alice:pa55@store:9000/b Authorization: Bearer eyJhbGciOi.x.y ?token=t0k',
      '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY----- end',
    ].join(' ');
    const out = redactText(text);
    for (const secret of ['abc123', 'x y', 'hunter2', 'pa55', 'eyJhbGciOi', 't0k', 'MIIB'])
      expect(out).not.toContain(secret);
    expect(out).toContain('s3.secret-key=[redacted]');
    expect(out).toContain('http://[redacted]@store:9000/b');
    expect(out).toContain('[redacted] end');
    const plain =
      'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy';
    expect(redactText(plain)).toBe(plain);
  });
});
