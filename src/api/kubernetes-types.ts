import type {
  V1Affinity,
  V1Container,
  V1EnvVarSource,
  V1LabelSelector,
  V1PodSecurityContext,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Volume,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { withRules } from './cel-rules.ts';
import { DNS_SUBDOMAIN_PATTERN, RESERVED_KEY_PREFIX } from './names.ts';

// Kubernetes core types embedded in our specs (ADR 0003).
//
// Small types (EnvVar, EnvFromSource, ContainerPort, VolumeMount, ResourceRequirements, Toleration,
// TopologySpreadConstraint, LocalObjectReference) get a full schema: they are short, users get
// their mistakes reported at admission, and `kubectl explain` shows them.
//
// Large types (Container, Volume, Affinity, SecurityContext, PodSecurityContext, EnvVarSource,
// LabelSelector) are objects with `x-kubernetes-preserve-unknown-fields: true`: a full Container or
// Volume schema is thousands of lines per use and would have to follow every Kubernetes release,
// while the API server validates the pods we build from them anyway (the supervisor reports that
// failure as a condition and an Event). The fields users get wrong most (names, the common
// security settings) are still declared, so they are checked at admission. Their TypeScript types
// are the @kubernetes/client-node models, which is what the supervisor hands to the pod builder.

/** An object schema that keeps unknown fields, typed as the client-node model `T`. */
function openObject<T>(description: string, known: z.ZodRawShape = {}): z.ZodType<T> {
  return z
    .looseObject(known)
    .meta({ description, 'x-kubernetes-preserve-unknown-fields': true }) as unknown as z.ZodType<T>;
}

export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTP]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const quantityRegex = new RegExp(QUANTITY_PATTERN);

/** A resource quantity (`2`, `500m`, `1Gi`): an integer or a string, like Kubernetes' own. */
export const quantity = z
  .union([z.int(), z.string()])
  .refine((v) => typeof v === 'number' || quantityRegex.test(v), {
    message: 'must be a Kubernetes quantity such as 500m, 2 or 1Gi',
  })
  .meta({
    'x-kubernetes-int-or-string': true,
    pattern: QUANTITY_PATTERN,
    description: 'A Kubernetes quantity: 2, 0.5, 500m, 256Mi, 1Gi.',
  });
export type Quantity = z.infer<typeof quantity>;

const resourceName = z.string().min(1).max(253);

export const resourceRequirements = z
  .object({
    limits: z
      .record(resourceName, quantity)
      .exactOptional()
      .describe('Maximum amount of compute resources allowed, by resource name (cpu, memory, ...).'),
    requests: z
      .record(resourceName, quantity)
      .exactOptional()
      .describe('Minimum amount of compute resources required, by resource name (cpu, memory, ...).'),
  })
  .describe('Compute resources of the container (core/v1 ResourceRequirements: limits and requests).');
export type ResourceRequirements = z.infer<typeof resourceRequirements>;

/** The client-node shape (quantities as strings), for a pod spec built from our resources. */
export function toV1ResourceRequirements(resources: ResourceRequirements): V1ResourceRequirements {
  const asStrings = (m: Record<string, Quantity> | undefined) =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  const limits = asStrings(resources.limits);
  const requests = asStrings(resources.requests);
  return { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
}

const objectName = z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN));

export const localObjectReference = z
  .object({ name: objectName.describe('Name of the referenced object in the same namespace.') })
  .describe('A reference to an object in the same namespace (core/v1 LocalObjectReference).');

export const envVarSource = openObject<V1EnvVarSource>(
  'Source of the variable value (core/v1 EnvVarSource: configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef). Validated by the API server when the pod is created.',
);

export const envVar = z
  .object({
    name: z.string().min(1).max(4096).describe('Name of the environment variable.'),
    value: z
      .string()
      .max(131072)
      .exactOptional()
      .describe('Value of the variable. Mutually exclusive with valueFrom.'),
    valueFrom: envVarSource.exactOptional(),
  })
  .describe('An environment variable of the container (core/v1 EnvVar).');
export type EnvVar = z.infer<typeof envVar>;

const optionalReference = (what: string) =>
  z
    .object({
      name: objectName.describe(`Name of the ${what}.`),
      optional: z.boolean().exactOptional().describe(`Whether the ${what} may be missing.`),
    })
    .describe(`Takes every key of a ${what} as an environment variable.`);

export const envFromSource = z
  .object({
    configMapRef: optionalReference('ConfigMap').exactOptional(),
    secretRef: optionalReference('Secret').exactOptional(),
    prefix: z.string().max(253).exactOptional().describe('Prefix added to every variable name.'),
  })
  .describe('A set of environment variables from a ConfigMap or Secret (core/v1 EnvFromSource).');
