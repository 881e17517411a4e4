import { describe, expect, it } from 'vitest';
import { matchRoute, pathParamsOf } from '../../../src/control-api/route-matching.ts';
import { ROUTES } from '../../../src/control-api/routes.ts';

// Every route of the toolbox's control API (docs/rules.md §7), method and path.
const TOOLBOX_ROUTES = [
  'GET /deployments',
  'GET /deployments/{deployment}/status',
  'POST /deployments/{deployment}',
  'PUT /deployments/{deployment}',
  'DELETE /deployments/{deployment}',
  'GET /clusters',
  'GET /clusters/{cluster}/status',
  'POST /clusters/{cluster}',
  'PUT /clusters/{cluster}',
  'DELETE /clusters/{cluster}',
  'PUT /clusters/{cluster}/start',
  'PUT /clusters/{cluster}/stop',
  'PUT /clusters/{cluster}/scale',
  'GET /clusters/{cluster}/jobs',
  'POST /clusters/{cluster}/jobs/{job}',
  'PUT /clusters/{cluster}/jobs/{job}',
  'DELETE /clusters/{cluster}/jobs/{job}',
  'GET /clusters/{cluster}/jobs/{job}/status',
  'GET /clusters/{cluster}/jobs/{job}/details',
  'GET /clusters/{cluster}/jobs/{job}/metrics',
  'PUT /clusters/{cluster}/jobs/{job}/start',
  'PUT /clusters/{cluster}/jobs/{job}/stop',
  'PUT /clusters/{cluster}/jobs/{job}/scale',
  'PUT /clusters/{cluster}/jobs/{job}/savepoint',
  'DELETE /clusters/{cluster}/jobs/{job}/savepoint',
  'GET /clusters/{cluster}/jobmanager/metrics',
  'GET /clusters/{cluster}/taskmanagers',
  'GET /clusters/{cluster}/taskmanagers/{taskmanager}/details',
  'GET /clusters/{cluster}/taskmanagers/{taskmanager}/metrics',
];

// The FlinkSavepoints of a job (ADR 0015).
const SAVEPOINT_ROUTES = [
  'GET /clusters/{cluster}/jobs/{job}/savepoints',
  'GET /clusters/{cluster}/jobs/{job}/savepoints/{savepoint}',
  'DELETE /clusters/{cluster}/jobs/{job}/savepoints/{savepoint}',
];

// Pause and resume (ADR 0019): the annotation flinkvisor.io/paused.
const PAUSE_ROUTES = [
  '/deployments/{deployment}',
  '/clusters/{cluster}',
  '/clusters/{cluster}/jobs/{job}',
].flatMap((path) => [`PUT ${path}/pause`, `PUT ${path}/resume`]);

describe('the route table', () => {
  it('has every route of the toolbox (§7), plus the OpenAPI document, the FlinkSavepoint and the pause routes, and nothing else', () => {
    const ours = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect([...ours].sort()).toEqual(
      [...TOOLBOX_ROUTES, ...SAVEPOINT_ROUTES, ...PAUSE_ROUTES, 'GET /openapi.json'].sort(),
    );
  });

  it('has unique operation ids and one route per method and path', () => {
    expect(new Set(ROUTES.map((r) => r.operationId)).size).toBe(ROUTES.length);
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(ROUTES.length);
  });

  it('names in each route the path parameter its authorization needs', () => {
    for (const route of ROUTES) {
      if (route.authorization === 'authenticated') continue;
      const object = route.authorization.object;
      if (object !== 'none') expect(pathParamsOf(route.path), route.operationId).toContain(object);
      if (object === 'job') expect(pathParamsOf(route.path)).toContain('cluster');
    }
  });

  it('takes bodies exactly on the writes that need one', () => {
    const withBody = ROUTES.filter((r) => r.body !== 'none').map((r) => r.operationId);
    expect(withBody.sort()).toEqual(
      [
        'createDeployment',
        'updateDeployment',
        'createCluster',
        'updateCluster',
        'startCluster',
        'stopCluster',
        'scaleCluster',
        'createJob',
        'updateJob',
        'startJob',
        'stopJob',
        'scaleJob',
        'triggerSavepoint',
        // `{}` or nothing: an unknown field is refused, not ignored.
        'pauseDeployment',
        'resumeDeployment',
        'pauseCluster',
        'resumeCluster',
        'pauseJob',
        'resumeJob',
      ].sort(),
    );
    for (const route of ROUTES.filter((r) => r.body === 'spec'))
      expect(route.spec, route.operationId).toBeDefined();
  });

  it('answers 201 for creates, 202 for actions and deletes, 200 for the rest', () => {
    const status = Object.fromEntries(ROUTES.map((r) => [r.operationId, r.success.status]));
    expect(status['createCluster']).toBe(201);
    expect(status['stopJob']).toBe(202);
    expect(status['forgetSavepoint']).toBe(202);
    expect(status['deleteDeployment']).toBe(202);
    expect(status['scaleJob']).toBe(200);
    expect(status['updateJob']).toBe(200);
  });
});

describe('matchRoute', () => {
  it('matches paths under /api/v1 and extracts the decoded parameters', () => {
    const match = matchRoute('GET', '/api/v1/clusters/demo/taskmanagers/127.0.0.2%3A34657-fa2b7d/metrics');
    expect(match.kind).toBe('matched');
    if (match.kind !== 'matched') return;
    expect(match.route.operationId).toBe('getTaskManagerMetrics');
    expect(match.params).toEqual({ cluster: 'demo', taskmanager: '127.0.0.2:34657-fa2b7d' });
  });

  it('tells literal segments from parameters (a job named "status" is a job)', () => {
    const status = matchRoute('GET', '/api/v1/clusters/demo/status');
    expect(status.kind === 'matched' && status.route.operationId).toBe('getClusterStatus');
    const job = matchRoute('DELETE', '/api/v1/clusters/demo/jobs/status');
    expect(job.kind === 'matched' && job.params).toEqual({ cluster: 'demo', job: 'status' });
    const jm = matchRoute('GET', '/api/v1/clusters/demo/jobmanager/metrics');
    expect(jm.kind === 'matched' && jm.route.operationId).toBe('getJobManagerMetrics');
  });

  it('answers method-not-allowed with the methods of the path, not-found otherwise', () => {
    expect(matchRoute('POST', '/api/v1/clusters/demo/jobs/a/savepoint')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['PUT', 'DELETE'],
    });
    expect(matchRoute('GET', '/api/v2/clusters')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/api/v1/clusters/demo/nothing')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/api/v1/clusters//status')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/api/v1/clusters/%E0%A4%A/status')).toEqual({ kind: 'bad-path' });
  });
});
