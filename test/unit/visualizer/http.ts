// Small HTTP helpers for the debug server tests (loopback only): raw requests with any Host
// header, and a reader of the server-sent event stream.
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { MachinesPayload } from '../../../src/visualizer/debug-routes.ts';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export function rawRequest(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An open /debug/events stream collecting every `machines` message. */
export interface EventStream {
  readonly messages: MachinesPayload[];
  readonly raw: string[];
  readonly headers: IncomingMessage['headers'];
  close(): void;
}

export function openEventStream(port: number): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/debug/events' }, (res) => {
      const messages: MachinesPayload[] = [];
      const raw: string[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw.push(chunk);
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (lines.includes('event: machines')) {
            const data = lines.find((line) => line.startsWith('data: '));
            if (data !== undefined) messages.push(JSON.parse(data.slice('data: '.length)) as MachinesPayload);
          }
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('error', () => undefined);
      resolve({ messages, raw, headers: res.headers, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}
