import { z } from 'zod';
import { autoscalerSpec, autoscalerStatus } from './autoscaler.ts';
import { withRules, type CrossFieldRule } from './cel-rules.ts';
import {
  environmentFields,
  image,
  podPlacementFields,
  pullPolicy,
  pullSecrets,
  seconds,
  serviceAccount,
  stateLocation,
} from './common.ts';
import { clusterNameField } from './flink-cluster.ts';
import { resourceRequirements } from './kubernetes-types.ts';
import { FLINK_JOB, MAX_FLINK_JOB_NAME_LENGTH } from './names.ts';
import { nameRules, resourceEnvelope } from './resource.ts';
import { CLUSTER_HEALTHS, commonStatusFields, digest, SUPERVISOR_STATUSES, timestamp } from './status.ts';

// FlinkJob (fj): one Flink job on a FlinkCluster, submitted by a bootstrap Job. Field names follow
// the Flink Kubernetes Toolbox; the job names its cluster in spec.clusterName (the toolbox bound
// jobs to clusters by name prefix, so cluster `a` claimed the jobs of cluster `a-b`).

export const SAVEPOINT_MODES = ['Automatic', 'Manual'] as const;
export const RESTART_POLICIES = ['Never', 'Always', 'OnlyIfFailed'] as const;
/** How a spec change or rescale carries the job's state over (the Flink Kubernetes Operator's names). */
export const UPGRADE_MODES = ['savepoint', 'last-state', 'stateless'] as const;
/** Where the health gate of the latest upgrade is (status.upgrade.phase). */
export const UPGRADE_PHASES = ['Verifying', 'Healthy', 'Failed', 'RollingBack', 'RolledBack'] as const;
/** What a submission restored: a savepoint, a retained checkpoint, or nothing. */
export const SNAPSHOT_KINDS = ['savepoint', 'checkpoint', 'none'] as const;
/** Default of maxCheckpointAge: a checkpoint older than this is not restored in place of a savepoint. */
export const DEFAULT_MAX_CHECKPOINT_AGE_SECONDS = 600;

export const DEFAULT_BOOTSTRAP_RESOURCES = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '256Mi' },
};

/** https://host/path, http://host/path, file:/path or file:///path. */
export const JAR_URI_PATTERN = '^(https?://[^\\s/]+/\\S*|file:/\\S+)$';
const JAVA_CLASS_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$';

export const bootstrapSpec = withRules(
  z
    .object({
      image: image(
        'Image of the bootstrap container: the Flinkvisor image, or (with jarPath) an image built on it that holds the job jar.',
      ),
      pullPolicy,
      pullSecrets,
      serviceAccount: serviceAccount('default', 'bootstrap'),
      jarPath: z
        .string()
        .min(2)
        .max(4096)
        .regex(/^\/\S*$/)
        .exactOptional()
        .describe(
          'Absolute path of the job jar inside the bootstrap image. Set exactly one of jarPath and jarURI.',
        ),
      jarURI: z
        .string()
        .max(2048)
        .regex(new RegExp(JAR_URI_PATTERN))
        .exactOptional()
        .describe(
          'Where the bootstrap fetches the job jar: an https, http or file URI (file: paths are read inside the bootstrap container, e.g. from a volume). Set exactly one of jarPath and jarURI.',
        ),
      className: z
        .string()
        .max(1024)
        .regex(new RegExp(JAVA_CLASS_PATTERN))
        .exactOptional()
        .describe("Entry class of the job; the jar manifest's Main-Class when absent."),
      arguments: z
        .array(z.string().max(16384))
        .max(256)
        .exactOptional()
        .describe('Program arguments of the job, each passed as one argument (spaces are kept).'),
      ...environmentFields('bootstrap'),
      ...podPlacementFields('bootstrap'),
      resources: resourceRequirements.default(DEFAULT_BOOTSTRAP_RESOURCES),
    })
    .describe('The bootstrap Job that uploads the jar and submits the job. Changing it restarts the job.'),
  [
    {
      rule: 'has(self.jarPath) != has(self.jarURI)',
      message:
        'set exactly one of bootstrap.jarPath (a jar inside the bootstrap image) and bootstrap.jarURI (an https, http or file URI)',
      check: (b) => (b.jarPath === undefined) !== (b.jarURI === undefined),
    },
  ],
);

