import type {
  V1Affinity,
  V1Container,
  V1EnvFromSource,
  V1EnvVar,
  V1Job,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import { highAvailabilityEnabled, type FlinkCluster } from '../api/flink-cluster.ts';
import type { FlinkJob } from '../api/flink-job.ts';
import {
  API_GROUP,
  bootstrapJobName,
  FLINK_CLUSTER,
  FLINK_JOB,
  jobManagerServiceName,
  LABELS,
  MANAGED_BY,
  type Role,
} from '../api/names.ts';
import { toV1ResourceRequirements } from '../api/kubernetes-types.ts';
import { ownerReference } from '../api/owner-references.ts';
import { metricsPodAdditions } from '../api/metrics.ts';
import { derivedFlinkConfiguration, storageCredentialEnv } from '../api/storage.ts';
import { BOOTSTRAP_EXIT } from '../bootstrap/exit-codes.ts';
import {
  DEFAULT_GRACE_SECONDS,
  jobManagerDrainGraceSeconds,
  jobManagerDrainLifecycle,
} from './jobmanager-drain-hook.ts';
import {
  flinkContainerSecurityContext,
  flinkPodSecurityContext,
  flinkvisorContainerSecurityContext,
  flinkvisorPodSecurityContext,
  scratchSpace,
} from './pod-security.ts';

/**
 * The Kubernetes objects a supervisor owns, built purely from the resource specs: the JobManager pod
 * and Service, TaskManager pods and bootstrap Jobs. Names are deterministic where a repeat must be
 * a no-op (409 = already done); every object carries a controller ownerReference, so deleting the
 * FlinkCluster or FlinkJob garbage-collects it even when no supervisor runs.
 */
export const FLINK_PORTS = { ui: 8081, rpc: 6123, blob: 6124, query: 6125 } as const;
export const TASK_MANAGER_PORTS = { data: 6121, ipc: 6122 } as const;
export const EPOCH_LABEL = `${API_GROUP}/epoch`;
export const FLINK_JOB_ID_LABEL = `${API_GROUP}/flink-job-id`;
export const SUBMISSION_ANNOTATION = `${API_GROUP}/submission`;

export function clusterLabels(clusterName: string, role: Role): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.cluster]: clusterName, [LABELS.role]: role };
}

/** Flink configuration lines for FLINK_PROPERTIES (the official image appends them to its config). */
export function flinkProperties(config: Readonly<Record<string, string>>): string {
  return `${Object.entries(config)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}\n`;
}

/**
 * The environment variable a user's `environment` entry named FLINK_PROPERTIES is renamed to when
 * its value comes from a ConfigMap or Secret key: the builder cannot inline a value it does not
 * know, so the composed FLINK_PROPERTIES references it instead.
 */
export const USER_FLINK_PROPERTIES_ENV = 'FLINKVISOR_USER_FLINK_PROPERTIES';

/**
 * The layers of FLINK_PROPERTIES, lowest first (docs/flink-configuration.md). `user` is text, not
 * a map: it may be a `$(VAR)` reference the kubelet expands when it starts the container.
 */
export interface FlinkPropertiesLayers {
  readonly derived: Readonly<Record<string, string>>;
  readonly user?: string | undefined;
  readonly spec: Readonly<Record<string, string>>;
  readonly owned: Readonly<Record<string, string>>;
}

/**
 * FLINK_PROPERTIES as layered lines: Flink reads them in order and a later key overrides an
 * earlier one, so each layer beats the ones above it in the text. Without a user layer the text is
 * the merged map, one line per key, as it always was.
 */
export function layeredFlinkProperties(layers: FlinkPropertiesLayers): string {
  const top = { ...layers.spec, ...layers.owned };
  if (layers.user === undefined) return flinkProperties({ ...layers.derived, ...top });
  // Derived keys a higher layer of ours sets anyway are left out: one line per key where we can.
  const below = Object.entries(layers.derived).filter(([key]) => !(key in top));
  const user = layers.user === '' || layers.user.endsWith('\n') ? layers.user : `${layers.user}\n`;
  return `${below.length > 0 ? flinkProperties(Object.fromEntries(below)) : ''}${user}${flinkProperties(top)}`;
}

