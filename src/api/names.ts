import { createHash } from 'node:crypto';
/**
 * Names of the Flinkvisor API: group, version, kinds, finalizers, annotations, labels and the
 * default names of the objects derived from a resource. Everything that spells one of these strings
 * imports it from here.
 */

export const API_GROUP = 'flinkvisor.io';
export const API_VERSION = 'v1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
}

export const FLINK_DEPLOYMENT = {
  kind: 'FlinkDeployment',
  listKind: 'FlinkDeploymentList',
  plural: 'flinkdeployments',
  singular: 'flinkdeployment',
  shortNames: ['fd'],
} as const satisfies KindNames;

export const FLINK_CLUSTER = {
  kind: 'FlinkCluster',
  listKind: 'FlinkClusterList',
  plural: 'flinkclusters',
  singular: 'flinkcluster',
  shortNames: ['fc'],
} as const satisfies KindNames;

export const FLINK_JOB = {
  kind: 'FlinkJob',
  listKind: 'FlinkJobList',
  plural: 'flinkjobs',
  singular: 'flinkjob',
  shortNames: ['fj'],
} as const satisfies KindNames;

/** One savepoint of a FlinkJob: taken by the supervisor, or requested by a user (ADR 0015). */
export const FLINK_SAVEPOINT = {
  kind: 'FlinkSavepoint',
  listKind: 'FlinkSavepointList',
  plural: 'flinksavepoints',
  singular: 'flinksavepoint',
  shortNames: ['fsp'],
} as const satisfies KindNames;

export const KINDS = [FLINK_DEPLOYMENT, FLINK_CLUSTER, FLINK_JOB, FLINK_SAVEPOINT] as const;

/** `flinkclusters.flinkvisor.io`: the name of a kind's CustomResourceDefinition. */
export function crdName(kind: KindNames): string {
  return `${kind.plural}.${API_GROUP}`;
}

/**
 * Finalizers. Domain-qualified with a slash, as the API server recommends (it warns about
 * unqualified finalizer names).
 * - operator: on FlinkDeployment (before it is expanded) and FlinkCluster (before its supervisor
 *   is created); removed once the children are gone.
 * - supervisor: on FlinkCluster and FlinkJob while the supervisor still has to stop Flink.
 */
export const FINALIZERS = {
  operator: `${API_GROUP}/operator`,
  supervisor: `${API_GROUP}/supervisor`,
} as const;

/** Annotations users (and the control API/CLI) set to drive a cluster or job by hand. */
export const ANNOTATIONS = {
  /** One of REQUESTED_ACTIONS; the supervisor resets it once processed. */
  requestedAction: `${API_GROUP}/requested-action`,
  /** `"true"`: the requested START/STOP skips the savepoint (stop) or ignores it (start). */
  withoutSavepoint: `${API_GROUP}/without-savepoint`,
  /**
   * `<epoch ms>:<ACTION>`: the request's identity, so a request seen twice (a restart, a second
   * replica) is taken once, and a stamp left by an earlier request is not mistaken for a new one.
   * The control API and CLI set it; the supervisor stamps it when absent or stale.
   */
  actionTimestamp: `${API_GROUP}/action-timestamp`,
  /**
   * `"true"` on a FlinkDeployment, FlinkCluster or FlinkJob: reconciliation is paused (ADR 0019).
   * The supervisor keeps observing and changes nothing but a user's TRIGGER_SAVEPOINT; the operator
   * writes no child of a paused FlinkDeployment or FlinkCluster.
   */
  paused: `${API_GROUP}/paused`,
} as const;

/**
 * The Flink Kubernetes Toolbox's names (nextbreakpoint.com/v1) of the request annotations, taken as
 * aliases so its runbooks (`kubectl annotate fj x operator.nextbreakpoint.com/requested-action=STOP`)
 * keep working after `flinkvisor migrate` (docs/adr/0020-toolbox-migration.md). The toolbox's own
 * action-timestamp was the time its supervisor last wrote, not the identity of a request: the
 * identity of an aliased request is ANNOTATIONS.actionTimestamp, as for any other.
 */
export const TOOLBOX_ANNOTATIONS = {
  requestedAction: 'operator.nextbreakpoint.com/requested-action',
  withoutSavepoint: 'operator.nextbreakpoint.com/without-savepoint',
} as const;

/** The annotation names one request is written under (Flinkvisor's or the toolbox's). */
export interface RequestAnnotationKeys {
  readonly requestedAction: string;
  readonly withoutSavepoint: string;
}

/**
 * The names the pending request of an object is under: the toolbox's when only they ask for an
 * action, else Flinkvisor's. With both asking, Flinkvisor's is taken first and the toolbox's on a
 * later pass, each once.
 */
export function requestAnnotationKeys(
  annotations: Readonly<Record<string, string>> | undefined,
): RequestAnnotationKeys {
  const a = annotations ?? {};
  const own = parseRequestedAction(a[ANNOTATIONS.requestedAction]);
  const toolbox = parseRequestedAction(a[TOOLBOX_ANNOTATIONS.requestedAction]);
  return own === undefined && toolbox !== undefined ? TOOLBOX_ANNOTATIONS : ANNOTATIONS;
}

/** Whether a request annotation, under either name, is set (taken or not). */
export function hasRequestAnnotation(annotations: Readonly<Record<string, string>> | undefined): boolean {
  return Boolean(
    annotations?.[ANNOTATIONS.requestedAction] || annotations?.[TOOLBOX_ANNOTATIONS.requestedAction],
  );
}

