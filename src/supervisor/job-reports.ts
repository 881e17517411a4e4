// The part of a job's pass that only reports, after its machine has decided: checkpoint progress
// (checkpoint-progress.ts), the autoscaler's decision (autoscaler-watch.ts) and Flink's own word on
// a failure (flink-failures.ts). Each is said as status, Events and metrics; none of it restarts
// anything. The autoscaler's act mode acts only through the status written here (see below).
import type { FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import type { FlinkRestClient } from '../flink/flink-rest-client.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomObject } from '../kube/custom-resource-client.ts';
import type { JobContext } from '../machines/job-machine.ts';
import type { FlinkJobObservation } from '../machines/observations.ts';
import type { MachineJournal } from '../visualizer/machine-journal.ts';
import { autoscalerDecided, recordAutoscalerPass } from './autoscaler-metrics.ts';
import { flinkFailureReads } from './flink-failures.ts';
import { checkpointReader, metricsSampleReader } from './flink-gateway.ts';
import type { Notices } from './notices.ts';
import type { JobHost } from './resource-host.ts';
import type { AutoscalerMetrics } from './supervisor-metrics.ts';

/** What a job's reports need of the supervisor. */
export interface JobReportDeps {
  readonly clock: Clock;
  readonly namespace: string;
  /** The Flink REST client of the pass (it follows a JobManager being drained). */
  readonly flink: () => FlinkRestClient;
  readonly flinkTimeoutMs: number;
  readonly notices: Pick<Notices, 'checkpoints' | 'autoscaler' | 'flinkJobFailure'>;
  readonly autoscalerMetrics: AutoscalerMetrics;
  readonly journal: MachineJournal | undefined;
  /** Writes the job's status now (a failure is left to the next write). */
  readonly writeStatus: (host: JobHost, raw: CustomObject) => Promise<void>;
}

/** One job in one pass, after its machine observed. */
export interface JobReportInput {
  readonly host: JobHost;
  readonly job: FlinkJob;
  readonly raw: CustomObject;
  readonly cluster: FlinkCluster;
  /** The Flink job the machine owns. */
  readonly jobId: string | null;
  /** What Flink said of it in this pass. */
  readonly flinkJob: FlinkJobObservation;
  /** The machine's context after it observed. */
  readonly context: JobContext;
  readonly now: number;
}

export async function reportJob(deps: JobReportDeps, input: JobReportInput): Promise<void> {
  const { host, job, raw, cluster, jobId, flinkJob, context, now } = input;
  const name = raw.metadata.name ?? '';
  // Report only, read only when due (checkpoint-progress.ts): never a restart for it.
  const reader = checkpointReader(deps.flink(), deps.flinkTimeoutMs, deps.clock);
  const checkpoints = await host.checkpoints.observe(jobId, flinkJob, now, reader);
  if (checkpoints.notice) deps.notices.checkpoints(raw, checkpoints.notice);
  if (checkpoints.changed) await deps.writeStatus(host, raw).catch(() => undefined);
  // The decision is reported; in act mode a rescale is recorded as status.autoscaler.parallelism,
  // which the job machine acts on from the stored status (jobPolicy), never before it is written.
  const autoscaledBefore = host.autoscaler.status;
  const autoscaling = await host.autoscaler.observe({
    spec: job.spec.autoscaler,
    jobId,
    flinkJob,
    parallelism: context.parallelism,
    requested: job.spec.jobParallelism,
    jobBounds: {
      min: job.spec.minJobParallelism,
      max: job.spec.maxJobParallelism,
      slots: cluster.spec.maxTaskManagers * cluster.spec.taskManager.taskSlots,
    },
    checkpointsFailing: host.checkpoints.verdict?.progressing === false,
    now,
    read: metricsSampleReader(deps.flink(), deps.flinkTimeoutMs, deps.clock),
  });
  await recordAutoscalerPass(
    deps.autoscalerMetrics,
    { namespace: deps.namespace, name },
    autoscaledBefore,
    host.autoscaler.status,
  );
  const decided = host.autoscaler.status;
  if (decided && autoscalerDecided(autoscaledBefore, decided))
    deps.journal?.noteAutoscalerDecision(name, {
      mode: decided.mode,
      reason: decided.reason,
      current: decided.current,
      recommended: decided.recommended,
      message: decided.message,
      ...(decided.metrics?.utilization === undefined ? {} : { utilization: decided.metrics.utilization }),
    });
  if (autoscaling.notice) deps.notices.autoscaler(raw, autoscaling.notice);
  if (autoscaling.changed) await deps.writeStatus(host, raw).catch(() => undefined);
  // Flink's own word on a failure or restart, read once per episode (flink-failures.ts).
  const failure = await host.failures.observe(
    jobId,
    flinkJob,
    flinkFailureReads(deps.flink(), deps.flinkTimeoutMs, deps.clock),
  );
  if (failure) {
    deps.notices.flinkJobFailure(raw, failure, flinkJob === 'FAILED');
    await deps.writeStatus(host, raw).catch(() => undefined);
  }
}