export const savepointHistorySpec = z
  .object({
    maxCount: z
      .int()
      .min(1)
      .max(10000)
      .exactOptional()
      .describe(
        'Keep at most this many completed savepoints (FlinkSavepoint objects); older ones are disposed.',
      ),
    maxAge: z
      .int()
      .min(1)
      .max(2_147_483_647)
      .exactOptional()
      .describe('Dispose completed savepoints older than this. In seconds.'),
    includeManual: z
      .boolean()
      .default(false)
      .describe('Apply the policy to user-requested savepoints too (they are kept otherwise).'),
  })
  .describe(
    'Retention of the FlinkSavepoint records and their files. The newest restorable savepoint is never disposed; without a policy nothing is.',
  );

export const savepointSpec = withRules(
  z
    .object({
      savepointMode: z
        .enum(SAVEPOINT_MODES)
        .default('Automatic')
        .describe(
          'Automatic: the supervisor takes a savepoint whenever it stops the job (and restarts from it); Manual: it cancels the job without one.',
        ),
      savepointInterval: seconds('Period of automatic periodic savepoints; 0 disables them.', 0, 0),
      savepointTargetPath: stateLocation(
        'Directory savepoints are written to, a URI on durable storage (s3://bucket/savepoints, file:///flink-data/savepoints). Required when savepointMode is Automatic or savepointInterval is greater than 0.',
      ).exactOptional(),
      savepointPath: stateLocation(
        'The toolbox name of initialSavepointPath: a savepoint to restore on the first start. Set at most one of the two.',
      ).exactOptional(),
      initialSavepointPath: stateLocation(
        'Savepoint (or retained checkpoint) to restore on the first start; later starts use the latest savepoint in status.savepointPath.',
      ).exactOptional(),
      allowNonRestoredState: z
        .boolean()
        .default(false)
        .describe('Submit even if the savepoint holds state that no operator of the job claims.'),
      savepointOnDelete: z
        .boolean()
        .default(false)
        .describe(
          'Take a savepoint when the FlinkJob is deleted, before the job is cancelled (bounded by supervisor.taskTimeout).',
        ),
      history: savepointHistorySpec.exactOptional(),
    })
    .describe('Savepoints: when they are taken, where to, and which one the job starts from.'),
  [
    {
      rule: '!(has(self.savepointPath) && has(self.initialSavepointPath))',
      message: 'savepointPath and initialSavepointPath are the same setting: set only initialSavepointPath',
      fieldPath: '.savepointPath',
      reason: 'FieldValueForbidden',
      check: (s) => s.savepointPath === undefined || s.initialSavepointPath === undefined,
    },
  ],
);

export const upgradeSpec = withRules(
  z
    .object({
      healthCheckWindow: seconds(
        'After a spec change or rescale is deployed, the job must run this long (RUNNING, with at most maxRestarts restarts) to be healthy; its spec then becomes the last stable spec. 0 disables the health gate.',
        0,
        0,
      ),
      maxRestarts: z
        .int()
        .min(0)
        .max(1000)
        .default(0)
        .describe('Flink job restarts tolerated within healthCheckWindow.'),
      rollback: z
        .boolean()
        .default(false)
        .describe(
          'An upgrade that fails its health gate (restarts beyond maxRestarts, the job failed, or it did not start) is rolled back: the last stable spec is resubmitted from the snapshot taken before the upgrade, and the failed spec is not retried until it changes. Needs healthCheckWindow.',
        ),
    })
    .describe('Health gate and rollback of upgrades (docs/upgrades.md).'),
  [
    {
      // has(): the CRD's default of `upgrade` is {} and is validated as it is, before its fields' defaults.
      rule: '!has(self.rollback) || !self.rollback || (has(self.healthCheckWindow) && self.healthCheckWindow > 0)',
      message:
        'upgrade.rollback needs upgrade.healthCheckWindow greater than 0: the window decides whether an upgrade failed',
      fieldPath: '.rollback',
      check: (u) => !u.rollback || u.healthCheckWindow > 0,
    },
  ],
);

