/**
 * Benchmark of the Flink REST client (issue 4). Run: `node_modules/.bin/node bench/flink-client.bench.ts`
 * (options: `--requests N`, `--jar-mb N`, `--url http://127.0.0.N:8081` to time reads against a real
 * Flink instead of the built-in stand-in).
 *
 * Prints, as ratios against baselines run in this same process:
 * 1. the client's cost per request against a bare undici request to the same endpoint (same Pool,
 *    same answer, JSON parsed in both), sequential and 16 at a time;
 * 2. the resident memory growth while uploading a jar of 200 MB generated in a temp dir, against the
 *    jar's size and against an upload that reads the jar into memory first.
 *
 * The stand-in endpoint runs in a child process (so its work is not timed here) and answers with
 * answers recorded from Flink 1.20.5.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FormData, Pool } from 'undici';
import { FlinkRestClient } from '../src/flink/flink-rest-client.ts';

const OVERVIEW = JSON.stringify({
  taskmanagers: 1,
  'slots-total': 4,
  'slots-available': 4,
  'jobs-running': 0,
  'jobs-finished': 0,
  'jobs-cancelled': 0,
  'jobs-failed': 0,
  'flink-version': '1.20.5',
  'flink-commit': '0980485',
});
const CONFIG = JSON.stringify({ 'flink-version': '1.20.5', 'flink-revision': '0980485', features: {} });
const JOB_ID = '0123456789abcdef0123456789abcdef';
const vertex = (i: number) => ({
  id: `${i}`.padStart(32, 'c'),
  slotSharingGroupId: 'd7b513961d8281685b733a71a9141cf5',
  name: `Vertex ${i} -> Window -> Sink: Print to Std. Out`,
  maxParallelism: 128,
  parallelism: 1,
  status: 'RUNNING',
  'start-time': 1795212413512,
  'end-time': -1,
  duration: 11322,
  tasks: { DEPLOYING: 0, CANCELED: 0, RUNNING: 1, FAILED: 0, FINISHED: 0 },
  metrics: { 'read-bytes': 0, 'write-bytes': 3628, 'read-records': 0, 'write-records': 108 },
});
const JOB = JSON.stringify({
  jid: JOB_ID,
  name: 'CarTopSpeedWindowingExample',
  isStoppable: false,
  state: 'RUNNING',
  'job-type': 'STREAMING',
  'start-time': 1795212412471,
  'end-time': -1,
  duration: 12363,
  maxParallelism: -1,
  now: 1795212424834,
  timestamps: { INITIALIZING: 1795212412471, RUNNING: 1795212413505, CREATED: 1795212413202 },
  vertices: [vertex(1), vertex(2), vertex(3), vertex(4)],
  'status-counts': { RUNNING: 4 },
  plan: { jid: JOB_ID, name: 'CarTopSpeedWindowingExample', type: 'STREAMING', nodes: [] },
});

/** The stand-in Flink endpoint, in a child process of this script. */
async function serve(): Promise<void> {
  const server = createServer((req, res) => {
    const answer = (status: number, body: string) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (req.method === 'POST' && req.url === '/jars/upload') {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () =>
        answer(200, JSON.stringify({ filename: `/tmp/upload/bench_${bytes}.jar`, status: 'success' })),
      );
      return;
    }
    if (req.url === '/overview') return answer(200, OVERVIEW);
    if (req.url === '/config') return answer(200, CONFIG);
    if (req.url === `/jobs/${JOB_ID}`) return answer(200, JOB);
    answer(404, '{"errors":["Not found."]}');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
  });
}

