import { describe, expect, it } from 'vitest';
import {
  computePodStatus,
  podPhase,
  type ContainerRecord,
  type PodRecord,
} from '../../../src/node-agent/pod-status.ts';

const running: ContainerRecord = {
  name: 'c',
  image: 'node:26',
  phase: { kind: 'running', startedAt: 1000 },
  restartCount: 0,
  ready: true,
  init: false,
};
const done = (exitCode: number): ContainerRecord => ({
  ...running,
  ready: false,
  phase: {
    kind: 'terminated',
    exitCode,
    reason: exitCode ? 'Error' : 'Completed',
    startedAt: 1000,
    finishedAt: 2000,
  },
});
const pod = (over: Partial<PodRecord>): PodRecord => ({
  podIp: '127.0.0.10',
  hostIp: '127.0.0.1',
  startedAt: 1000,
  restartPolicy: 'Always',
  initContainers: [],
  containers: [running],
  ...over,
});

describe('pod phase', () => {
  it('is Running while a container runs', () => expect(podPhase(pod({}))).toBe('Running'));
  it('is Succeeded when all containers exit 0 and nothing restarts', () =>
    expect(podPhase(pod({ restartPolicy: 'OnFailure', containers: [done(0)] }))).toBe('Succeeded'));
  it('is Failed when a container fails under restartPolicy Never', () =>
    expect(podPhase(pod({ restartPolicy: 'Never', containers: [done(2)] }))).toBe('Failed'));
  it('stays Running when OnFailure will restart a failed container', () =>
    expect(podPhase(pod({ restartPolicy: 'OnFailure', containers: [done(2)] }))).toBe('Running'));
  it('is Pending until init containers completed', () =>
    expect(podPhase(pod({ initContainers: [{ ...running, init: true }] }))).toBe('Pending'));
  it('is Pending when the pod could not be set up', () =>
    expect(podPhase(pod({ setupError: { reason: 'CreateContainerConfigError', message: 'x' } }))).toBe(
      'Pending',
    ));
});

describe('pod status', () => {
  it('reports Ready, the pod IP and container states', () => {
    const s = computePodStatus(pod({}), 5000);
    expect(s.podIP).toBe('127.0.0.10');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.containerStatuses?.[0]?.state?.running).toBeDefined();
  });

  it('keeps lastTransitionTime of conditions that did not flip', () => {
    const first = computePodStatus(pod({}), 5000);
    const second = computePodStatus(pod({}), 9000, first);
    expect(second.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toEqual(new Date(5000));
    const notReady = computePodStatus(pod({ containers: [{ ...running, ready: false }] }), 9000, first);
    expect(notReady.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toEqual(new Date(9000));
  });

  it('reports exit codes and restart counts', () => {
    const s = computePodStatus(
      pod({ restartPolicy: 'Never', containers: [{ ...done(3), restartCount: 2 }] }),
      5000,
    );
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    expect(s.containerStatuses?.[0]?.restartCount).toBe(2);
    expect(s.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('PodCompleted');
  });
});
