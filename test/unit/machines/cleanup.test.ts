// The cleanup of a deleted cluster (ADR 0012): the outcomes of its two effects, and a whole
// deletion with autoClean driven through live effects.
import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import type { ClusterCleanup, ClusterContext } from '../../../src/machines/cluster-machine.ts';
import {
  SECOND,
  T0,
  clusterObserved,
  clusterSnapshot,
  done,
  failed,
  runningClusterContext,
  step,
} from './support.ts';

const AT = T0 + 1000;

/** Flink is gone: no pod, no Service, no REST API. */
const gone = {
  jobManager: { pods: 0, ready: false },
  jobManagerService: false,
  taskManagers: { pods: 0, ready: 0 },
  flink: { reachable: false },
  jobs: [],
} as const;

const deleting = (cleanup: Partial<ClusterCleanup> = {}): ClusterContext =>
  runningClusterContext({
    now: AT,
    stop: { reason: 'Deleted', restart: false, delete: true, withoutSavepoint: false, jobsDeadline: AT },
    cleanup: {
      deadline: AT + 300 * SECOND,
      configMaps: 'Pending',
      configMapsRemoved: 0,
      storage: 'Pending',
      ...cleanup,
    },
  });

describe('cleanup after a deletion (ADR 0012)', () => {
  it('records how many HA ConfigMaps were removed', () => {
    const { next } = step(
      clusterMachine,
      clusterSnapshot({ Stopping: 'RemovingHighAvailability' }, deleting()),
      done('removeHighAvailabilityConfigMaps', { removed: 4, at: AT }),
    );
    expect(next.value).toEqual({ Stopping: 'Cleaning' });
    expect((next.context as ClusterContext).cleanup).toMatchObject({
      configMaps: 'Removed',
      configMapsRemoved: 4,
    });
    expect((next.context as ClusterContext).notice).toMatchObject({ reason: 'HighAvailabilityCleaned' });
  });

  it('says why the HA ConfigMaps could not be removed, and goes on with the storage', () => {
    const { next } = step(
      clusterMachine,
      clusterSnapshot({ Stopping: 'RemovingHighAvailability' }, deleting()),
      failed('removeHighAvailabilityConfigMaps', new Error('configmaps is forbidden')),
    );
    expect(next.value).toEqual({ Stopping: 'Cleaning' });
    expect((next.context as ClusterContext).cleanup?.configMaps).toBe('Failed');
    expect((next.context as ClusterContext).notice?.reason).toBe('HighAvailabilityCleanupFailed');
    expect((next.context as ClusterContext).notice?.message).toContain('configmaps is forbidden');
    const { next: after, started } = step(clusterMachine, next, clusterObserved(AT + SECOND, gone));
    expect(after.value).toEqual({ Stopping: 'StartingStorageCleanup' });
    expect(started).toContain('startStorageCleanup');
  });

  it('retries creating the storage-cleanup Job on the next observation when creating it failed', () => {
    const from = clusterSnapshot(
      { Stopping: 'StartingStorageCleanup' },
      deleting({ configMaps: 'Removed', storage: 'Pending' }),
    );
    const { next } = step(clusterMachine, from, failed('startStorageCleanup'));
    expect(next.value).toEqual({ Stopping: 'Cleaning' });
    expect((next.context as ClusterContext).cleanup?.storage).toBe('Pending');
    const { next: again } = step(clusterMachine, next, clusterObserved(AT + SECOND, gone));
    expect(again.value).toEqual({ Stopping: 'StartingStorageCleanup' });
  });

  it('marks the storage cleanup running once its Job exists', () => {
    const { next } = step(
      clusterMachine,
      clusterSnapshot({ Stopping: 'StartingStorageCleanup' }, deleting({ configMaps: 'Removed' })),
      done('startStorageCleanup', { at: AT }),
    );
    expect((next.context as ClusterContext).cleanup?.storage).toBe('Running');
  });

  it('without autoClean, a deletion removes the HA ConfigMaps only and never creates the Job', () => {
    const { next } = step(
      clusterMachine,
      clusterSnapshot({ Stopping: 'Cleaning' }, deleting({ configMaps: 'Removed', storage: 'Skipped' })),
      clusterObserved(AT + SECOND, gone),
    );
    expect(next.value).toBe('Terminated');
    expect((next.context as ClusterContext).cleanup?.storage).toBe('Skipped');
  });

  it('a manual stop cleans nothing', () => {
    const context = runningClusterContext({
      stop: { reason: 'Manual', restart: false, delete: false, withoutSavepoint: false, jobsDeadline: AT },
    });
    const { next, started } = step(
      clusterMachine,
      clusterSnapshot({ Stopping: 'Removing' }, context),
      clusterObserved(AT, gone),
    );
    expect(next.value).toEqual({ Stopped: 'Idle' });
    expect((next.context as ClusterContext).cleanup).toBeNull();
    expect(started).not.toContain('removeHighAvailabilityConfigMaps');
  });
});
