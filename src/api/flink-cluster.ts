import { z } from 'zod';
import { withRules } from './cel-rules.ts';
import {
  dnsLabel,
  flinkPodFields,
  image,
  objectName,
  podPlacementFields,
  pullPolicy,
  pullSecrets,
  seconds,
  serviceAccount,
} from './common.ts';
import { disruptionBudgetSpec } from './disruption-budget.ts';
import { annotations, resourceRequirements } from './kubernetes-types.ts';
import { metricsSpec } from './metrics.ts';
import { nameRules, resourceEnvelope } from './resource.ts';
import { stateBackendSpec } from './state-backend.ts';
import { FLINK_CLUSTER, MAX_CLUSTER_NAME_LENGTH, RESERVED_KEY_PREFIX } from './names.ts';
import { CLUSTER_HEALTHS, commonStatusFields, digest, SUPERVISOR_STATUSES, timestamp } from './status.ts';

// FlinkCluster (fc): a Flink session cluster (one JobManager, N TaskManagers) and its supervisor.
// Field names follow the Flink Kubernetes Toolbox so its manifests work after changing apiVersion.

export const SERVICE_MODES = ['ClusterIP', 'NodePort'] as const;
export const RESCALE_POLICIES = ['None', 'JobParallelism'] as const;

export const runtimeSpec = z
  .object({
    image: image('Flink image of the JobManager and TaskManagers, e.g. flink:2.3.0-java21.'),
    pullPolicy,
    pullSecrets,
  })
  .describe(
    'The Flink runtime shared by the JobManager and the TaskManagers. Changing it restarts the cluster.',
  );

/** Above this, more JobManagers add load on the HA ConfigMaps and nothing else: one leads, the rest wait. */
export const MAX_JOB_MANAGER_REPLICAS = 5;

export const jobManagerSpec = z
  .object({
    replicas: z
      .int()
      .min(1)
      .max(MAX_JOB_MANAGER_REPLICAS)
      .default(1)
      .describe(
        "JobManager pods. More than 1 turns on Flink's Kubernetes HA services: one JobManager leads, the others stand by and take over the running jobs (from their latest checkpoint, same job id) when it fails. Needs storage or flinkConfiguration high-availability.storageDir, and a serviceAccount allowed to manage ConfigMaps.",
      ),
    serviceMode: z
      .enum(SERVICE_MODES)
      .default('ClusterIP')
      .describe('Type of the JobManager Service jobmanager-<cluster>: ClusterIP or NodePort.'),
    serviceAnnotations: annotations
      .exactOptional()
      .describe(
        `Extra annotations of the JobManager Service (keys under ${RESERVED_KEY_PREFIX} are reserved).`,
      ),
    ...flinkPodFields('JobManager', ['jobmanager']),
  })
  .describe('The JobManager pod and Service. Changing it restarts the cluster.');

export const taskManagerSpec = z
  .object({
    taskSlots: z
      .int()
      .min(1)
      .max(1024)
      .default(1)
      .describe('Task slots per TaskManager (taskmanager.numberOfTaskSlots).'),
    ...flinkPodFields('TaskManager', ['taskmanager']),
  })
  .describe('The TaskManager pods. Changing it (other than their number) restarts the cluster.');

// Memory from the measured figure (docs/performance.md: the lean bundle with the Deployment's
// memory settings, 102 MiB resident with one cluster and two jobs): 160 Mi leaves V8's old space
// 96 MiB (supervisor-memory.ts), about five times the live heap.
export const DEFAULT_SUPERVISOR_RESOURCES = {
  requests: { cpu: '100m', memory: '160Mi' },
  limits: { cpu: '1', memory: '160Mi' },
};

export const supervisorSpec = z
  .object({
    image: image('Image of the supervisor: the Flinkvisor image.'),
    pullPolicy,
    pullSecrets,
    serviceAccount: serviceAccount('flinkvisor-supervisor', 'supervisor'),
    pollingInterval: seconds('How often the supervisor polls Flink and Kubernetes.', 5, 1, 60),
    taskTimeout: seconds(
      'How long an operation (start, stop, health check) may take before the supervisor gives up on it.',
      300,
      1,
    ),
    rescaleDelay: seconds('Minimum time after a rescale before idle TaskManagers are removed.', 60, 0),
    rescalePolicy: z
      .enum(RESCALE_POLICIES)
      .default('JobParallelism')
      .describe(
        'JobParallelism: the supervisor sets taskManagers to fit the parallelism of the jobs; None: taskManagers is left to the user (or an autoscaler).',
      ),
    replicas: z
      .int()
      .min(0)
      .max(5)
      .default(1)
      .describe('Replicas of the supervisor Deployment; one leads (Lease), the others stand by.'),
    ...podPlacementFields('supervisor'),
    resources: resourceRequirements.default(DEFAULT_SUPERVISOR_RESOURCES),
  })
  .describe(
    'The supervisor: one Deployment per cluster that runs the cluster and job state machines. Changing it replaces the supervisor, not Flink.',
  );

