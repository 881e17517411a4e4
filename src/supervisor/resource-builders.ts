import type { V1Affinity, V1Container, V1EnvVar, V1Job, V1Pod, V1Service } from '@kubernetes/client-node';
import type { FlinkCluster } from '../api/flink-cluster.ts';
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
import { clusterFlinkConfiguration, storageCredentialEnv } from '../api/storage.ts';
import { BOOTSTRAP_EXIT } from '../bootstrap/exit-codes.ts';

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
  const config = clusterFlinkConfiguration(cluster.spec, namespace, name);
  const runtime = cluster.spec.runtime;
  const container: V1Container = {
    name: role,
    image: runtime.image,
    imagePullPolicy: runtime.pullPolicy,
    args: [...podSpec.args],
    ...(podSpec.command ? { command: [...podSpec.command] } : {}),
    env: [
      ...downwardEnv,
      { name: 'JOB_MANAGER_RPC_ADDRESS', value: jobManagerServiceName(name) },
      {
        name: 'FLINK_PROPERTIES',
        value: flinkProperties({ ...config, 'rest.port': String(FLINK_PORTS.ui) }),
      },
      ...extraEnv,
      ...storageCredentialEnv(cluster.spec.storage),
      ...(podSpec.environment ?? []),
    ],
    ...(podSpec.environmentFrom ? { envFrom: [...podSpec.environmentFrom] } : {}),
    ports: [...ports, ...(podSpec.extraPorts ?? [])],
    ...(podSpec.volumeMounts ? { volumeMounts: [...podSpec.volumeMounts] } : {}),
    ...(podSpec.resources ? { resources: toV1ResourceRequirements(podSpec.resources) } : {}),
    ...(podSpec.securityContext ? { securityContext: podSpec.securityContext } : {}),
    ...probes,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace,
      labels: { ...(podSpec.labels ?? {}), ...clusterLabels(name, role), [EPOCH_LABEL]: String(epoch) },
      ...(podSpec.annotations ? { annotations: { ...podSpec.annotations } } : {}),
      ownerReferences: [ownerReference(FLINK_CLUSTER, cluster)],
    },
    spec: {
      restartPolicy: 'Always',
      serviceAccountName: podSpec.serviceAccount,
      containers: [container, ...(podSpec.sideContainers ?? [])],
      ...(podSpec.initContainers ? { initContainers: [...podSpec.initContainers] } : {}),
      ...(podSpec.volumes ? { volumes: [...podSpec.volumes] } : {}),
      ...(runtime.pullSecrets ? { imagePullSecrets: [{ name: runtime.pullSecrets }] } : {}),
      ...(podSpec.podSecurityContext ? { securityContext: podSpec.podSecurityContext } : {}),
      ...(podSpec.nodeSelector ? { nodeSelector: { ...podSpec.nodeSelector } } : {}),
      ...(podSpec.tolerations ? { tolerations: [...podSpec.tolerations] } : {}),
      affinity: podSpec.affinity ?? defaultAffinity(name),
      ...(podSpec.topologySpreadConstraints
        ? { topologySpreadConstraints: [...podSpec.topologySpreadConstraints] }
        : {}),
      ...(podSpec.priorityClassName ? { priorityClassName: podSpec.priorityClassName } : {}),
      terminationGracePeriodSeconds: 30,
    },
  };
}

/** The JobManager pod of one epoch: `jobmanager-<cluster>-<epoch>`, so creating it twice is a no-op. */
export function jobManagerPod(cluster: FlinkCluster, epoch: number): V1Pod {
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
  pod.metadata = { ...pod.metadata, name: `jobmanager-${cluster.metadata.name}-${epoch}` };
  return pod;
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
  return pod;
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
    ...(b.arguments ?? []).map((a) => `--argument=${a}`),
  ];
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
        rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [BOOTSTRAP_EXIT.permanent] } }],
      },
      template: {
        metadata: { labels, ...(b.annotations ? { annotations: { ...b.annotations } } : {}) },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: b.serviceAccount,
          containers: [
            {
              name: 'bootstrap',
              image: b.image,
              imagePullPolicy: b.pullPolicy,
              args,
              env: [...downwardEnv, ...(b.environment ?? [])],
              ...(b.environmentFrom ? { envFrom: [...b.environmentFrom] } : {}),
              ...(b.volumeMounts ? { volumeMounts: [...b.volumeMounts] } : {}),
              resources: toV1ResourceRequirements(b.resources),
              ...(b.securityContext ? { securityContext: b.securityContext } : {}),
            },
          ],
          ...(b.volumes ? { volumes: [...b.volumes] } : {}),
          ...(b.pullSecrets ? { imagePullSecrets: [{ name: b.pullSecrets }] } : {}),
          ...(b.podSecurityContext ? { securityContext: b.podSecurityContext } : {}),
          ...(b.nodeSelector ? { nodeSelector: { ...b.nodeSelector } } : {}),
          ...(b.tolerations ? { tolerations: [...b.tolerations] } : {}),
          ...(b.affinity ? { affinity: b.affinity } : {}),
          ...(b.priorityClassName ? { priorityClassName: b.priorityClassName } : {}),
        },
      },
    },
  };
}
