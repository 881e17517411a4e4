import { describe, expect, it } from 'vitest';
import { statusOnlyChange } from '../../../src/kube/status-only-change.ts';

const base = {
  apiVersion: 'flinkvisor.io/v1',
  kind: 'FlinkJob',
  metadata: { name: 'a', namespace: 'ns', resourceVersion: '1', generation: 1, annotations: {} },
  spec: { clusterName: 'c' },
  status: { supervisorStatus: 'Started' },
};

describe('statusOnlyChange: our own status writes coming back as updates', () => {
  it('a new status and resourceVersion (and managed fields) only: a status-only change', () => {
    const next = {
      ...base,
      metadata: { ...base.metadata, resourceVersion: '2', managedFields: [{ manager: 'supervisor' }] },
      status: { supervisorStatus: 'Stopping' },
    };
    expect(statusOnlyChange(next, base)).toBe(true);
  });

  it('spec, annotations (a requested action), labels, finalizers and deletion are changes', () => {
    const changes = [
      { ...base, spec: { clusterName: 'other' } },
      { ...base, metadata: { ...base.metadata, annotations: { 'flinkvisor.io/requested-action': 'STOP' } } },
      { ...base, metadata: { ...base.metadata, labels: { team: 'x' } } },
      { ...base, metadata: { ...base.metadata, finalizers: ['flinkvisor.io/supervisor'] } },
      { ...base, metadata: { ...base.metadata, deletionTimestamp: new Date(0) } },
    ];
    for (const next of changes) expect(statusOnlyChange(next, base)).toBe(false);
  });

  it('an add (no old object) is never status-only', () => {
    expect(statusOnlyChange(base, undefined)).toBe(false);
  });
});
