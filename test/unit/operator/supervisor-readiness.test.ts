import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { supervisorReadiness } from '../../../src/operator/supervisor-readiness.ts';

function deployment(status?: V1Deployment['status']): V1Deployment {
  return { metadata: { name: 'supervisor-demo', namespace: 'team-a' }, ...(status ? { status } : {}) };
}

describe('supervisorReadiness', () => {
  it('is Unknown (Starting) while the Deployment creates or starts its pod and nothing failed', () => {
    expect(supervisorReadiness(deployment())).toMatchObject({ ready: 'Unknown', reason: 'Starting' });
    expect(
      supervisorReadiness(
        deployment({ conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }] }),
      ),
    ).toMatchObject({ ready: 'Unknown', reason: 'Starting' });
  });

  it("says why when the ReplicaSet cannot create the pod (the Deployment's ReplicaFailure)", () => {
    const message =
      'pods "supervisor-demo-6d9f-" is forbidden: error looking up service account team-a/flinkvisor-supervisor: serviceaccount "flinkvisor-supervisor" not found';
    const verdict = supervisorReadiness(
      deployment({
        availableReplicas: 0,
        conditions: [
          { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
          { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message },
        ],
      }),
    );
    expect(verdict).toMatchObject({ ready: false, reason: 'FailedCreate' });
    expect(verdict?.message).toContain('supervisor Deployment supervisor-demo cannot create its pod');
    expect(verdict?.message).toContain('serviceaccount "flinkvisor-supervisor" not found');
  });

  it('says when no pod became available before the progress deadline, and bounds long messages', () => {
    const verdict = supervisorReadiness(
      deployment({
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "supervisor-demo-6d9f" has timed out progressing. ${'x'.repeat(2000)}`,
          },
        ],
      }),
    );
    expect(verdict).toMatchObject({ ready: false, reason: 'ProgressDeadlineExceeded' });
    expect(verdict?.message.length).toBe(1000);
  });

  it('is ready once a pod is available, whatever older conditions say', () => {
    expect(
      supervisorReadiness(
        deployment({
          availableReplicas: 1,
          conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'old' }],
        }),
      ),
    ).toMatchObject({ ready: true, reason: 'Running' });
  });
});
