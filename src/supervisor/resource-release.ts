// The supervisor's hold on the resources it supervises: its finalizer, added before a machine acts
// on a resource and removed once the machine is done with it (Terminated), so that Kubernetes
// deletes nothing the supervisor still has work for.
import { FINALIZERS, FLINK_JOB, type KindNames } from '../api/names.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { addFinalizer, removeFinalizer } from '../kube/finalizers.ts';
import type { JobContext } from '../machines/job-machine.ts';
import type { AnyHost } from './resource-host.ts';
import type { SavepointHistory } from './savepoint-history.ts';
import { writeJobWithoutCluster } from './unsupervised-status.ts';

/** What holding and releasing a resource needs of the supervisor. */
export interface ReleaseDeps {
  readonly resources: CustomResourceClient;
  readonly namespace: string;
  readonly clock: Clock;
  /** Counts one metadata write (the apiWrites metric). */
  readonly metadataWritten: () => void;
  /** Writes the resource's status now. */
  readonly writeStatus: (host: AnyHost, raw: CustomObject) => Promise<void>;
  readonly history: Pick<SavepointHistory, 'awaitsOutcome'>;
  /**
   * When this supervisor first saw each deleted FlinkJob (by uid), on its monotonic clock: the
   * bound on keeping it for a Pending record (awaitsSavepointOutcome).
   */
  readonly deletionsSeen: Map<string, number>;
}

/** Elapsed time, immune to wall-clock steps (a clock without it is taken as monotonic already). */
function elapsed(clock: Clock): number {
  return clock.monotonic?.() ?? clock.now();
}

export async function addSupervisorFinalizer(
  deps: ReleaseDeps,
  kind: KindNames,
  raw: CustomObject,
): Promise<void> {
  if (await addFinalizer(deps.resources, kind, raw, FINALIZERS.supervisor)) deps.metadataWritten();
}

export async function removeSupervisorFinalizer(
  deps: ReleaseDeps,
  kind: KindNames,
  raw: CustomObject,
): Promise<void> {
  const name = raw.metadata.name ?? '';
  const retry = { sleep: (ms: number) => deps.clock.sleep(ms) };
  if (await removeFinalizer(deps.resources, kind, deps.namespace, name, FINALIZERS.supervisor, retry))
    deps.metadataWritten();
}

/**
 * Whether a deleted FlinkJob is kept for a FlinkSavepoint record of it still Pending, whose
 * outcome the next passes read: from Flink, from the machine's latest path, or by a search. Released
 * with it, that savepoint was never recorded (the simulator's finding K17). Kept at most
 * taskTimeout after this supervisor saw the deletion (a JobManager that no longer answers): the
 * record stays Pending then, and the deletion ends within the operator's forced-deletion bound
 * (2 × taskTimeout + 60 s) unless leaders change meanwhile (each new one measures again).
 */
export async function awaitsSavepointOutcome(
  deps: ReleaseDeps,
  name: string,
  raw: CustomObject,
  context: JobContext,
): Promise<boolean> {
  if (!raw.metadata.deletionTimestamp) return false;
  // Measured from when this supervisor saw the deletion, on its monotonic clock: the
  // deletionTimestamp is the API server's clock, and a leader's wall clock minutes ahead of it took
  // the bound for passed at once, releasing the FlinkJob with its record Pending (K20, seed 1012701).
  const uid = raw.metadata.uid ?? name;
  const now = elapsed(deps.clock);
  const seenAt = Math.min(deps.deletionsSeen.get(uid) ?? now, now);
  deps.deletionsSeen.set(uid, seenAt);
  if (now - seenAt >= context.policy.taskTimeoutSeconds * 1000) return false;
  return deps.history.awaitsOutcome(name);
}

/** A machine in Terminated: flush its status, then let Kubernetes delete the resource. */
export async function release(deps: ReleaseDeps, host: AnyHost, kind: KindNames, raw: CustomObject) {
  await deps.writeStatus(host, raw).catch(() => undefined);
  if (!raw.metadata.deletionTimestamp) return;
  await removeSupervisorFinalizer(deps, kind, raw);
  deps.deletionsSeen.delete(raw.metadata.uid ?? raw.metadata.name ?? '');
}

/** The FlinkJobs naming a cluster that is gone. */
export async function releaseJobsWithoutCluster(deps: ReleaseDeps, jobsRaw: readonly CustomObject[]) {
  for (const jobRaw of jobsRaw) {
    // Nothing runs without a cluster: a deleted job must not hang on our finalizer.
    if (jobRaw.metadata.deletionTimestamp) await removeSupervisorFinalizer(deps, FLINK_JOB, jobRaw);
    else await writeJobWithoutCluster(deps.resources, FLINK_JOB, deps.namespace, jobRaw);
  }
}