/**
 * Keys Flinkvisor owns on every Flink pod, re-asserted after everything a user writes: the REST
 * port its probes, Service and supervisor use, and the task slots its scaling arithmetic counts
 * (spec.flinkConfiguration may not set them: MANAGED_FLINK_KEYS).
 */
export function ownedFlinkConfiguration(cluster: FlinkCluster): Record<string, string> {
  return {
    'taskmanager.numberOfTaskSlots': String(cluster.spec.taskManager.taskSlots),
    'rest.port': String(FLINK_PORTS.ui),
  };
}

/** Whether an envFrom source could define FLINK_PROPERTIES: any key does with an empty prefix. */
function mayDefineFlinkProperties(source: V1EnvFromSource): boolean {
  return 'FLINK_PROPERTIES'.startsWith(source.prefix ?? '');
}

/**
 * Where a pod spec's FLINK_PROPERTIES comes from, as the user layer, and the environment without
 * the entries that would replace the composed variable. An `environment` entry wins over
 * `environmentFrom`, as it does in Kubernetes; the last entry of a repeated name counts, likewise.
 * A literal value is inlined; a valueFrom entry is renamed and referenced; environmentFrom is
 * referenced as `$(FLINK_PROPERTIES)`, which the kubelet expands from the envFrom variables because
 * the composed entry is not defined yet at that point (an unknown reference is left as written).
 */
export function userFlinkProperties(podSpec: Pick<FlinkPodSpec, 'environment' | 'environmentFrom'>): {
  readonly user: string | undefined;
  readonly environment: V1EnvVar[];
} {
  const environment = podSpec.environment ?? [];
  const entry = environment.findLast((e) => e.name === 'FLINK_PROPERTIES');
  const others = environment.filter((e) => e.name !== 'FLINK_PROPERTIES');
  if (entry?.valueFrom) {
    // In the place of the user's entry, so references to it from later entries keep their order.
    const renamed = environment.flatMap((e) =>
      e === entry ? [{ ...e, name: USER_FLINK_PROPERTIES_ENV }] : e.name === 'FLINK_PROPERTIES' ? [] : [e],
    );
    return { user: `$(${USER_FLINK_PROPERTIES_ENV})`, environment: renamed };
  }
  if (entry) return { user: entry.value ?? '', environment: others };
  const fromSources = (podSpec.environmentFrom ?? []).some(mayDefineFlinkProperties);
  return { user: fromSources ? '$(FLINK_PROPERTIES)' : undefined, environment: others };
}

const downwardEnv: V1EnvVar[] = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
];

type FlinkPodSpec = FlinkCluster['spec']['jobManager'] | FlinkCluster['spec']['taskManager'];

function defaultAffinity(clusterName: string): V1Affinity {
  // Spread a cluster's pods over nodes when possible (the toolbox's preferred anti-affinity).
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 50,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: { [LABELS.cluster]: clusterName } },
          },
        },
      ],
    },
  };
}