export const S3_SCHEMES = ['s3', 's3a', 's3p'] as const;

/** How the storage part of a deletion's cleanup ended (status.cleanup.storage). */
export const CLEANUP_OUTCOMES = ['Skipped', 'Pending', 'Running', 'Removed', 'Failed', 'TimedOut'] as const;

export const s3Credentials = z
  .object({
    name: objectName.describe('Name of the Secret, in the namespace of the cluster.'),
    accessKeyIdKey: z
      .string()
      .min(1)
      .max(253)
      .default('AWS_ACCESS_KEY_ID')
      .describe('Key of the Secret holding the access key id.'),
    secretAccessKeyKey: z
      .string()
      .min(1)
      .max(253)
      .default('AWS_SECRET_ACCESS_KEY')
      .describe('Key of the Secret holding the secret access key.'),
  })
  .describe(
    'A Secret with S3 credentials, passed to the JobManager and TaskManagers as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
  );

export const s3Storage = z
  .object({
    endpoint: z
      .string()
      .max(1024)
      .regex(/^https?:\/\/[^\s/]+(\/.*)?$/)
      .exactOptional()
      .describe('S3 endpoint, e.g. http://minio.minio:9000 (s3.endpoint); AWS when absent.'),
    pathStyleAccess: z
      .boolean()
      .default(false)
      .describe('Use path-style bucket addressing (s3.path.style.access), needed by MinIO.'),
    credentialsSecret: s3Credentials.exactOptional(),
  })
  .describe('S3 settings for storage.scheme s3, s3a or s3p.');

export const storageSpec = withRules(
  z
    .object({
      scheme: z
        .string()
        .min(1)
        .max(32)
        .regex(/^[a-z][a-z0-9+.-]*$/)
        .describe('File system scheme of the state storage: file, s3, s3a, s3p, gs, abfss, hdfs, ...'),
      baseDir: z
        .string()
        .min(1)
        .max(1024)
        .regex(/^[^\s]+$/)
        .describe(
          'Base directory: an absolute path for scheme file (/flink-data), else bucket or authority and path (my-bucket/flink).',
        ),
      s3: s3Storage.exactOptional(),
    })
    .describe(
      'State storage helper: the supervisor derives the checkpoint, savepoint and HA directories from <scheme>://<baseDir> (entries set in flinkConfiguration win).',
    ),
  [
    {
      rule: "self.scheme == 'file' ? self.baseDir.startsWith('/') : !self.baseDir.startsWith('/')",
      message:
        'baseDir must be an absolute path (/flink-data) when scheme is file, and must start with the bucket or authority (my-bucket/flink) otherwise',
      fieldPath: '.baseDir',
      check: (s) => (s.scheme === 'file') === s.baseDir.startsWith('/'),
    },
    {
      rule: `!has(self.s3) || self.scheme in [${S3_SCHEMES.map((s) => `'${s}'`).join(', ')}]`,
      message: `s3 settings need scheme ${S3_SCHEMES.join(', ')}`,
      fieldPath: '.s3',
      reason: 'FieldValueForbidden',
      check: (s) => s.s3 === undefined || (S3_SCHEMES as readonly string[]).includes(s.scheme),
    },
  ],
);

/** Keys of flinkConfiguration the supervisor sets from other fields, or that must not hold secrets. */
export const MANAGED_FLINK_KEYS: Readonly<Record<string, string>> = {
  'taskmanager.numberOfTaskSlots': 'set spec.taskManager.taskSlots instead',
  'jobmanager.rpc.address':
    'the supervisor sets it to the JobManager Service (to the pod IP with jobManager.replicas > 1)',
};

/** Whether a cluster spec asks for JobManager HA (Flink's Kubernetes HA services). */
export function highAvailabilityEnabled(spec: {
  readonly jobManager: { readonly replicas: number };
}): boolean {
  return spec.jobManager.replicas > 1;
}
export const SECRET_FLINK_KEYS = [
  's3.access-key',
  's3.secret-key',
  's3.access.key',
  's3.secret.key',
] as const;

const celList = (keys: readonly string[]) => `[${keys.map((k) => `'${k}'`).join(', ')}]`;