/** The object carries `flinkvisor.io/paused: "true"` (case-insensitive, ADR 0019). */
export function isPausedObject(metadata: {
  readonly annotations?: Record<string, string> | undefined;
}): boolean {
  return metadata.annotations?.[ANNOTATIONS.paused]?.trim().toLowerCase() === 'true';
}

export const REQUESTED_ACTIONS = ['START', 'STOP', 'TRIGGER_SAVEPOINT', 'FORGET_SAVEPOINT'] as const;
export type RequestedAction = (typeof REQUESTED_ACTIONS)[number];

/**
 * The action an annotation value asks for, case-insensitively (the toolbox accepted `stop`).
 * `undefined` for an absent, empty or `NONE` value; `'invalid'` for anything else, so the caller
 * can report it (an Event, a condition) instead of failing its whole pass as the toolbox did.
 */
export function parseRequestedAction(value: string | undefined): RequestedAction | 'invalid' | undefined {
  if (value === undefined) return undefined;
  const normalized = value.trim().toUpperCase();
  if (normalized === '' || normalized === 'NONE') return undefined;
  return (REQUESTED_ACTIONS as readonly string[]).includes(normalized)
    ? (normalized as RequestedAction)
    : 'invalid';
}

/** Labels on every object Flinkvisor creates; selectors use them, so users cannot set these keys. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  deployment: `${API_GROUP}/deployment`,
  cluster: `${API_GROUP}/cluster`,
  /** The FlinkJob resource name (unique in the namespace). */
  job: `${API_GROUP}/job`,
  role: `${API_GROUP}/role`,
} as const;

export const MANAGED_BY = 'flinkvisor';
export const ROLES = [
  'jobmanager',
  'taskmanager',
  'supervisor',
  'bootstrap',
  'cleanup',
  'savepoint-search',
] as const;
export type Role = (typeof ROLES)[number];

/** Label and annotation keys under this prefix are reserved for Flinkvisor (rejected in specs). */
export const RESERVED_KEY_PREFIX = `${API_GROUP}/`;

/**
 * The selector of a cluster's TaskManager pods: `status.labelSelector` of the FlinkCluster and of
 * its FlinkJobs, read by the scale subresource (and so by a HorizontalPodAutoscaler).
 */
export function taskManagerLabelSelector(clusterName: string): string {
  return [
    `${LABELS.managedBy}=${MANAGED_BY}`,
    `${LABELS.cluster}=${clusterName}`,
    `${LABELS.role}=taskmanager`,
  ].join(',');
}

// Name lengths. Names end up in label values (at most 63 characters) and inside the names of
// derived objects: Service `jobmanager-<cluster>` must be a DNS label (63), and the bootstrap Job
// `bootstrap-<flinkjob>` too (the Job controller puts its name in a label). The limits keep every
// derived name valid with a margin for suffixes, so a bad name is rejected at admission and not
// later by a failing pod.
export const MAX_CLUSTER_NAME_LENGTH = 45;
export const MAX_FLINK_JOB_NAME_LENGTH = 53;
/** RFC 1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain (names of ServiceAccounts, Secrets, ConfigMaps). */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** The FlinkCluster a FlinkDeployment expands into has the deployment's name. */
export function clusterResourceName(deploymentName: string): string {
  return deploymentName;
}

/** `<cluster>-<job>`: the FlinkJob a FlinkDeployment creates for its job `job`. */
export function jobResourceName(clusterName: string, jobName: string): string {
  return `${clusterName}-${jobName}`;
}

/**
 * The short job name of a FlinkJob within its cluster (the `<job>` of the control API's
 * `/clusters/<cluster>/jobs/<job>`): the resource name without the `<cluster>-` prefix when it has
 * one, else the whole name. Binding is by `spec.clusterName`, never by this prefix.
 */
export function jobNameInCluster(resourceName: string, clusterName: string): string {
  const prefix = `${clusterName}-`;
  return resourceName.startsWith(prefix) && resourceName.length > prefix.length
    ? resourceName.slice(prefix.length)
    : resourceName;
}

export function jobManagerServiceName(clusterName: string): string {
  return `jobmanager-${clusterName}`;
}

export function supervisorDeploymentName(clusterName: string): string {
  return `supervisor-${clusterName}`;
}

export function bootstrapJobName(flinkJobName: string): string {
  return `bootstrap-${flinkJobName}`;
}

/**
 * `<flinkjob>-sp-<first 12 hex of the trigger id>`: the FlinkSavepoint recording one savepoint. The
 * trigger id is fixed (and persisted) before the savepoint is triggered, so a supervisor that
 * crashes at any instant finds the same name again and never records a savepoint twice.
 */
export function savepointResourceName(flinkJobName: string, triggerId: string): string {
  return `${flinkJobName}-sp-${triggerId.slice(0, 12)}`;
}

/**
 * `spsearch-<16 hex of the record's name hashed>`: the Job that looks for the files of the savepoint
 * a FlinkSavepoint records when Flink forgot its answer (ADR 0023). A function of the record's name,
 * so a supervisor that crashes at any instant finds the same Job again; short enough for the label
 * the Job controller puts its name in, whatever the record's name.
 */
export function savepointSearchJobName(savepointName: string): string {
  return `spsearch-${createHash('sha256').update(savepointName).digest('hex').slice(0, 16)}`;
}

/** The Job that removes a deleted cluster's state directories (autoClean): `clean-<cluster>`. */
export function storageCleanupJobName(clusterName: string): string {
  return `clean-${clusterName}`;
}
