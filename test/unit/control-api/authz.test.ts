import { describe, expect, it } from 'vitest';
import { authorize, describeAttributes, resourceAttributesFor } from '../../../src/control-api/authz.ts';
import { HttpProblem } from '../../../src/control-api/errors.ts';
import { ROUTES, type AuthorizationRule } from '../../../src/control-api/routes.ts';

// The authorization table of ADR 0006: what each route asks the SubjectAccessReview. A change here
// changes what users need in their RBAC, so it is spelled out in full.
const TABLE: Record<string, string> = {
  listDeployments: 'list flinkdeployments',
  getDeploymentStatus: 'get flinkdeployments <deployment>',
  createDeployment: 'create flinkdeployments',
  updateDeployment: 'patch flinkdeployments <deployment>',
  deleteDeployment: 'delete flinkdeployments <deployment>',
  listClusters: 'list flinkclusters',
  getClusterStatus: 'get flinkclusters <cluster>',
  createCluster: 'create flinkclusters',
  updateCluster: 'patch flinkclusters <cluster>',
  deleteCluster: 'delete flinkclusters <cluster>',
  startCluster: 'patch flinkclusters <cluster>',
  stopCluster: 'patch flinkclusters <cluster>',
  // Pausing writes an annotation: the permission kubectl annotate needs (ADR 0019).
  pauseDeployment: 'patch flinkdeployments <deployment>',
  resumeDeployment: 'patch flinkdeployments <deployment>',
  pauseCluster: 'patch flinkclusters <cluster>',
  resumeCluster: 'patch flinkclusters <cluster>',
  pauseJob: 'patch flinkjobs <job>',
  resumeJob: 'patch flinkjobs <job>',
  scaleCluster: 'update flinkclusters/scale <cluster>',
  listJobs: 'list flinkjobs',
  createJob: 'create flinkjobs',
  updateJob: 'patch flinkjobs <job>',
  deleteJob: 'delete flinkjobs <job>',
  getJobStatus: 'get flinkjobs <job>',
  getJobDetails: 'get flinkjobs <job>',
  getJobMetrics: 'get flinkjobs <job>',
  startJob: 'patch flinkjobs <job>',
  stopJob: 'patch flinkjobs <job>',
  scaleJob: 'update flinkjobs/scale <job>',
  triggerSavepoint: 'patch flinkjobs <job>',
  forgetSavepoint: 'patch flinkjobs <job>',
  getJobManagerMetrics: 'get flinkclusters <cluster>',
  listTaskManagers: 'get flinkclusters <cluster>',
  getTaskManagerDetails: 'get flinkclusters <cluster>',
  getTaskManagerMetrics: 'get flinkclusters <cluster>',
  getOpenApi: 'authenticated',
  listSavepoints: 'get flinkjobs <job>',
  getSavepoint: 'get flinkjobs <job>',
  disposeSavepoint: 'patch flinkjobs <job>',
};

describe('authorization of the routes', () => {
  it('asks for the verb, resource and object of the table', () => {
    const actual = Object.fromEntries(
      ROUTES.map((r) => {
        if (r.authorization === 'authenticated') return [r.operationId, 'authenticated'];
        const a = r.authorization;
        const resource = 'subresource' in a ? `${a.resource}/${a.subresource}` : a.resource;
        return [r.operationId, `${a.verb} ${resource}${a.object === 'none' ? '' : ` <${a.object}>`}`];
      }),
    );
    expect(actual).toEqual(TABLE);
  });

  it('builds the SubjectAccessReview attributes in the flinkvisor.io group and the request namespace', () => {
    const rule = (operationId: string): AuthorizationRule => {
      const authorization = ROUTES.find((r) => r.operationId === operationId)?.authorization;
      if (!authorization || authorization === 'authenticated') throw new Error(`no rule for ${operationId}`);
      return authorization;
    };
    expect(resourceAttributesFor(rule('scaleJob'), 'ns', 'demo-a')).toEqual({
      group: 'flinkvisor.io',
      namespace: 'ns',
      verb: 'update',
      resource: 'flinkjobs',
      subresource: 'scale',
      name: 'demo-a',
    });
    // list and create are checked without a name, as the API server checks them
    expect(resourceAttributesFor(rule('listJobs'), 'ns', 'ignored')).toEqual({
      group: 'flinkvisor.io',
      namespace: 'ns',
      verb: 'list',
      resource: 'flinkjobs',
    });
  });

  it('refuses with 403 naming the permission, and answers 503 when the review cannot be made', async () => {
    const caller = { username: 'bob', groups: [] };
    const attributes = {
      group: 'flinkvisor.io',
      namespace: 'ns',
      verb: 'patch',
      resource: 'flinkjobs',
      name: 'demo-a',
    };
    expect(describeAttributes(attributes)).toBe('patch flinkjobs.flinkvisor.io "demo-a" in namespace "ns"');
    await expect(authorize(async () => ({ allowed: true }), caller, attributes)).resolves.toBeUndefined();
    const denied = await authorize(async () => ({ allowed: false }), caller, attributes).catch(
      (e: unknown) => e,
    );
    expect(denied).toBeInstanceOf(HttpProblem);
    expect((denied as HttpProblem).status).toBe(403);
    const broken = await authorize(
      async () => {
        throw new Error('connect ECONNREFUSED');
      },
      caller,
      attributes,
    ).catch((e: unknown) => e);
    expect((broken as HttpProblem).status).toBe(503);
  });
});
