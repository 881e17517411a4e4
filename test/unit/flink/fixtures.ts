/**
 * Answers recorded from real Flink 1.20.5 and 2.3.0 session clusters on this machine (stack traces
 * shortened to a few frames, numbers as they came). Unit tests replay them through undici's MockAgent.
 */

export const JOB_ID = '0123456789abcdef0123456789abcdef';
export const TRIGGER_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
export const JAR_ID = 'c73ba114-b850-426c-9381-5beb7ea0b214_TopSpeedWindowing.jar';
export const TM_ID = '127.0.0.2:34657-fa2b7d';

export const CONFIG_1_20 = {
  'refresh-interval': 3000,
  'timezone-name': 'Coordinated Universal Time',
  'timezone-offset': 0,
  'flink-version': '1.20.5',
  'flink-revision': '0980485 @ 2026-06-08T09:21:06+02:00',
  features: { 'web-submit': true, 'web-cancel': true, 'web-rescale': true, 'web-history': false },
};

export const CONFIG_2_3 = {
  ...CONFIG_1_20,
  'flink-version': '2.3.0',
  'flink-revision': 'c0f8d1a @ 2026-06-14',
};

export const OVERVIEW = {
  taskmanagers: 1,
  'slots-total': 4,
  'slots-available': 4,
  'jobs-running': 0,
  'jobs-finished': 0,
  'jobs-cancelled': 0,
  'jobs-failed': 0,
  'flink-version': '1.20.5',
  'flink-commit': '0980485',
};

export const JOBMANAGER_CONFIG = [
  { key: 'jobmanager.rpc.address', value: '127.0.0.2' },
  { key: 'parallelism.default', value: '1' },
  { key: 'jobmanager.scheduler', value: 'adaptive' },
];

const RESOURCES = {
  cpuCores: 4.0,
  taskHeapMemory: 428,
  taskOffHeapMemory: 0,
  managedMemory: 64,
  networkMemory: 83,
  extendedResources: {},
};

export const TASK_MANAGER_2_3 = {
  id: TM_ID,
  path: 'pekko.tcp://flink@127.0.0.2:34657/user/rpc/taskmanager_0',
  dataPort: 34779,
  jmxPort: -1,
  timeSinceLastHeartbeat: 1795212353478,
  slotsNumber: 4,
  freeSlots: 4,
  assignedTasks: 0,
  totalResource: RESOURCES,
  freeResource: RESOURCES,
  hardware: { cpuCores: 2, physicalMemory: 25276502016, freeMemory: 585105408, managedMemory: 67108864 },
  memoryConfiguration: { frameworkHeap: 134217728, taskHeap: 449629388 },
};