function flinkPod(
  cluster: FlinkCluster,
  role: 'jobmanager' | 'taskmanager',
  epoch: number,
  podSpec: FlinkPodSpec,
  extraEnv: V1EnvVar[],
  ports: { name: string; containerPort: number }[],
  probes: Pick<V1Container, 'readinessProbe' | 'livenessProbe'>,
): V1Pod {
  const name = cluster.metadata.name ?? '';
  const namespace = cluster.metadata.namespace ?? 'default';
  const { user, environment } = userFlinkProperties(podSpec);
  const flinkPropertiesValue = layeredFlinkProperties({
    derived: derivedFlinkConfiguration(cluster.spec, namespace, name),
    user,
    spec: cluster.spec.flinkConfiguration ?? {},
    owned: ownedFlinkConfiguration(cluster),
  });
  const runtime = cluster.spec.runtime;
  const metrics = metricsPodAdditions(cluster.spec.metrics);
  // A port of the user's with the same name or number is the user's declaration of it.
  const metricsPorts = metrics.ports.filter(
    (m) => !(podSpec.extraPorts ?? []).some((p) => p.name === m.name || p.containerPort === m.containerPort),
  );
  const annotations = { ...metrics.annotations, ...(podSpec.annotations ?? {}) };
  const container: V1Container = {
    name: role,
    image: runtime.image,
    imagePullPolicy: runtime.pullPolicy,
    args: [...podSpec.args],
    ...(podSpec.command ? { command: [...podSpec.command] } : {}),
    env: [
      ...downwardEnv,
      { name: 'JOB_MANAGER_RPC_ADDRESS', value: jobManagerServiceName(name) },
      ...extraEnv,
      ...storageCredentialEnv(cluster.spec.storage),
      ...environment,
      // Last, so nothing can replace it, and so `$(VAR)` in the user's inlined text expands against
      // every variable the user defined, as it would have in the user's own entry.
      { name: 'FLINK_PROPERTIES', value: flinkPropertiesValue },
    ],
    ...(podSpec.environmentFrom ? { envFrom: [...podSpec.environmentFrom] } : {}),
    ports: [...ports, ...metricsPorts, ...(podSpec.extraPorts ?? [])],
    ...(podSpec.volumeMounts ? { volumeMounts: [...podSpec.volumeMounts] } : {}),
    ...(podSpec.resources ? { resources: toV1ResourceRequirements(podSpec.resources) } : {}),
    securityContext: podSpec.securityContext ?? flinkContainerSecurityContext(),
    ...probes,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace,
      labels: { ...(podSpec.labels ?? {}), ...clusterLabels(name, role), [EPOCH_LABEL]: String(epoch) },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: {
      restartPolicy: 'Always',
      serviceAccountName: podSpec.serviceAccount,
      // Only Flink's Kubernetes HA services talk to the API server (JobManagers and TaskManagers
      // alike: the TaskManagers watch the leader ConfigMaps); without HA no token is mounted.
      automountServiceAccountToken: highAvailabilityEnabled(cluster.spec),
      containers: [container, ...(podSpec.sideContainers ?? [])],
      ...(podSpec.initContainers ? { initContainers: [...podSpec.initContainers] } : {}),
      ...(podSpec.volumes ? { volumes: [...podSpec.volumes] } : {}),
      ...(runtime.pullSecrets ? { imagePullSecrets: [{ name: runtime.pullSecrets }] } : {}),
      securityContext: podSpec.podSecurityContext ?? flinkPodSecurityContext(),
      ...(podSpec.nodeSelector ? { nodeSelector: { ...podSpec.nodeSelector } } : {}),
      ...(podSpec.tolerations ? { tolerations: [...podSpec.tolerations] } : {}),
      affinity: podSpec.affinity ?? defaultAffinity(name),
      ...(podSpec.topologySpreadConstraints
        ? { topologySpreadConstraints: [...podSpec.topologySpreadConstraints] }
        : {}),
      ...(podSpec.priorityClassName ? { priorityClassName: podSpec.priorityClassName } : {}),
      terminationGracePeriodSeconds: DEFAULT_GRACE_SECONDS,
    },
  };
}

/**
 * Flink's Kubernetes HA services for a cluster with `jobManager.replicas` > 1: leader election and
 * job metadata in ConfigMaps named after `kubernetes.cluster-id` (the cluster's name, so a restarted
 * cluster finds them under the same name and its fresh JobManager's jobs are cancelled as any fresh
 * JobManager's are, §5.3 Starting 8), the RPC port fixed to the Service's (HA would pick a random
 * one). `high-availability.storageDir` comes from the storage helper or flinkConfiguration (the CRD
 * requires one of them). Empty without HA.
 */
