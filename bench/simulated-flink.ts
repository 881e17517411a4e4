// A small Flink REST endpoint on loopback for the fleet benchmark: real HTTP, the JSON shapes of
// Flink 1.20's REST API (the same shapes test/unit/flink/fixtures.ts records), and only the routes a
// supervisor reads at steady state. Jobs are added as the bootstrap would submit them (the fleet
// benchmark plays the bootstrap Job) and stay RUNNING. Anything else answers Flink's 404 body.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';

interface SimJob {
  readonly id: string;
  readonly name: string;
  readonly startedAt: number;
}

export class SimulatedFlink {
  readonly address: string;
  readonly port: number;
  readonly jobs = new Map<string, SimJob>();
  /** Requests by route, and those no route answered (a shape the benchmark should learn). */
  readonly requests = new Map<string, number>();
  readonly #server: Server;
  readonly #slots: number;

  private constructor(address: string, port: number, server: Server, slots: number) {
    this.address = address;
    this.port = port;
    this.#server = server;
    this.#slots = slots;
  }

  static async start(address: string, port: number, slots: number): Promise<SimulatedFlink> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    const flink: SimulatedFlink = new SimulatedFlink(address, port, server, slots);
    server.on('request', (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const answer = flink.#route(req.method ?? 'GET', path);
      flink.requests.set(answer.route, (flink.requests.get(answer.route) ?? 0) + 1);
      const body = JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
    server.listen(port, address);
    await once(server, 'listening');
    return flink;
  }

  /** The bootstrap's submission, done: the job runs. */
  submit(id: string, name: string): void {
    if (!this.jobs.has(id)) this.jobs.set(id, { id, name, startedAt: Date.now() });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #route(method: string, path: string): { route: string; status: number; body: unknown } {
    const parts = path.split('/').filter(Boolean);
    const job =
      parts[0] === 'jobs' && parts[1] && parts[1] !== 'overview' ? this.jobs.get(parts[1]) : undefined;
    const notFound = (route: string) => ({
      route,
      status: 404,
      body: { errors: ['org.apache.flink.runtime.rest.NotFoundException: Job could not be found.'] },
    });
    if (method !== 'GET') return { route: `${method} ${path} (unanswered)`, ...notFoundBody() };
    if (path === '/overview')
      return {
        route: '/overview',
        status: 200,
        body: {
          taskmanagers: 1,
          'slots-total': this.#slots,
          'slots-available': this.#slots - this.jobs.size,
          'jobs-running': this.jobs.size,
          'jobs-finished': 0,
          'jobs-cancelled': 0,
          'jobs-failed': 0,
          'flink-version': '1.20.5',
          'flink-commit': '0980485',
        },
      };
    if (path === '/jobs')
      return {
        route: '/jobs',
        status: 200,
        body: { jobs: [...this.jobs.values()].map((j) => ({ id: j.id, status: 'RUNNING' })) },
      };
    if (path === '/jobs/overview')
      return { route: '/jobs/overview', status: 200, body: { jobs: [...this.jobs.values()].map(overview) } };
    if (parts.length === 2 && parts[0] === 'jobs')
      return job ? { route: '/jobs/:jobid', status: 200, body: details(job) } : notFound('/jobs/:jobid');
    if (parts.length === 3 && parts[2] === 'status')
      return job
        ? { route: '/jobs/:jobid/status', status: 200, body: { status: 'RUNNING' } }
        : notFound('/jobs/:jobid/status');
    if (parts.length === 4 && parts[2] === 'checkpoints' && parts[3] === 'config')
      // No checkpoint coordinator: Flink answers 404, the supervisor reads "no periodic checkpoints".
      return notFound('/jobs/:jobid/checkpoints/config');
    if (parts.length === 3 && parts[2] === 'checkpoints')
      return job
        ? {
            route: '/jobs/:jobid/checkpoints',
            status: 200,
            body: {
              counts: { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 },
              summary: {},
              latest: { completed: null, savepoint: null, failed: null, restored: null },
              history: [],
            },
          }
        : notFound('/jobs/:jobid/checkpoints');
    return { route: `GET ${path} (unanswered)`, ...notFoundBody() };
  }
}

function notFoundBody() {
  return { status: 404, body: { errors: ['Not found: /'] } };
}

function overview(j: SimJob) {
  return {
    jid: j.id,
    name: j.name,
    jobType: 'STREAMING',
    schedulerType: 'Adaptive',
    'start-time': j.startedAt,
    'end-time': -1,
    duration: Date.now() - j.startedAt,
    state: 'RUNNING',
    'last-modification': j.startedAt,
    tasks: { running: 2, canceled: 0, total: 2 },
    'pending-operators': 0,
  };
}

function details(j: SimJob) {
  return {
    jid: j.id,
    name: j.name,
    isStoppable: false,
    state: 'RUNNING',
    'job-type': 'STREAMING',
    'start-time': j.startedAt,
    'end-time': -1,
    duration: Date.now() - j.startedAt,
    maxParallelism: -1,
    now: Date.now(),
    timestamps: { RUNNING: j.startedAt, CREATED: j.startedAt, INITIALIZING: j.startedAt, FAILED: 0 },
    vertices: [],
    'status-counts': { RUNNING: 2 },
    plan: { jid: j.id, name: j.name, nodes: [] },
  };
}