export type EnvFromSource = z.infer<typeof envFromSource>;

export const containerPort = z
  .object({
    name: z
      .string()
      .min(1)
      .max(15)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .exactOptional()
      .describe('IANA service name of the port (at most 15 characters), unique in the pod.'),
    containerPort: z.int().min(1).max(65535).describe('Port number on the pod IP address.'),
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP').describe('Protocol of the port.'),
    hostPort: z.int().min(1).max(65535).exactOptional().describe('Port number on the host, rarely needed.'),
    hostIP: z.string().max(64).exactOptional().describe('Host IP to bind the host port to.'),
  })
  .describe('A port exposed by the container (core/v1 ContainerPort).');
export type ContainerPort = z.infer<typeof containerPort>;

export const volumeMount = z
  .object({
    name: z.string().min(1).max(63).describe('Name of the volume (one of volumes[].name).'),
    mountPath: z.string().min(1).max(4096).describe('Path in the container where the volume is mounted.'),
    subPath: z
      .string()
      .max(4096)
      .exactOptional()
      .describe('Path inside the volume to mount instead of its root.'),
    subPathExpr: z
      .string()
      .max(4096)
      .exactOptional()
      .describe('Like subPath, with $(VAR) references expanded from the environment.'),
    readOnly: z.boolean().exactOptional().describe('Mount read-only.'),
    mountPropagation: z
      .enum(['None', 'HostToContainer', 'Bidirectional'])
      .exactOptional()
      .describe('How mounts are propagated between host and container.'),
    recursiveReadOnly: z
      .enum(['Disabled', 'IfPossible', 'Enabled'])
      .exactOptional()
      .describe('Whether a read-only mount is read-only recursively.'),
  })
  .describe('A volume mounted into the container (core/v1 VolumeMount).');
export type VolumeMount = z.infer<typeof volumeMount>;

export const volume = openObject<V1Volume>(
  'A volume of the pod (core/v1 Volume): a name and one volume source such as configMap, secret, emptyDir or persistentVolumeClaim. Validated by the API server when the pod is created.',
  { name: z.string().min(1).max(63).describe('Name of the volume, referenced by volumeMounts[].name.') },
);

export const container = openObject<V1Container>(
  'An extra container (core/v1 Container). Validated by the API server when the pod is created.',
  {
    name: z.string().min(1).max(63).describe('Name of the container, unique in the pod.'),
    image: z.string().max(1024).exactOptional().describe('Image of the container.'),
  },
);

const capabilities = z
  .looseObject({
    add: z.array(z.string().max(64)).max(64).exactOptional().describe('Capabilities to add.'),
    drop: z
      .array(z.string().max(64))
      .max(64)
      .exactOptional()
      .describe('Capabilities to drop (ALL drops all).'),
  })
  .meta({
    description: 'Linux capabilities added to or dropped from the container.',
    'x-kubernetes-preserve-unknown-fields': true,
  });

const seccompProfile = z
  .looseObject({
    type: z.enum(['RuntimeDefault', 'Unconfined', 'Localhost']).describe('Kind of seccomp profile.'),
    localhostProfile: z.string().max(4096).exactOptional().describe('Profile file when type is Localhost.'),
  })
  .meta({ description: 'Seccomp profile.', 'x-kubernetes-preserve-unknown-fields': true });

const runAsId = (what: string) => z.int().min(0).max(2147483647).exactOptional().describe(what);

export const securityContext = openObject<V1SecurityContext>(
  'Security options of the container (core/v1 SecurityContext), applied by the supervisor. The common fields are checked at admission, the others by the API server when the pod is created.',
  {
    runAsUser: runAsId('UID the container process runs as.'),
    runAsGroup: runAsId('GID the container process runs as.'),
    runAsNonRoot: z.boolean().exactOptional().describe('Refuse to start the container as root.'),
    readOnlyRootFilesystem: z.boolean().exactOptional().describe('Mount the root filesystem read-only.'),
    allowPrivilegeEscalation: z
      .boolean()
      .exactOptional()
      .describe('Whether a process can gain more privileges than its parent.'),
    privileged: z.boolean().exactOptional().describe('Run the container privileged (avoid).'),
    capabilities: capabilities.exactOptional(),
    seccompProfile: seccompProfile.exactOptional(),
  },
);