export function highAvailabilityConfiguration(cluster: FlinkCluster): Record<string, string> {
  if (!highAvailabilityEnabled(cluster.spec)) return {};
  return {
    'high-availability.type': 'kubernetes',
    'kubernetes.cluster-id': cluster.metadata.name ?? '',
    'kubernetes.namespace': cluster.metadata.namespace ?? 'default',
    'high-availability.jobmanager.port': String(FLINK_PORTS.rpc),
  };
}

/**
 * Puts the HA entries first in FLINK_PROPERTIES, below every layer (a later key wins), so a user's
 * flinkConfiguration can still tune or replace them. With HA, every JobManager advertises its own
 * pod IP as its RPC address: the leader publishes it in the HA ConfigMap and the TaskManagers and
 * standbys dial it there; the Service name would reach whichever JobManager it resolves to.
 */
function withHighAvailability(pod: V1Pod, cluster: FlinkCluster, role: 'jobmanager' | 'taskmanager'): V1Pod {
  const ha = highAvailabilityConfiguration(cluster);
  if (Object.keys(ha).length === 0) return pod;
  const [main, ...others] = pod.spec?.containers ?? [];
  if (!main) return pod;
  const env = (main.env ?? []).map((e) => {
    if (e.name === 'FLINK_PROPERTIES') return { ...e, value: `${flinkProperties(ha)}${e.value ?? ''}` };
    if (e.name === 'JOB_MANAGER_RPC_ADDRESS' && role === 'jobmanager')
      return { name: e.name, value: '$(POD_IP)' };
    return e;
  });
  return { ...pod, spec: { ...pod.spec, containers: [{ ...main, env }, ...others] } };
}

/**
 * The name of JobManager `index` of one epoch: `jobmanager-<cluster>-<epoch>` for the single
 * JobManager (as it always was), `jobmanager-<cluster>-<epoch>-<index>` for each of several, so
 * creating any of them twice is a no-op.
 */
export function jobManagerPodName(cluster: FlinkCluster, epoch: number, index: number): string {
  const base = `jobmanager-${cluster.metadata.name ?? ''}-${epoch}`;
  return cluster.spec.jobManager.replicas > 1 ? `${base}-${index}` : base;
}

/** Every JobManager pod of one epoch: `jobManager.replicas` of them. */
export function jobManagerPods(cluster: FlinkCluster, epoch: number): V1Pod[] {
  return Array.from({ length: cluster.spec.jobManager.replicas }, (_, index) =>
    jobManagerPod(cluster, epoch, index),
  );
}

/** JobManager `index` of one epoch (see jobManagerPodName). */
export function jobManagerPod(cluster: FlinkCluster, epoch: number, index = 0): V1Pod {
  const pod = flinkPod(
    cluster,
    'jobmanager',
    epoch,
    cluster.spec.jobManager,
    [],
    Object.entries(FLINK_PORTS).map(([name, containerPort]) => ({ name, containerPort })),
    {
      readinessProbe: { httpGet: { path: '/overview', port: 'ui' }, periodSeconds: 5, failureThreshold: 3 },
      livenessProbe: {
        httpGet: { path: '/overview', port: 'ui' },
        initialDelaySeconds: 60,
        periodSeconds: 15,
        failureThreshold: 8,
      },
    },
  );
  pod.metadata = { ...pod.metadata, name: jobManagerPodName(cluster, epoch, index) };
  return withHighAvailability(withDrainHold(pod, cluster), cluster, 'jobmanager');
}

/**
 * A single JobManager (no HA) holds a graceful deletion while the supervisor stops its jobs with
 * savepoints (ADR 0021): a preStop hook that waits while Flink lists a job not ended, and a grace
 * period of taskTimeout + 30 s. With HA the standby takes over: the pod stays as built.
 */