export const flinkConfiguration = withRules(
  z
    .record(z.string().min(1).max(256), z.string().max(16384))
    .refine((r) => Object.keys(r).length <= 512, { message: 'must have at most 512 entries' })
    .meta({ maxProperties: 512 })
    .describe(
      'Flink configuration entries (config.yaml keys and string values, e.g. "heartbeat.timeout": "90000"), for the JobManager and TaskManagers.',
    ),
  [
    ...Object.entries(MANAGED_FLINK_KEYS).map(([key, why]) => ({
      rule: `!('${key}' in self)`,
      message: `${key} is managed by Flinkvisor: ${why}`,
      reason: 'FieldValueForbidden' as const,
      check: (c: Record<string, string>) => !(key in c),
    })),
    {
      rule: `!${celList(SECRET_FLINK_KEYS)}.exists(k, k in self)`,
      message:
        'credentials must not be written into flinkConfiguration (every reader of the resource sees them): reference a Secret in spec.storage.s3.credentialsSecret',
      reason: 'FieldValueForbidden',
      check: (c) => SECRET_FLINK_KEYS.every((k) => !(k in c)),
    },
  ],
);

export const flinkClusterSpec = withRules(
  z
    .object({
      taskManagers: z
        .int()
        .min(0)
        .max(10000)
        .default(0)
        .describe(
          'Requested number of TaskManagers, clamped to [minTaskManagers, maxTaskManagers]. The scale subresource (kubectl scale, HorizontalPodAutoscaler) sets it; with rescalePolicy JobParallelism the supervisor does.',
        ),
      minTaskManagers: z.int().min(0).max(10000).default(0).describe('Lower bound of taskManagers.'),
      maxTaskManagers: z.int().min(0).max(10000).default(32).describe('Upper bound of taskManagers.'),
      runtime: runtimeSpec,
      jobManager: jobManagerSpec.prefault({}),
      taskManager: taskManagerSpec.prefault({}),
      supervisor: supervisorSpec,
      flinkConfiguration: flinkConfiguration.exactOptional(),
      storage: storageSpec.exactOptional(),
      stateBackend: stateBackendSpec.exactOptional(),
      metrics: metricsSpec.exactOptional(),
      disruptionBudget: disruptionBudgetSpec.exactOptional(),
      autoClean: z
        .boolean()
        .default(false)
        .describe(
          "Deleting the FlinkCluster also removes its checkpoint and HA directories from storage (S3 schemes; the directories the storage helper derives, <baseDir>/checkpoints|ha/<namespace>/<cluster>), by a short Job with the supervisor's image and the storage credentials. Savepoints are never removed. Flink's HA ConfigMaps are removed on deletion either way.",
        ),
    })
    .describe('Desired state of the Flink session cluster.'),
  [
    {
      rule: 'self.minTaskManagers <= self.maxTaskManagers',
      message: 'minTaskManagers must be less than or equal to maxTaskManagers',
      fieldPath: '.minTaskManagers',
      check: (s) => s.minTaskManagers <= s.maxTaskManagers,
    },
    {
      // Kubernetes HA keeps job graphs and checkpoint pointers in files it names in ConfigMaps: with
      // no durable directory a standby could lead but would find no job to recover.
      rule: "self.jobManager.replicas <= 1 || has(self.storage) || (has(self.flinkConfiguration) && 'high-availability.storageDir' in self.flinkConfiguration)",
      message:
        'jobManager.replicas > 1 turns on Kubernetes HA, which needs durable storage: set storage or flinkConfiguration high-availability.storageDir',
      fieldPath: '.jobManager.replicas',
      reason: 'FieldValueRequired',
      check: (s) =>
        s.jobManager.replicas <= 1 ||
        s.storage !== undefined ||
        (s.flinkConfiguration !== undefined && 'high-availability.storageDir' in s.flinkConfiguration),
    },
    {
      // The cleanup speaks the S3 API; a file system path is the node's, which no Job can be
      // assumed to see (docs/adr/0012-auto-clean.md).
      rule: `!self.autoClean || (has(self.storage) && self.storage.scheme in [${S3_SCHEMES.map((x) => `'${x}'`).join(', ')}])`,
      message: `autoClean removes directories from S3 storage: it needs storage with scheme ${S3_SCHEMES.join(', ')}`,
      fieldPath: '.autoClean',
      reason: 'FieldValueInvalid',
      check: (s) =>
        !s.autoClean ||
        (s.storage !== undefined && (S3_SCHEMES as readonly string[]).includes(s.storage.scheme)),
    },
  ],
);