export const JARS = {
  address: 'http://127.0.0.2:8081',
  files: [
    {
      id: JAR_ID,
      name: 'TopSpeedWindowing.jar',
      uploaded: 1795212364277,
      entry: [{ name: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing', description: null }],
    },
  ],
};

export const JOB_DETAILS_2_3 = {
  jid: JOB_ID,
  'application-id': JOB_ID,
  name: 'CarTopSpeedWindowingExample',
  isStoppable: false,
  state: 'RUNNING',
  'job-type': 'STREAMING',
  schedulerType: 'Adaptive',
  'start-time': 1795212487204,
  'end-time': -1,
  duration: 10127,
  maxParallelism: -1,
  now: 1795212497331,
  timestamps: { RUNNING: 1795212488277, CREATED: 1795212488015, INITIALIZING: 1795212487204, FAILED: 0 },
  vertices: [
    {
      id: 'cbc357ccb763df2852fee8c4fc7d55f2',
      slotSharingGroupId: '609fd91371f44eefec05483f231d4acb',
      name: 'Source: Car data generator source -> Timestamps/Watermarks',
      maxParallelism: 128,
      parallelism: 1,
      status: 'RUNNING',
      'start-time': 1795212413512,
      'end-time': -1,
      duration: 11322,
      tasks: { RUNNING: 1, FAILED: 0 },
      metrics: { 'read-bytes': 0 },
    },
  ],
  'status-counts': { RUNNING: 2 },
  plan: { jid: JOB_ID, name: 'CarTopSpeedWindowingExample', nodes: [] },
};

/** Freshly submitted on 2.3: no application id yet. */
export const JOB_DETAILS_2_3_CREATED = { ...JOB_DETAILS_2_3, state: 'CREATED', 'application-id': null };

export const JOBS_OVERVIEW = {
  jobs: [
    {
      jid: JOB_ID,
      name: 'CarTopSpeedWindowingExample',
      jobType: 'STREAMING',
      schedulerType: 'Adaptive',
      'start-time': 1795212488087,
      'end-time': 1795212489827,
      duration: 1740,
      state: 'CANCELED',
      'last-modification': 1795212489827,
      tasks: { running: 0, canceled: 2, total: 2 },
      'pending-operators': 0,
    },
  ],
};

export const CHECKPOINTS = {
  counts: { restored: 0, total: 2, in_progress: 0, completed: 2, failed: 0 },
  summary: { checkpointed_size: { min: 4303, max: 4303, avg: 4303 } },
  latest: {
    completed: null,
    savepoint: {
      className: 'completed',
      id: 1,
      status: 'COMPLETED',
      is_savepoint: true,
      savepointFormat: 'CANONICAL',
      trigger_timestamp: 1795212418352,
      latest_ack_timestamp: 1795212418607,
      checkpointed_size: 4303,
      state_size: 4303,
      end_to_end_duration: 255,
      num_subtasks: 2,
      num_acknowledged_subtasks: 2,
      checkpoint_type: 'SAVEPOINT',
      tasks: {},
      external_path: 'file:/tmp/flink-127.0.0.2-nTikks/savepoints/savepoint-012345-f70d3b00b9d5',
      discarded: false,
    },
    failed: null,
    restored: null,
  },
  history: [
    {
      className: 'completed',
      id: 1,
      status: 'COMPLETED',
      is_savepoint: true,
      trigger_timestamp: 1795212418352,
      checkpoint_type: 'SAVEPOINT',
      external_path: 'file:/tmp/flink-127.0.0.2-nTikks/savepoints/savepoint-012345-f70d3b00b9d5',
      discarded: false,
    },
  ],
};

const trace = (head: string) => `${head}\n\tat java.base/java.lang.Thread.run(Thread.java:840)\n`;

/**
 * 1.20 still sends the deprecated top-level fields next to exceptionHistory. The first entry is as
 * recorded (a global failure: no task, no TaskManager); the second is a task failure in 1.20's shape,
 * which names the TaskManager in both the deprecated `location` and (1.19+) `endpoint`.
 */
export const EXCEPTIONS_1_20 = {
  'root-exception': trace(
    'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy',
  ),
  timestamp: 1795212996998,
  'all-exceptions': [],
  truncated: false,
  exceptionHistory: {
    entries: [
      {
        exceptionName: 'org.apache.flink.util.FlinkException',
        stacktrace: trace(
          "org.apache.flink.util.FlinkException: Global failure triggered by OperatorCoordinator for 'Source: file-input'",
        ),
        timestamp: 1795212996967,
        failureLabels: {},
        concurrentExceptions: [],
      },
      {
        exceptionName: 'java.lang.RuntimeException',
        stacktrace: trace('java.lang.RuntimeException: boom'),
        timestamp: 1795212502801,
        taskName: 'Source: file-input -> tokenizer (1/1)',
        location: '127.0.0.2:34657',
        endpoint: null,
        taskManagerId: TM_ID,
        failureLabels: {},
        concurrentExceptions: [],
      },
    ],
    truncated: false,
  },
};

/** 2.x: exceptionHistory only. */
export const EXCEPTIONS_2_3 = {
  exceptionHistory: {
    entries: [
      {
        exceptionName: 'org.apache.flink.util.FlinkException',
        stacktrace: trace(
          "org.apache.flink.util.FlinkException: Global failure triggered by OperatorCoordinator for 'Source: file-input -> tokenizer'",
        ),
        timestamp: 1795212502801,
        failureLabels: {},
        concurrentExceptions: [
          {
            exceptionName: 'java.io.IOException',
            stacktrace: trace('java.io.IOException: no such file'),
            timestamp: 1795212502800,
            endpoint: '127.0.0.2:46251',
            taskManagerId: TM_ID,
          },
        ],
      },
    ],
    truncated: false,
  },
};

export const RESOURCE_REQUIREMENTS = {
  '90bea66de1c231edf33913ecd54406c1': { parallelism: { lowerBound: 1, upperBound: 1 } },
  cbc357ccb763df2852fee8c4fc7d55f2: { parallelism: { lowerBound: 1, upperBound: 1 } },
};

export const SAVEPOINT_COMPLETED = {
  status: { id: 'COMPLETED' },
  operation: { location: 'file:/tmp/flink-127.0.0.2-nTikks/savepoints/savepoint-012345-f70d3b00b9d5' },
};

export const SAVEPOINT_FAILED_JOB_GONE = {
  status: { id: 'COMPLETED' },
  operation: {
    'failure-cause': {
      class: 'java.util.concurrent.CompletionException',
      'stack-trace': trace(
        'java.util.concurrent.CompletionException: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (0123456789abcdef0123456789abcdef)',
      ),
      'serialized-throwable': 'rO0ABXNyAC5qYXZh',
    },
  },
};

export const CHECKPOINT_COMPLETED = { status: { id: 'COMPLETED' }, operation: { checkpointId: 2 } };

export const CHECKPOINT_FAILED = {
  status: { id: 'COMPLETED' },
  operation: {
    failureCause: {
      class: 'java.util.concurrent.CompletionException',
      'stack-trace': trace(
        'java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint expired',
      ),
    },
  },
};

export const IN_PROGRESS = { status: { id: 'IN_PROGRESS' }, operation: null };

function errorBody(...messages: string[]): string {
  return JSON.stringify({ errors: messages });
}

const FRAMES =
  '\tat org.apache.flink.runtime.rest.handler.AbstractHandler.respondAsLeader(AbstractHandler.java:188)\n';

export const DUPLICATE_JOB_1_20 = errorBody(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n' +
    FRAMES +
    'Caused by: java.util.concurrent.CompletionException: org.apache.flink.util.FlinkRuntimeException: Could not execute application.\n' +
    FRAMES +
    '\t... 1 more\n' +
    "Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: Failed to execute job 'CarTopSpeedWindowingExample'.\n" +
    FRAMES +
    'Caused by: org.apache.flink.runtime.client.DuplicateJobSubmissionException: Job has already been submitted.\n' +
    FRAMES,
);

export const DUPLICATE_APPLICATION_2_3 = errorBody(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n' +
    FRAMES +
    'Caused by: org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: Application has already been submitted.\n' +
    FRAMES,
);

export const UNKNOWN_TASK_MANAGER_1_20 = errorBody(
  'Internal server error.',
  '<Exception on server side:\norg.apache.flink.runtime.resourcemanager.exceptions.UnknownTaskExecutorException: No TaskExecutor registered under nope.\n' +
    '\tat org.apache.flink.runtime.resourcemanager.ResourceManager.requestTaskManagerDetailsInfo(ResourceManager.java:698)\n' +
    '\nEnd of exception on server side>',
);

export const JOB_NOT_FOUND = errorBody(
  `org.apache.flink.runtime.rest.NotFoundException: Job ${JOB_ID} not found\n` +
    FRAMES +
    `Caused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (${JOB_ID})\n` +
    FRAMES,
);

export const NO_SUCH_TRIGGER = errorBody(
  `org.apache.flink.runtime.rest.handler.RestHandlerException: There is no savepoint operation with triggerId=${TRIGGER_ID} for job ${JOB_ID}.\n` +
    FRAMES,
);

export const CANCEL_TERMINAL = errorBody(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: Job cancellation failed because the job has already reached another terminal state (FINISHED).\n' +
    FRAMES,
);

export const DELETE_MISSING_JAR = errorBody(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: File nope.jar does not exist in /tmp/flink-127.0.0.2-nTikks/upload/flink-web-upload.\n' +
    FRAMES,
);

export const RUN_MISSING_JAR = errorBody(
  'Internal server error.',
  '<Exception on server side:\njava.util.concurrent.CompletionException: org.apache.flink.runtime.rest.handler.RestHandlerException: Jar file /tmp/flink-127.0.0.2-nTikks/upload/flink-web-upload/nope.jar does not exist\n' +
    FRAMES +
    '\nEnd of exception on server side>',
);

export const BAD_TRIGGER_ID = errorBody(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: Request did not match expected format SavepointTriggerRequestBody.\n' +
    FRAMES +
    'Caused by: org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonMappingException: For input string: "xy" under radix 16\n',
);

export const NO_SUCH_ENTRY_CLASS = errorBody(
  'Internal server error.',
  "<Exception on server side:\njava.util.concurrent.CompletionException: org.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'org.example.NoSuchMain' was not found in the jar file.\n" +
    FRAMES +
    "Caused by: org.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'org.example.NoSuchMain' was not found in the jar file.\n" +
    'Caused by: java.lang.ClassNotFoundException: org.example.NoSuchMain\n' +
    '\nEnd of exception on server side>',
);

export const JOB_MASTER_INITIALIZING = errorBody(
  'Internal server error.',
  '<Exception on server side:\norg.apache.flink.runtime.dispatcher.UnavailableDispatcherOperationException: Unable to get JobMasterGateway for initializing job. The requested operation is not available while the JobManager is initializing.\n' +
    FRAMES +
    '\nEnd of exception on server side>',
);

export const NOT_A_JAR = errorBody(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: Only Jar files are allowed.\n' + FRAMES,
);

/** Flink 1.20: a run under the id of a job that had just finished raced the clean-up of its blobs (seen on a real JobManager). */
export const BLOB_CLEANUP_RACE_1_20 = JSON.stringify({
  errors: [
    'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n' +
      '\tat org.apache.flink.runtime.webmonitor.handlers.JarRunHandler.lambda$handleRequest$1(JarRunHandler.java:114)\n' +
      'Caused by: java.nio.file.NoSuchFileException: /tmp/flink-127.0.0.2-WmnAwV/tmp/jm_3ec7/blobStorage/incoming/temp-00000002 -> /tmp/flink-127.0.0.2-WmnAwV/tmp/jm_3ec7/blobStorage/job_b7f3e24959b71b50eb23dc757662d288/blob_p-a946\n',
  ],
});