function withDrainHold(pod: V1Pod, cluster: FlinkCluster): V1Pod {
  if (highAvailabilityEnabled(cluster.spec)) return pod;
  const [main, ...others] = pod.spec?.containers ?? [];
  if (!main) return pod;
  const grace = jobManagerDrainGraceSeconds(cluster.spec.supervisor.taskTimeout);
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers: [{ ...main, lifecycle: jobManagerDrainLifecycle(grace, FLINK_PORTS.ui) }, ...others],
      terminationGracePeriodSeconds: grace,
    },
  };
}

/**
 * The name of TaskManager `index` of one epoch: `taskmanager-<cluster>-<epoch>-<index>`. A fixed
 * name (not `generateName`) makes creating it idempotent: a scale-up repeated on a watch cache that
 * has not seen its own pod yet gets AlreadyExists instead of a second TaskManager.
 */
export function taskManagerPodName(clusterName: string, epoch: number, index: number): string {
  return `taskmanager-${clusterName}-${epoch}-${index}`;
}

/** TaskManager `index` of one epoch (see taskManagerPodName). */
export function taskManagerPod(
  cluster: FlinkCluster,
  epoch: number,
  taskSlots: number,
  index: number,
): V1Pod {
  const pod = flinkPod(
    cluster,
    'taskmanager',
    epoch,
    cluster.spec.taskManager,
    [{ name: 'TASK_MANAGER_NUMBER_OF_TASK_SLOTS', value: String(taskSlots) }],
    Object.entries(TASK_MANAGER_PORTS).map(([name, containerPort]) => ({ name, containerPort })),
    {},
  );
  pod.metadata = { ...pod.metadata, name: taskManagerPodName(cluster.metadata.name ?? '', epoch, index) };
  return withHighAvailability(pod, cluster, 'taskmanager');
}

/** Service `jobmanager-<cluster>`: ports equal their target ports (the node agent resolves names only). */
export function jobManagerService(cluster: FlinkCluster): V1Service {
  const name = cluster.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: jobManagerServiceName(name),
      namespace: cluster.metadata.namespace ?? 'default',
      labels: clusterLabels(name, 'jobmanager'),
      ...(cluster.spec.jobManager.serviceAnnotations
        ? { annotations: { ...cluster.spec.jobManager.serviceAnnotations } }
        : {}),
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: {
      type: cluster.spec.jobManager.serviceMode,
      selector: clusterLabels(name, 'jobmanager'),
      ports: Object.entries(FLINK_PORTS).map(([portName, port]) => ({
        name: portName,
        port,
        targetPort: port,
        protocol: 'TCP',
      })),
    },
  };
}

export interface BootstrapJobInput {
  readonly jobId: string;
  readonly submission: number;
  readonly parallelism: number;
  readonly savepointPath: string | null;
  /** Allow jar downloads from private networks (supervisor configuration). */
  readonly allowPrivateNetworks: boolean;
  readonly jobManagerUrl?: string;
  /**
   * The cluster: with state on S3, a restoring bootstrap checks the snapshot's `_metadata` there,
   * with the Flink pods' credentials (docs/upgrades.md).
   */
  readonly cluster?: FlinkCluster;
}

