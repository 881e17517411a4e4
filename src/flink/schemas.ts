import { z } from 'zod';

/**
 * What the client reads from Flink's answers, checked with zod. Each schema lists only the fields
 * Flinkvisor uses (zod drops the rest), so a field Flink adds is harmless and a field it drops or
 * retypes fails loudly at the edge. Fields that exist in some versions only are optional and say so.
 * Shapes were checked against real 1.20.5 and 2.3.0 where they differ from the 2.3 spec (ADR 0004).
 */

const flinkId = z.string().regex(/^[0-9a-f]{32}$/, 'expected 32 hex characters');
const num = z.number();

export const JOB_STATUSES = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type FlinkJobStatus = z.infer<typeof jobStatusSchema>;

/** Terminal in the whole cluster: the job will not run again under this id. */
export const GLOBALLY_TERMINAL_JOB_STATUSES: readonly FlinkJobStatus[] = ['FAILED', 'CANCELED', 'FINISHED'];

export const dashboardConfigSchema = z.object({
  'flink-version': z.string(),
  'flink-revision': z.string().optional(),
  'refresh-interval': num.optional(),
  'timezone-name': z.string().optional(),
  'timezone-offset': num.optional(),
  features: z
    .object({
      'web-submit': z.boolean().optional(),
      'web-cancel': z.boolean().optional(),
      'web-rescale': z.boolean().optional(),
      'web-history': z.boolean().optional(),
    })
    .optional(),
});
export type FlinkDashboardConfig = z.infer<typeof dashboardConfigSchema>;

export const clusterOverviewSchema = z.object({
  taskmanagers: num,
  'slots-total': num,
  'slots-available': num,
  'jobs-running': num,
  'jobs-finished': num,
  'jobs-cancelled': num,
  'jobs-failed': num,
  'flink-version': z.string().optional(),
  'flink-commit': z.string().optional(),
});
export type FlinkClusterOverview = z.infer<typeof clusterOverviewSchema>;

export const configEntriesSchema = z.array(z.object({ key: z.string(), value: z.string() }));

/** `?get=a,b` answers ids with values; without `get`, the ids of the available metrics only. */
export const metricsSchema = z.array(z.object({ id: z.string(), value: z.string().optional() }));
export type FlinkMetric = z.infer<typeof metricsSchema>[number];

export const aggregatedMetricsSchema = z.array(
  z.object({
    id: z.string(),
    min: num.optional(),
    max: num.optional(),
    avg: num.optional(),
    sum: num.optional(),
    skew: num.optional(),
  }),
);
export type FlinkAggregatedMetric = z.infer<typeof aggregatedMetricsSchema>[number];

/**
 * A subtask metric Flink could not measure (a busy time while the task is starting) is NaN, which
 * Flink writes as the string "NaN": read as NaN here, for the caller to leave out, instead of failing
 * the whole answer.
 */
const measured = z.union([num, z.string().transform((text) => Number(text))]);

/** `/jobs/:jobid/vertices/:vertexid/subtasks/metrics`: aggregated over the subtasks; without `get`, the ids only. */
export const subtaskMetricsSchema = z.array(
  z.object({
    id: z.string(),
    min: measured.optional(),
    max: measured.optional(),
    avg: measured.optional(),
    sum: measured.optional(),
  }),
);
export type FlinkSubtaskMetric = z.infer<typeof subtaskMetricsSchema>[number];

const resourceProfile = z.object({
  cpuCores: num.optional(),
  taskHeapMemory: num.optional(),
  taskOffHeapMemory: num.optional(),
  managedMemory: num.optional(),
  networkMemory: num.optional(),
});

const taskManagerFields = {
  /** Not 32 hex in practice: `<host>:<port>-<suffix>` for standalone TaskManagers. */
  id: z.string(),
  path: z.string().optional(),
  dataPort: num.optional(),
  jmxPort: num.optional(),
  timeSinceLastHeartbeat: num.optional(),
  slotsNumber: num,
  freeSlots: num,
  /** 2.3+ */
  assignedTasks: num.optional(),
  blocked: z.boolean().optional(),
  totalResource: resourceProfile.optional(),
  freeResource: resourceProfile.optional(),
  hardware: z
    .object({
      cpuCores: num.optional(),
      physicalMemory: num.optional(),
      freeMemory: num.optional(),
      managedMemory: num.optional(),
    })
    .optional(),
};

export const taskManagersSchema = z.object({ taskmanagers: z.array(z.object(taskManagerFields)) });
export type FlinkTaskManager = z.infer<typeof taskManagersSchema>['taskmanagers'][number];

export const taskManagerDetailsSchema = z.object({
  ...taskManagerFields,
  allocatedSlots: z.array(z.object({ jobId: z.string().optional() }).loose()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
});
export type FlinkTaskManagerDetails = z.infer<typeof taskManagerDetailsSchema>;

export const jarUploadSchema = z.object({ filename: z.string().min(1), status: z.literal('success') });

export const jarListSchema = z.object({
  address: z.string().optional(),
  files: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      uploaded: num,
      entry: z
        .array(z.object({ name: z.string(), description: z.string().nullish() }))
        .optional()
        .default([]),
    }),
  ),
});
export type FlinkJar = z.infer<typeof jarListSchema>['files'][number];

export const jarRunSchema = z.object({
  jobid: flinkId,
  /** 2.3+: the application the jar run created (its id equals the job id for a single-job jar). */
  applicationId: flinkId.optional(),
});

