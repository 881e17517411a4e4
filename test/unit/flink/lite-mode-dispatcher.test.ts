// The supervisor runs in V8's lite mode (`node --lite-mode`, for memory), which implies --jitless
// and so has no WebAssembly: undici, whose HTTP/1 parser is WebAssembly, fails every request to
// Flink before sending it, and the supervisor took Flink for unreachable on every poll. The
// dispatcher it uses (flinkDispatcherFor) reads Flink in either mode. Both are run here in a real
// `node --lite-mode` process, from a bundle (lite mode has no TypeScript stripping either).
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../src/devenv/node-agent-process.ts';
import { runCommand } from '../../../src/devenv/run-command.ts';

const NODE = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
const JOB = { id: '0123456789abcdef0123456789abcdef', status: 'RUNNING' };

// Lists Flink's jobs through each dispatcher; prints what each read, or the code it failed with.
const PROBE = `
import { createFlinkDispatcher, flinkDispatcherFor } from './src/flink/dispatcher.ts';
import { FlinkRestClient } from './src/flink/flink-rest-client.ts';
import { NO_RETRY } from './src/flink/retry-policy.ts';

async function main(url: string) {
  const read: Record<string, unknown> = { webAssembly: typeof globalThis.WebAssembly };
  for (const [name, make] of [['undici', createFlinkDispatcher], ['supervisor', flinkDispatcherFor]] as const) {
    const dispatcher = make(url);
    const client = new FlinkRestClient({ baseUrl: url, dispatcher, flinkVersion: '1.20.5', retry: NO_RETRY });
    try {
      read[name] = await client.listJobs();
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string } };
      read[name] = e.cause?.code ?? e.code ?? String(err);
    }
    await dispatcher.close();
  }
  process.stdout.write(JSON.stringify(read));
}
void main(process.argv[2] ?? '');
`;

let dir: string;
let probe: string;
let url: string;
const server = createServer((_req, res) => {
  const body = JSON.stringify({ jobs: [JOB] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-lite-'));
  probe = join(dir, 'probe.cjs');
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: PROBE, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: 'probe.ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    outfile: probe,
    logLevel: 'warning',
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

async function readsWith(flags: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await runCommand(NODE, [...flags, probe, url], { timeoutMs: 30_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the Flink dispatcher of a supervisor', () => {
  it('reads Flink in lite mode, where undici cannot parse HTTP/1 (no WebAssembly)', async () => {
    expect(await readsWith(['--lite-mode'])).toEqual({
      webAssembly: 'undefined',
      undici: 'ERR_WEBASSEMBLY_NOT_SUPPORTED',
      supervisor: [JOB],
    });
  });

  it('is undici where WebAssembly is', async () => {
    expect(await readsWith([])).toEqual({ webAssembly: 'object', undici: [JOB], supervisor: [JOB] });
  });
});
