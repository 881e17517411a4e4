import { request } from 'node:https';

export interface ProbeOptions {
  readonly ca?: string | Buffer;
  readonly token?: string;
  readonly insecure?: boolean;
  readonly timeoutMs?: number;
}

/** One HTTPS GET for readiness probes; resolves with the status code and body. */
export function httpsGet(url: string, options: ProbeOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        rejectUnauthorized: !options.insecure,
        headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 5000}ms`)));
    req.on('error', reject);
    req.end();
  });
}