async function startStandIn(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${line.toString().trim()}`, child };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function timeIt(n: number, concurrency: number, once: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await once();
    }),
  );
  return ((performance.now() - started) * 1000) / n; // µs per request
}

async function overhead(url: string, requests: number): Promise<void> {
  const pool = new Pool(url, { connections: 16, pipelining: 1 });
  const client = new FlinkRestClient({ baseUrl: url, dispatcher: pool });
  const origin = new URL(url).origin;
  await client.flinkVersion();
  const bare = async (path: string) => {
    const res = await pool.request({ origin, path, method: 'GET', headers: { accept: 'application/json' } });
    const parsed: unknown = JSON.parse(await res.body.text());
    if (res.statusCode !== 200) throw new Error(`bare request: ${res.statusCode}`);
    return parsed;
  };
  const cases = [
    { name: 'GET /overview', bare: () => bare('/overview'), client: () => client.getOverview() },
    ...(url.includes('127.0.0.1')
      ? [
          {
            name: 'GET /jobs/:jobid (4 vertices)',
            bare: () => bare(`/jobs/${JOB_ID}`),
            client: () => client.getJob(JOB_ID),
          },
        ]
      : []),
  ];
  console.log(
    `\n1. Client overhead per request (${requests} requests per round, median of 5 interleaved rounds)`,
  );
  console.log('   endpoint                        concurrency   bare undici   client     ratio');
  for (const c of cases) {
    for (const concurrency of [1, 16]) {
      await timeIt(Math.min(500, requests), concurrency, c.bare);
      await timeIt(Math.min(500, requests), concurrency, c.client);
      const bareRounds: number[] = [];
      const clientRounds: number[] = [];
      for (let round = 0; round < 5; round++) {
        bareRounds.push(await timeIt(requests, concurrency, c.bare));
        clientRounds.push(await timeIt(requests, concurrency, c.client));
      }
      const b = median(bareRounds);
      const k = median(clientRounds);
      console.log(
        `   ${c.name.padEnd(31)} ${String(concurrency).padStart(11)}   ${b.toFixed(1).padStart(8)} µs  ${k
          .toFixed(1)
          .padStart(7)} µs  ${(k / b).toFixed(2)}x`,
      );
    }
  }
  await pool.close();
}

async function writeJar(path: string, megabytes: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < megabytes; i++) {
    chunk.fill(i % 251);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/** Peak RSS above the level before `work`, sampled every 5 ms. */
async function rssGrowth(work: () => Promise<unknown>): Promise<{ growth: number; ms: number }> {
  gc();
  await sleep(50);
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { growth: peak - before, ms };
}

async function upload(url: string, megabytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flinkvisor-bench-'));
  const jar = join(dir, 'big-job.jar');
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  try {
    await writeJar(jar, megabytes);
    const size = megabytes * 1024 * 1024;
    const pool = new Pool(url);
    const client = new FlinkRestClient({ baseUrl: url, dispatcher: pool, flinkVersion: '1.20.5' });
    // Three streamed uploads; the worst one counts (freed chunks wait for the next GC).
    const runs: { growth: number; ms: number }[] = [];
    for (let i = 0; i < 3; i++) runs.push(await rssGrowth(() => client.uploadJar(jar)));
    const streamed = runs.reduce((worst, r) => (r.growth > worst.growth ? r : worst));
    // Baseline: what an upload costs when the jar is read into memory first (FormData of a Buffer).
    const inMemory = await rssGrowth(async () => {
      const form = new FormData();
      form.append(
        'jarfile',
        new Blob([await readFile(jar)], { type: 'application/x-java-archive' }),
        'big-job.jar',
      );
      const res = await pool.request({
        origin: new URL(url).origin,
        path: '/jars/upload',
        method: 'POST',
        body: form,
      });
      await res.body.text();
    });
    console.log(
      `\n2. Resident memory growth while uploading a ${megabytes} MB jar (worst of 3 streamed uploads)`,
    );
    console.log(
      `   streamed by the client:   ${mb(streamed.growth).padStart(9)}  (${(streamed.growth / size).toFixed(3)}x the jar, ${(size / 1024 / 1024 / (streamed.ms / 1000)).toFixed(0)} MB/s)`,
    );
    console.log(
      `   read into memory first:   ${mb(inMemory.growth).padStart(9)}  (${(inMemory.growth / size).toFixed(3)}x the jar)`,
    );
    console.log(`   streamed / in memory:     ${(streamed.growth / inMemory.growth).toFixed(3)}x`);
    await pool.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return serve();
  const requests = Number(arg('requests') ?? 2000);
  const jarMb = Number(arg('jar-mb') ?? 200);
  const standIn = await startStandIn();
  try {
    const readsUrl = arg('url') ?? standIn.url;
    console.log(
      `Flink REST client benchmark: Node ${process.version}, reads against ${arg('url') ? `Flink at ${readsUrl}` : 'the stand-in endpoint'}`,
    );
    await overhead(readsUrl, requests);
    await upload(standIn.url, jarMb);
  } finally {
    standIn.child.kill();
  }
}

await main();