export const restartSpec = z
  .object({
    restartPolicy: z
      .enum(RESTART_POLICIES)
      .default('Never')
      .describe(
        'When a stopped job is started again by itself: Never, Always, or OnlyIfFailed (when Flink reported FAILED).',
      ),
    restartDelay: seconds('Time a stopped job waits before it is restarted.', 60, 0),
    restartTimeout: seconds('Maximum time a job may spend starting before the start is abandoned.', 180, 1),
  })
  .describe('Restart policy of the job.');

const jobFields = {
  jobParallelism: z
    .int()
    .min(0)
    .max(100000)
    .default(1)
    .describe(
      'Requested parallelism, clamped to [minJobParallelism, maxJobParallelism]; 0 suspends the job. The scale subresource (kubectl scale, HorizontalPodAutoscaler) sets it; a change restarts the job from a savepoint.',
    ),
  minJobParallelism: z.int().min(0).max(100000).default(0).describe('Lower bound of jobParallelism.'),
  maxJobParallelism: z.int().min(1).max(100000).default(32).describe('Upper bound of jobParallelism.'),
  upgradeMode: z
    .enum(UPGRADE_MODES)
    .default('savepoint')
    .describe(
      'How a spec change or rescale restarts the job. savepoint: stop with a savepoint and resubmit from it (falling back to the newest checkpoint within maxCheckpointAge); last-state: cancel and resubmit from the newest completed checkpoint, without a savepoint; stateless: cancel and resubmit without state. When no snapshot can be had, the job is left stopped and a condition says why (docs/upgrades.md).',
    ),
  drainOnStop: z
    .boolean()
    .default(false)
    .describe(
      'Every stop-with-savepoint drains the job first (Flink --drain: sources end, event time advances to the end, windows fire). For pipelines that are not resumed from that savepoint.',
    ),
  maxCheckpointAge: seconds(
    'Oldest completed checkpoint an upgrade may restore instead of a savepoint (last-state, or the fallback when a savepoint cannot be taken).',
    DEFAULT_MAX_CHECKPOINT_AGE_SECONDS,
    1,
  ),
  upgrade: upgradeSpec.prefault({}),
  bootstrap: bootstrapSpec,
  savepoint: savepointSpec.prefault({}),
  restart: restartSpec.prefault({}),
  autoscaler: autoscalerSpec.exactOptional(),
};

type JobFields = { minJobParallelism: number; maxJobParallelism: number };
const parallelismRule: CrossFieldRule<JobFields> = {
  rule: 'self.minJobParallelism <= self.maxJobParallelism',
  message: 'minJobParallelism must be less than or equal to maxJobParallelism',
  fieldPath: '.minJobParallelism',
  check: (s) => s.minJobParallelism <= s.maxJobParallelism,
};

/** Savepoints are automatic when the supervisor takes them by itself: they need a target. */
export function savepointsAreAutomatic(savepoint: {
  savepointMode: string;
  savepointInterval: number;
}): boolean {
  return savepoint.savepointMode === 'Automatic' || savepoint.savepointInterval > 0;
}

/** The job part of a FlinkDeployment's jobs[]: a FlinkJob spec without clusterName. */
export const flinkJobTemplateSpec = withRules(
  z
    .object(jobFields)
    .describe('Template of the FlinkJob <deployment>-<name>; its cluster is the deployment.'),
  [parallelismRule],
);

