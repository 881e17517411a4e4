import { describe, expect, it } from 'vitest';
import {
  ANNOTATIONS,
  bootstrapJobName,
  crdName,
  FINALIZERS,
  FLINK_JOB,
  isPausedObject,
  jobManagerServiceName,
  jobNameInCluster,
  jobResourceName,
  MAX_CLUSTER_NAME_LENGTH,
  MAX_FLINK_JOB_NAME_LENGTH,
  parseRequestedAction,
  taskManagerLabelSelector,
} from '../../../src/api/names.ts';

describe('names', () => {
  it('keeps the <cluster>-<job> naming of FlinkDeployment jobs', () => {
    expect(jobResourceName('demo', 'computeaverage')).toBe('demo-computeaverage');
  });

  it('finds the short job name only under its own cluster prefix', () => {
    expect(jobNameInCluster('demo-computeaverage', 'demo')).toBe('computeaverage');
    expect(jobNameInCluster('a-b-job', 'a')).toBe('b-job');
    expect(jobNameInCluster('standalone', 'demo')).toBe('standalone');
    expect(jobNameInCluster('demo-', 'demo')).toBe('demo-');
  });

  it('spells the CRD, finalizer and annotation names of the flinkvisor.io group', () => {
    expect(crdName(FLINK_JOB)).toBe('flinkjobs.flinkvisor.io');
    expect(FINALIZERS).toEqual({
      operator: 'flinkvisor.io/operator',
      supervisor: 'flinkvisor.io/supervisor',
    });
    expect(ANNOTATIONS).toEqual({
      requestedAction: 'flinkvisor.io/requested-action',
      paused: 'flinkvisor.io/paused',
      withoutSavepoint: 'flinkvisor.io/without-savepoint',
      actionTimestamp: 'flinkvisor.io/action-timestamp',
    });
  });

  it('reads the paused annotation: "true" in any case pauses, anything else or nothing does not', () => {
    const meta = (value?: string) =>
      value === undefined ? {} : { annotations: { [ANNOTATIONS.paused]: value } };
    expect(isPausedObject(meta('true'))).toBe(true);
    expect(isPausedObject(meta(' TRUE '))).toBe(true);
    expect(isPausedObject(meta('false'))).toBe(false);
    expect(isPausedObject(meta('yes'))).toBe(false);
    expect(isPausedObject(meta())).toBe(false);
  });

  it('reads requested actions case-insensitively and reports unknown ones instead of throwing', () => {
    expect(parseRequestedAction('stop')).toBe('STOP');
    expect(parseRequestedAction(' TRIGGER_SAVEPOINT ')).toBe('TRIGGER_SAVEPOINT');
    expect(parseRequestedAction('NONE')).toBeUndefined();
    expect(parseRequestedAction('')).toBeUndefined();
    expect(parseRequestedAction(undefined)).toBeUndefined();
    expect(parseRequestedAction('RESTART')).toBe('invalid');
  });

  it('selects the TaskManager pods of one cluster', () => {
    expect(taskManagerLabelSelector('demo')).toBe(
      'app.kubernetes.io/managed-by=flinkvisor,flinkvisor.io/cluster=demo,flinkvisor.io/role=taskmanager',
    );
  });

  it('keeps derived names within the 63-character DNS label limit at the maximum lengths', () => {
    const cluster = 'c'.repeat(MAX_CLUSTER_NAME_LENGTH);
    const job = 'j'.repeat(MAX_FLINK_JOB_NAME_LENGTH);
    expect(jobManagerServiceName(cluster).length).toBeLessThanOrEqual(63);
    expect(bootstrapJobName(job).length).toBeLessThanOrEqual(63);
  });
});
