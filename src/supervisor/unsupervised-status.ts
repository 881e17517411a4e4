import type { KindNames } from '../api/names.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { invalidSpecPatch } from './status-report.ts';

// Status writes for resources the supervisor has no machine for, so no status writer: a spec that
// does not parse and never had a machine, and the jobs of a cluster that is gone. Each is
// preconditioned on the resourceVersion it was decided from and written only when it changes
// something; a failed write is left to the next pass (a watch event or the poll brings it).

/** SpecValid=False and Ready=False for the spec at the object's generation; true when written. */
export async function writeInvalidSpecWithoutMachine(
  resources: CustomResourceClient,
  kind: KindNames,
  namespace: string,
  raw: CustomObject,
  message: string,
  now: number,
): Promise<boolean> {
  const patch = invalidSpecPatch(raw.status, raw.metadata.generation ?? 0, message, now);
  if (!patch) return false;
  await resources
    .patchStatus(kind, namespace, raw.metadata.name ?? '', {
      metadata: { resourceVersion: raw.metadata.resourceVersion ?? '' },
      status: patch,
    })
    .catch(() => undefined);
  return true;
}

/** A job whose cluster is gone is reported Unknown (once: nothing is written when it says so). */
export async function writeJobWithoutCluster(
  resources: CustomResourceClient,
  kind: KindNames,
  namespace: string,
  jobRaw: CustomObject,
): Promise<void> {
  if ((jobRaw.status?.['supervisorStatus'] ?? 'Unknown') === 'Unknown') return;
  await resources
    .patchStatus(kind, namespace, jobRaw.metadata.name ?? '', {
      metadata: { resourceVersion: jobRaw.metadata.resourceVersion ?? '' },
      status: { supervisorStatus: 'Unknown', resourceStatus: 'Unknown', clusterHealth: '' },
    })
    .catch(() => undefined);
}