export const jobsSchema = z.object({ jobs: z.array(z.object({ id: flinkId, status: jobStatusSchema })) });
export type FlinkJobIdWithStatus = z.infer<typeof jobsSchema>['jobs'][number];

export const jobsOverviewSchema = z.object({
  jobs: z.array(
    z.object({
      jid: flinkId,
      name: z.string(),
      state: jobStatusSchema,
      'start-time': num,
      'end-time': num,
      duration: num,
      'last-modification': num.optional(),
      tasks: z.record(z.string(), num).optional(),
    }),
  ),
});
export type FlinkJobOverview = z.infer<typeof jobsOverviewSchema>['jobs'][number];

export const jobDetailsSchema = z.object({
  jid: flinkId,
  name: z.string(),
  state: jobStatusSchema,
  'start-time': num,
  /** -1 while the job runs. */
  'end-time': num,
  duration: num,
  now: num.optional(),
  isStoppable: z.boolean().optional(),
  /** 1.20+: STREAMING or BATCH. */
  'job-type': z.string().optional(),
  /** 2.3+ */
  'application-id': flinkId.nullish(),
  /** 2.3+: e.g. `Adaptive`, `Default`. */
  schedulerType: z.string().optional(),
  maxParallelism: num.optional(),
  timestamps: z.record(z.string(), num).optional(),
  vertices: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      parallelism: num,
      maxParallelism: num.optional(),
      status: z.string(),
      'start-time': num.optional(),
      'end-time': num.optional(),
      duration: num.optional(),
      tasks: z.record(z.string(), num).optional(),
    }),
  ),
  /** The job graph: which vertex reads which (sources read none). */
  plan: z
    .object({
      nodes: z.array(z.object({ id: z.string(), inputs: z.array(z.object({ id: z.string() })).optional() })),
    })
    .optional(),
});
export type FlinkJobDetails = z.infer<typeof jobDetailsSchema>;

export const jobStatusResponseSchema = z.object({ status: jobStatusSchema });

export const triggerResponseSchema = z.object({ 'request-id': flinkId });

const failureCause = z
  .object({ class: z.string().optional(), 'stack-trace': z.string().optional() })
  .loose()
  .nullish();

/**
 * The status of an asynchronous operation (savepoint, stop-with-savepoint, checkpoint, disposal).
 * Savepoints answer `operation.failure-cause`, checkpoints `operation.failureCause` (both versions).
 */
export const asyncOperationSchema = z.object({
  status: z.object({ id: z.enum(['IN_PROGRESS', 'COMPLETED']) }),
  operation: z
    .object({
      location: z.string().optional(),
      checkpointId: num.optional(),
      'failure-cause': failureCause,
      failureCause: failureCause,
    })
    .nullish(),
});
export type FlinkAsyncOperation = z.infer<typeof asyncOperationSchema>;

const checkpointStats = z.object({
  id: num,
  status: z.string(),
  is_savepoint: z.boolean(),
  trigger_timestamp: num.optional(),
  latest_ack_timestamp: num.optional(),
  checkpoint_type: z.string().optional(),
  checkpointed_size: num.optional(),
  state_size: num.optional(),
  end_to_end_duration: num.optional(),
  external_path: z.string().nullish(),
  discarded: z.boolean().optional(),
  failure_message: z.string().nullish(),
});

export const checkpointingStatisticsSchema = z.object({
  counts: z.object({
    restored: num,
    total: num,
    in_progress: num,
    completed: num,
    failed: num,
  }),
  latest: z
    .object({
      completed: checkpointStats.nullish(),
      savepoint: checkpointStats.nullish(),
      failed: checkpointStats.nullish(),
      restored: z
        .object({
          id: num,
          restore_timestamp: num.optional(),
          is_savepoint: z.boolean().optional(),
          external_path: z.string().nullish(),
        })
        .nullish(),
    })
    .optional(),
  history: z.array(checkpointStats).optional().default([]),
});
export type FlinkCheckpointingStatistics = z.infer<typeof checkpointingStatisticsSchema>;

/**
 * `GET /jobs/:jobid/checkpoints/config` (milliseconds). A streaming job without checkpointing still
 * answers, with `interval` Long.MAX_VALUE; a job without a checkpoint coordinator answers 404.
 */
export const checkpointConfigSchema = z.object({
  interval: num,
  timeout: num,
  min_pause: num.optional(),
  max_concurrent: num.optional(),
  tolerable_failed_checkpoints: num.optional(),
});
export type FlinkCheckpointConfig = z.infer<typeof checkpointConfigSchema>;

const exceptionFields = {
  exceptionName: z.string().optional(),
  stacktrace: z.string().optional(),
  timestamp: num.optional(),
  taskName: z.string().nullish(),
  /** 1.19+: `host:port` of the TaskManager (replaces `location`). */
  endpoint: z.string().nullish(),
  /** Up to 1.x: the deprecated form of `endpoint`. */
  location: z.string().nullish(),
  taskManagerId: z.string().nullish(),
  failureLabels: z.record(z.string(), z.string()).optional(),
};

export const jobExceptionsSchema = z.object({
  exceptionHistory: z.object({
    entries: z.array(
      z.object({
        ...exceptionFields,
        concurrentExceptions: z.array(z.object(exceptionFields)).optional().default([]),
      }),
    ),
    truncated: z.boolean(),
  }),
});

export const resourceRequirementsSchema = z.record(
  z.string(),
  z.object({ parallelism: z.object({ lowerBound: num, upperBound: num }) }),
);