export const flinkJobSpec = withRules(
  z
    .object({
      clusterName: withRules(
        clusterNameField.describe(
          'Name of the FlinkCluster, in the same namespace, that runs the job. Immutable.',
        ),
        [
          {
            rule: 'self == oldSelf',
            message: 'clusterName is immutable: create a new FlinkJob to move a job',
          },
        ],
      ),
      ...jobFields,
    })
    .describe('Desired state of the Flink job.'),
  [
    parallelismRule,
    {
      rule: "self.savepoint.savepointMode == 'Manual' && self.savepoint.savepointInterval == 0 || has(self.savepoint.savepointTargetPath)",
      message:
        'savepoint.savepointTargetPath is required when savepointMode is Automatic or savepointInterval is greater than 0',
      fieldPath: '.savepoint.savepointTargetPath',
      reason: 'FieldValueRequired',
      check: (s) => !savepointsAreAutomatic(s.savepoint) || s.savepoint.savepointTargetPath !== undefined,
    },
  ],
);

export const flinkJobStatus = z
  .object({
    ...commonStatusFields,
    supervisorStatus: z
      .enum(SUPERVISOR_STATUSES)
      .exactOptional()
      .describe('State of the job: Unknown, Starting, Started, Stopping, Stopped or Terminated.'),
    clusterName: z.string().max(253).exactOptional().describe('Cluster the job was bound to.'),
    clusterUid: z.string().max(64).exactOptional().describe('UID of the FlinkCluster the job was bound to.'),
    clusterHealth: z
      .enum(CLUSTER_HEALTHS)
      .exactOptional()
      .describe('Health of the cluster: HEALTHY, UNHEALTHY or empty.'),
    labelSelector: z
      .string()
      .max(1024)
      .exactOptional()
      .describe(
        'Selector of the TaskManager pods of the cluster (scale subresource, HorizontalPodAutoscaler).',
      ),
    jobParallelism: z
      .int()
      .min(0)
      .exactOptional()
      .describe('Parallelism in effect; 0 while the job is not running (scale subresource replicas).'),
    jobId: z.string().max(64).exactOptional().describe('Flink job id of the running job.'),
    jobStatus: z
      .string()
      .max(64)
      .exactOptional()
      .describe('Last state Flink reported for the job (RUNNING, FINISHED, FAILED, CANCELED, ...).'),
    savepointPath: z
      .string()
      .max(2048)
      .exactOptional()
      .describe('Latest completed savepoint; the next start restores it.'),
    savepointJobId: z.string().max(64).exactOptional().describe('Job id of the savepoint in flight.'),
    savepointTriggerId: z
      .string()
      .max(128)
      .exactOptional()
      .describe('Flink trigger id of the savepoint in flight.'),
    savepointTimestamp: timestamp('When savepointPath last changed.').exactOptional(),
    savepointRequestTimestamp: timestamp(
      'When a savepoint was last requested (the clock of savepointInterval).',
    ).exactOptional(),
    savepointMode: z.enum(SAVEPOINT_MODES).exactOptional().describe('savepointMode in effect.'),
    upgradeMode: z.enum(UPGRADE_MODES).exactOptional().describe('upgradeMode in effect.'),
    restoredFrom: z
      .object({
        path: z.string().max(2048).describe('The snapshot restored; empty when kind is none.'),
        kind: z.enum(SNAPSHOT_KINDS).describe('savepoint, checkpoint, or none (started without state).'),
      })
      .exactOptional()
      .describe('What the latest submission of the job restored its state from.'),
    lastCheckpoint: z
      .object({
        path: z.string().max(2048).describe('External path of the checkpoint (its _metadata lies there).'),
        completedAt: timestamp('When Flink completed it (the JobManager clock).'),
      })
      .exactOptional()
      .describe(
        'The newest completed checkpoint the supervisor saw Flink report: what last-state and the savepoint fallback restore when the JobManager is gone.',
      ),
    upgrade: z
      .object({
        phase: z
          .enum(UPGRADE_PHASES)
          .describe(
            'Verifying (the health check window runs), Healthy, Failed (rollback off), RollingBack, RolledBack.',
          ),
        restarts: z.int().min(0).describe('Flink restarts seen since the upgraded job was submitted.'),
        windowEnd: timestamp('When the health check window ends (or ended).').exactOptional(),
        snapshot: z
          .object({
            path: z.string().max(2048).describe('The snapshot; empty when kind is none.'),
            kind: z.enum(SNAPSHOT_KINDS).describe('savepoint, checkpoint, or none.'),
          })
          .exactOptional()
          .describe('The snapshot taken before the upgrade: what a rollback restores.'),
        reason: z.string().max(4096).exactOptional().describe('Why the upgrade failed.'),
      })
      .exactOptional()
      .describe('Health gate of the latest upgrade (spec.upgrade.healthCheckWindow).'),
    lastStableSpec: z
      .object({
        specDigest: z.string().max(64).describe('Digest of the bootstrap settings of the stable spec.'),
        parallelism: z.int().min(0).describe('Parallelism the stable spec ran with.'),
        bootstrap: bootstrapSpec,
        allowNonRestoredState: z
          .boolean()
          .describe('spec.savepoint.allowNonRestoredState of the stable spec.'),
      })
      .exactOptional()
      .describe('The last spec the job ran healthy with: what a rollback resubmits.'),
    restartPolicy: z.enum(RESTART_POLICIES).exactOptional().describe('restartPolicy in effect.'),
    autoscaler: autoscalerStatus.exactOptional(),
    lastFailure: z
      .object({
        jobId: z.string().max(64).describe('The Flink job that failed or restarted.'),
        exception: z
          .string()
          .max(1024)
          .describe("Flink's root exception and its deepest cause, first lines, credentials censored."),
        time: timestamp('When Flink recorded the exception (the JobManager clock).'),
        restarts: z.int().min(0).exactOptional().describe("Flink's restart count of the job when read."),
      })
      .exactOptional()
      .describe(
        "Flink's own word on the job's latest failure or restart (its exception history): also said in a FlinkJobFailed or FlinkJobRestarting Event.",
      ),
    restarts: z
      .int()
      .min(0)
      .exactOptional()
      .describe(
        "Flink's restart count (numRestarts) of the job in jobId, or of the last job once it stopped, as read at the latest failure the supervisor saw (lastFailure); 0 while none was seen.",
      ),
    digest: z
      .object({
        bootstrap: digest.describe('Digest of spec.bootstrap at the last start.'),
        savepoint: digest.describe('Digest of spec.savepoint.'),
        restart: digest.describe('Digest of spec.restart.'),
      })
      .exactOptional()
      .describe('Digests of the parts of the spec in effect; a bootstrap difference means a restart is due.'),
  })
  .describe('Observed state of the job, written by the supervisor.');

export const flinkJobResource = withRules(
  resourceEnvelope(FLINK_JOB.kind, flinkJobSpec, flinkJobStatus, 'A Flink job running on a FlinkCluster'),
  nameRules(MAX_FLINK_JOB_NAME_LENGTH, 'the FlinkJob name'),
);

export type FlinkJobSpec = z.infer<typeof flinkJobSpec>;
export type FlinkJobSpecInput = z.input<typeof flinkJobSpec>;
export type FlinkJobTemplateSpec = z.infer<typeof flinkJobTemplateSpec>;
export type FlinkJobStatus = z.infer<typeof flinkJobStatus>;
export type BootstrapSpec = z.infer<typeof bootstrapSpec>;
export type SavepointSpec = z.infer<typeof savepointSpec>;
export type SavepointHistorySpec = z.infer<typeof savepointHistorySpec>;
export type RestartSpec = z.infer<typeof restartSpec>;
export type SavepointMode = (typeof SAVEPOINT_MODES)[number];
export type RestartPolicy = (typeof RESTART_POLICIES)[number];
export type UpgradeMode = (typeof UPGRADE_MODES)[number];
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];
/** A FlinkJob as read from the API server, defaults applied. */
export type FlinkJob = z.infer<typeof flinkJobResource>;
