// What the Flink Kubernetes Toolbox (nextbreakpoint.com/v1, flink-k8s-toolbox 1.4.4-beta) has:
// its fields per part of a spec, its ServiceAccounts, its state annotations and the defaults it
// applied at run time. `flinkvisor migrate` converts from these (src/api/toolbox-migration.ts).

/** The toolbox's ServiceAccounts (its roles chart) and the ones the Flinkvisor chart creates instead. */
export const SERVICE_ACCOUNT_RENAMES: Readonly<Record<string, string>> = {
  'flink-supervisor': 'flinkvisor-supervisor',
  'flink-bootstrap': 'flinkvisor-bootstrap',
};

/** Toolbox annotations that are its supervisor's state, not a request: Flinkvisor keeps that in status. */
export const TOOLBOX_STATE_ANNOTATIONS = [
  'operator.nextbreakpoint.com/action-timestamp',
  'operator.nextbreakpoint.com/delete-resources',
  'operator.nextbreakpoint.com/should-restart',
];

/** metadata fields the API server owns: carried from a `kubectl get -o yaml` they would be refused or wrong. */
export const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

export const POD_FIELDS = [
  'serviceAccount',
  'annotations',
  'command',
  'args',
  'environment',
  'environmentFrom',
  'volumes',
  'volumeMounts',
  'extraPorts',
  'initContainers',
  'sideContainers',
  'resources',
  'securityContext',
  'affinity',
  'tolerations',
  'topologySpreadConstraints',
];

/** The fields of nextbreakpoint.com/v1 (flink-k8s-toolbox 1.4.4-beta), per part of a spec. */
export const TOOLBOX_FIELDS = {
  cluster: [
    'taskManagers',
    'minTaskManagers',
    'maxTaskManagers',
    'runtime',
    'jobManager',
    'taskManager',
    'supervisor',
  ],
  runtime: ['image', 'pullPolicy', 'pullSecrets'],
  jobManager: ['serviceMode', ...POD_FIELDS],
  taskManager: ['taskSlots', ...POD_FIELDS],
  supervisor: [
    'image',
    'pullPolicy',
    'pullSecrets',
    'serviceAccount',
    'pollingInterval',
    'taskTimeout',
    'rescaleDelay',
    'rescalePolicy',
    'replicas',
    'resources',
    'securityContext',
  ],
  job: ['jobParallelism', 'minJobParallelism', 'maxJobParallelism', 'bootstrap', 'savepoint', 'restart'],
  bootstrap: [
    'image',
    'className',
    'jarPath',
    'arguments',
    'pullPolicy',
    'pullSecrets',
    'serviceAccount',
    'resources',
    'securityContext',
  ],
  savepoint: ['savepointMode', 'savepointPath', 'savepointInterval', 'savepointTargetPath'],
  restart: ['restartPolicy', 'restartDelay', 'restartTimeout'],
} as const;

/** Most replicas of the supervisor Deployment Flinkvisor takes (one leads, the rest stand by). */
export const MAX_SUPERVISOR_REPLICAS = 5;
/** The toolbox clamped its polling interval to this range at run time (5..60 s). */
export const TOOLBOX_POLLING_RANGE = [5, 60] as const;
/** The toolbox took a savepoint this often (s) when savepointInterval was absent. */
export const TOOLBOX_SAVEPOINT_INTERVAL = 3600;