export const flinkClusterStatus = z
  .object({
    ...commonStatusFields,
    supervisorStatus: z
      .enum(SUPERVISOR_STATUSES)
      .exactOptional()
      .describe('State of the cluster: Unknown, Starting, Started, Stopping, Stopped or Terminated.'),
    clusterHealth: z
      .enum(CLUSTER_HEALTHS)
      .exactOptional()
      .describe('HEALTHY when the JobManager answers, UNHEALTHY when it stopped answering, else empty.'),
    labelSelector: z
      .string()
      .max(1024)
      .exactOptional()
      .describe('Selector of the TaskManager pods (scale subresource, HorizontalPodAutoscaler).'),
    serviceMode: z
      .enum(SERVICE_MODES)
      .exactOptional()
      .describe('Service type in effect since the last start.'),
    taskManagers: z
      .int()
      .min(0)
      .exactOptional()
      .describe('TaskManagers wanted now: taskManagers clamped to its bounds (scale subresource replicas).'),
    taskSlots: z
      .int()
      .min(0)
      .exactOptional()
      .describe('Task slots per TaskManager in effect since the last start.'),
    taskManagerReplicas: z.int().min(0).exactOptional().describe('TaskManager pods that exist.'),
    totalTaskSlots: z.int().min(0).exactOptional().describe('taskManagerReplicas times taskSlots.'),
    rescaleTimestamp: timestamp('When the number of TaskManagers last changed.').exactOptional(),
    jobManagerLeader: z
      .string()
      .max(253)
      .exactOptional()
      .describe('With jobManager.replicas > 1: the JobManager pod that holds Flink leadership.'),
    jobManagerFailovers: z
      .int()
      .min(0)
      .exactOptional()
      .describe(
        'With jobManager.replicas > 1: how often leadership moved to another JobManager since the cluster started (the running jobs were recovered, not resubmitted).',
      ),
    lastFailoverTimestamp: timestamp('When leadership last moved to another JobManager.').exactOptional(),
    lastDisruption: z
      .object({
        pod: z.string().max(253).describe('The pod Kubernetes took away.'),
        role: z.enum(['jobmanager', 'taskmanager']).describe('Its role in the cluster.'),
        reason: z
          .string()
          .max(128)
          .describe(
            "The reason of its DisruptionTarget condition: EvictionByEvictionAPI (a node drain, an autoscaler's scale-down), DeletionByTaintManager, DeletionByPodGC, PreemptionByScheduler or TerminationByKubelet.",
          ),
        message: z.string().max(2048).describe('What happened and what follows.'),
        timestamp: timestamp('When Kubernetes marked the pod for disruption.').exactOptional(),
      })
      .exactOptional()
      .describe('The last pod of the cluster Kubernetes took away (evicted, its node drained or gone).'),
    podDisruptions: z
      .int()
      .min(0)
      .exactOptional()
      .describe('How many pods of the cluster Kubernetes took away since the supervisor first ran it.'),
    cleanup: z
      .object({
        highAvailabilityConfigMaps: z
          .int()
          .min(0)
          .exactOptional()
          .describe("Flink's HA ConfigMaps of the cluster the supervisor removed."),
        storage: z
          .enum(CLEANUP_OUTCOMES)
          .describe(
            'The storage directories (autoClean): Skipped (autoClean off), Pending, Running, Removed, Failed or TimedOut.',
          ),
        message: z.string().max(1024).describe('What was removed, or why not.'),
      })
      .exactOptional()
      .describe('While the FlinkCluster is being deleted: what the supervisor removed after Flink stopped.'),
    digest: z
      .object({
        runtime: digest.describe('Digest of spec.runtime at the last start.'),
        jobManager: digest.describe('Digest of spec.jobManager at the last start.'),
        taskManager: digest.describe('Digest of spec.taskManager at the last start.'),
        supervisor: digest.describe('Digest of spec.supervisor the supervisor runs with.'),
      })
      .exactOptional()
      .describe(
        'Digests of the parts of the spec in effect; a difference means a restart (or replacement) is due.',
      ),
  })
  .describe('Observed state of the cluster, written by the supervisor.');

export const flinkClusterResource = withRules(
  resourceEnvelope(FLINK_CLUSTER.kind, flinkClusterSpec, flinkClusterStatus, 'A Flink session cluster'),
  nameRules(MAX_CLUSTER_NAME_LENGTH, 'the FlinkCluster name'),
);

export type FlinkClusterSpec = z.infer<typeof flinkClusterSpec>;
export type FlinkClusterSpecInput = z.input<typeof flinkClusterSpec>;
export type FlinkClusterStatus = z.infer<typeof flinkClusterStatus>;
export type RuntimeSpec = FlinkClusterSpec['runtime'];
export type JobManagerSpec = FlinkClusterSpec['jobManager'];
export type TaskManagerSpec = FlinkClusterSpec['taskManager'];
export type SupervisorSpec = FlinkClusterSpec['supervisor'];
export type StorageSpec = z.infer<typeof storageSpec>;

/** A FlinkCluster as read from the API server, defaults applied. */
export type FlinkCluster = z.infer<typeof flinkClusterResource>;

/** How other kinds name a cluster (FlinkJob spec.clusterName). */
export const clusterNameField = dnsLabel(MAX_CLUSTER_NAME_LENGTH);