export const podSecurityContext = openObject<V1PodSecurityContext>(
  'Security options of the pod (core/v1 PodSecurityContext), applied by the supervisor. The common fields are checked at admission, the others by the API server when the pod is created.',
  {
    runAsUser: runAsId('UID of every container process, unless a container overrides it.'),
    runAsGroup: runAsId('GID of every container process, unless a container overrides it.'),
    runAsNonRoot: z.boolean().exactOptional().describe('Refuse to start containers as root.'),
    fsGroup: runAsId('Group that owns mounted volumes and is added to every process.'),
    fsGroupChangePolicy: z
      .enum(['OnRootMismatch', 'Always'])
      .exactOptional()
      .describe('When volume ownership is changed to fsGroup.'),
    supplementalGroups: z
      .array(z.int().min(0))
      .max(64)
      .exactOptional()
      .describe('Groups added to the first process of every container.'),
    seccompProfile: seccompProfile.exactOptional(),
  },
);

export const affinity = openObject<V1Affinity>(
  'Scheduling constraints (core/v1 Affinity: nodeAffinity, podAffinity, podAntiAffinity). Validated by the API server when the pod is created.',
);

export const labelSelector = openObject<V1LabelSelector>(
  'A label selector (meta/v1 LabelSelector: matchLabels, matchExpressions).',
);

export const toleration = z
  .object({
    key: z
      .string()
      .max(316)
      .exactOptional()
      .describe('Taint key the toleration applies to; empty with operator Exists matches every taint.'),
    operator: z
      .enum(['Exists', 'Equal', 'Lt', 'Gt'])
      .exactOptional()
      .describe('Relation between key and value; Equal when absent.'),
    value: z.string().max(63).exactOptional().describe('Taint value the toleration matches.'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .exactOptional()
      .describe('Taint effect to match; all effects when absent.'),
    tolerationSeconds: z
      .int()
      .exactOptional()
      .describe('How long a NoExecute taint is tolerated before eviction; forever when absent.'),
  })
  .describe('A taint the pod tolerates (core/v1 Toleration).');
export type Toleration = z.infer<typeof toleration>;

export const topologySpreadConstraint = z
  .object({
    maxSkew: z.int().min(1).describe('Maximum difference in matching pods between two topology domains.'),
    topologyKey: z.string().min(1).max(316).describe('Node label key that defines a topology domain.'),
    whenUnsatisfiable: z
      .enum(['DoNotSchedule', 'ScheduleAnyway'])
      .describe('What the scheduler does when the constraint cannot be met.'),
    labelSelector: labelSelector.exactOptional(),
    minDomains: z.int().min(1).exactOptional().describe('Minimum number of eligible domains.'),
    matchLabelKeys: z
      .array(z.string().max(316))
      .max(32)
      .exactOptional()
      .describe('Pod label keys whose values are added to the selector.'),
    nodeAffinityPolicy: z
      .enum(['Honor', 'Ignore'])
      .exactOptional()
      .describe('Whether node affinity is honored when counting.'),
    nodeTaintsPolicy: z
      .enum(['Honor', 'Ignore'])
      .exactOptional()
      .describe('Whether node taints are honored when counting.'),
  })
  .describe('How pods spread across topology domains (core/v1 TopologySpreadConstraint).');
export type TopologySpreadConstraint = z.infer<typeof topologySpreadConstraint>;

/** A label value: at most 63 characters, alphanumeric at both ends. */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

const noReservedKeys = <T extends Record<string, string>>(what: string) =>
  ({
    rule: `self.all(k, !k.startsWith('${RESERVED_KEY_PREFIX}'))`,
    message: `${what} keys starting with ${RESERVED_KEY_PREFIX} are reserved for Flinkvisor`,
    check: (value: T) => Object.keys(value).every((k) => !k.startsWith(RESERVED_KEY_PREFIX)),
  }) as const;

const mapKey = z.string().min(1).max(316);
const MAX_MAP_ENTRIES = 64;

/** A string map of at most 64 entries (checked by parse() too, not only by the API server). */
function boundedRecord<V extends z.ZodType<string>>(value: V) {
  return z
    .record(mapKey, value)
    .refine((r) => Object.keys(r).length <= MAX_MAP_ENTRIES, {
      message: `must have at most ${MAX_MAP_ENTRIES} entries`,
    })
    .meta({ maxProperties: MAX_MAP_ENTRIES });
}

export const labels = withRules(
  boundedRecord(z.string().max(63).regex(new RegExp(LABEL_VALUE_PATTERN))).describe(
    `Extra labels of the pods (keys under ${RESERVED_KEY_PREFIX} are reserved: Flinkvisor selects pods by them).`,
  ),
  [noReservedKeys('label')],
);

export const annotations = withRules(
  boundedRecord(z.string().max(262144)).describe(
    `Extra annotations of the pods (keys under ${RESERVED_KEY_PREFIX} are reserved).`,
  ),
  [noReservedKeys('annotation')],
);

export const nodeSelector = boundedRecord(z.string().max(63)).describe(
  'Node labels the pods must match to be scheduled (pod spec nodeSelector).',
);