/** Arguments and environment a restoring bootstrap needs to look for the snapshot on S3. */
function snapshotCheckAccess(input: BootstrapJobInput): { args: string[]; env: V1EnvVar[] } {
  const storage = input.cluster?.spec.storage;
  const onS3 = storage !== undefined && storage.scheme !== 'file';
  if (!input.savepointPath || !onS3 || !/^s3[ap]?:\/\//.test(input.savepointPath))
    return { args: [], env: [] };
  const endpoint = storage.s3?.endpoint;
  const region = input.cluster?.spec.flinkConfiguration?.['s3.endpoint.region'] ?? 'us-east-1';
  return {
    args: [...(endpoint ? [`--s3-endpoint=${endpoint}`] : []), `--s3-region=${region}`],
    env: storageCredentialEnv(storage),
  };
}

/**
 * The bootstrap Job `bootstrap-<flinkjob>`: submits with the supervisor's job id, fails at once on a
 * permanent error (exit code via podFailurePolicy) and retries the others.
 */
export function bootstrapJob(job: FlinkJob, input: BootstrapJobInput): V1Job {
  const b = job.spec.bootstrap;
  const name = job.metadata.name ?? '';
  const namespace = job.metadata.namespace ?? 'default';
  const clusterName = job.spec.clusterName;
  const snapshotCheck = snapshotCheckAccess(input);
  const args = [
    'bootstrap',
    'run',
    `--namespace=${namespace}`,
    `--cluster-name=${clusterName}`,
    `--job-name=${name}`,
    `--job-id=${input.jobId}`,
    ...(b.jarPath ? [`--jar-path=${b.jarPath}`] : []),
    ...(b.jarURI ? [`--jar-uri=${b.jarURI}`] : []),
    ...(b.className ? [`--class-name=${b.className}`] : []),
    `--parallelism=${input.parallelism}`,
    ...(input.savepointPath ? [`--savepoint-path=${input.savepointPath}`] : []),
    ...(job.spec.savepoint.allowNonRestoredState ? ['--allow-non-restored-state'] : []),
    ...(input.allowPrivateNetworks ? ['--allow-private-networks'] : []),
    ...(input.jobManagerUrl ? [`--jobmanager-url=${input.jobManagerUrl}`] : []),
    ...snapshotCheck.args,
    ...(b.arguments ?? []).map((a) => `--argument=${a}`),
  ];
  const scratch = scratchSpace(b.volumes);
  const labels = {
    ...(b.labels ?? {}),
    ...clusterLabels(clusterName, 'bootstrap'),
    [LABELS.job]: name,
    [FLINK_JOB_ID_LABEL]: input.jobId,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: bootstrapJobName(name),
      namespace,
      labels,
      annotations: { [SUBMISSION_ANNOTATION]: String(input.submission) },
      ownerReferences: [ownerReference(FLINK_JOB, job)],
    },
    spec: {
      backoffLimit: 3,
      podFailurePolicy: {
        rules: [
          {
            action: 'FailJob',
            onExitCodes: {
              operator: 'In',
              values: [BOOTSTRAP_EXIT.permanent, BOOTSTRAP_EXIT.snapshotMissing],
            },
          },
        ],
      },
      template: {
        metadata: { labels, ...(b.annotations ? { annotations: { ...b.annotations } } : {}) },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: b.serviceAccount,
          // The bootstrap talks to Flink (and S3) only, never to the API server.
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'bootstrap',
              image: b.image,
              imagePullPolicy: b.pullPolicy,
              args,
              env: [...downwardEnv, ...scratch.env, ...snapshotCheck.env, ...(b.environment ?? [])],
              ...(b.environmentFrom ? { envFrom: [...b.environmentFrom] } : {}),
              volumeMounts: [...scratch.mounts, ...(b.volumeMounts ?? [])],
              resources: toV1ResourceRequirements(b.resources),
              securityContext: b.securityContext ?? flinkvisorContainerSecurityContext(),
            },
          ],
          volumes: [...scratch.volumes, ...(b.volumes ?? [])],
          ...(b.pullSecrets ? { imagePullSecrets: [{ name: b.pullSecrets }] } : {}),
          securityContext: b.podSecurityContext ?? flinkvisorPodSecurityContext(),
          ...(b.nodeSelector ? { nodeSelector: { ...b.nodeSelector } } : {}),
          ...(b.tolerations ? { tolerations: [...b.tolerations] } : {}),
          ...(b.affinity ? { affinity: b.affinity } : {}),
          ...(b.priorityClassName ? { priorityClassName: b.priorityClassName } : {}),
        },
      },
    },
  };
}
