import { z } from 'zod';
import {
  affinity,
  annotations,
  container,
  containerPort,
  envFromSource,
  envVar,
  labels,
  nodeSelector,
  podSecurityContext,
  resourceRequirements,
  securityContext,
  toleration,
  topologySpreadConstraint,
  volume,
  volumeMount,
} from './kubernetes-types.ts';
import { DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN } from './names.ts';

// Field builders shared by the three kinds. Every field carries its description here, so
// `kubectl explain` and the generated CRDs say the same thing wherever the field appears.

const MAX_LIST = 64;

export const objectName = z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN));
export const dnsLabel = (maxLength: number) =>
  z.string().min(1).max(maxLength).regex(new RegExp(DNS_LABEL_PATTERN));

export const image = (description: string) => z.string().min(1).max(1024).describe(description);

export const pullPolicy = z
  .enum(['Always', 'Never', 'IfNotPresent'])
  .default('IfNotPresent')
  .describe('When the kubelet pulls the image: Always, Never or IfNotPresent.');

export const pullSecrets = objectName
  .exactOptional()
  .describe('Name of a Secret (kubernetes.io/dockerconfigjson) used to pull the image (imagePullSecrets).');

export const serviceAccount = (defaultName: string, what: string) =>
  objectName.default(defaultName).describe(`ServiceAccount the ${what} pods run as.`);

/** Matches `file:/x`, `file:///x`, `s3://bucket/x`, `hdfs://nn/x`: a URI with a scheme. */
export const STATE_LOCATION_PATTERN = '^[a-zA-Z][a-zA-Z0-9+.-]*:/.*$';
export const stateLocation = (description: string) =>
  z.string().min(1).max(1024).regex(new RegExp(STATE_LOCATION_PATTERN)).describe(description);

export const seconds = (
  description: string,
  defaultValue: number,
  minimum: number,
  maximum = 2_147_483_647,
) => z.int().min(minimum).max(maximum).default(defaultValue).describe(`${description} In seconds.`);

const list = <T extends z.ZodType>(item: T, description: string) =>
  z.array(item).max(MAX_LIST).exactOptional().describe(description);

/** Where a pod is scheduled and with which identity and security settings. */
export const podPlacementFields = (what: string) => ({
  resources: resourceRequirements.exactOptional(),
  securityContext: securityContext.exactOptional(),
  podSecurityContext: podSecurityContext.exactOptional(),
  nodeSelector: nodeSelector.exactOptional(),
  tolerations: list(toleration, `Taints the ${what} pods tolerate.`),
  affinity: affinity.exactOptional(),
  priorityClassName: objectName.exactOptional().describe(`PriorityClass of the ${what} pods.`),
  labels: labels.exactOptional(),
  annotations: annotations.exactOptional(),
});

export const environmentFields = (what: string) => ({
  environment: list(envVar, `Environment variables of the ${what} container.`),
  environmentFrom: list(envFromSource, `ConfigMaps and Secrets whose keys become environment variables.`),
  volumes: list(volume, `Volumes of the ${what} pods.`),
  volumeMounts: list(volumeMount, `Volumes mounted into the ${what} container.`),
});

/** The JobManager and TaskManager pods have the same knobs (the toolbox names are kept). */
export const flinkPodFields = (what: string, defaultArgs: readonly string[]) => ({
  serviceAccount: serviceAccount('default', what),
  command: list(z.string().max(4096), `Entrypoint of the ${what} container; the image's when absent.`),
  args: z
    .array(z.string().max(4096))
    .max(MAX_LIST)
    .default([...defaultArgs])
    .describe(`Arguments of the ${what} container.`),
  ...environmentFields(what),
  extraPorts: list(containerPort, `Ports added to the standard ${what} ports.`),
  initContainers: list(container, `Init containers of the ${what} pods.`),
  sideContainers: list(container, `Extra containers running next to the ${what} container.`),
  topologySpreadConstraints: list(
    topologySpreadConstraint,
    `How the ${what} pods spread across nodes or zones.`,
  ),
  ...podPlacementFields(what),
});
