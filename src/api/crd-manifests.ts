import { stringify } from 'yaml';
import type { z } from 'zod';
import { toStructuralSchema, type JsonSchemaProps } from './crd-schema.ts';
import { flinkClusterResource } from './flink-cluster.ts';
import { flinkDeploymentResource } from './flink-deployment.ts';
import { flinkJobResource } from './flink-job.ts';
import { flinkSavepointResource } from './flink-savepoint.ts';
import {
  API_GROUP,
  API_VERSION,
  crdName,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  FLINK_SAVEPOINT,
  MANAGED_BY,
  type KindNames,
} from './names.ts';

// The CustomResourceDefinitions, built from the zod schemas (ADR 0003). `flinkvisor crds
// generate` writes them to deploy/crds/; a unit test fails when the committed files drift.

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath: string;
}

/** apiextensions.k8s.io/v1 CustomResourceDefinition, as plain JSON (the shape written to YAML). */
export interface CustomResourceDefinitionManifest {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchemaProps };
      subresources: { status: Record<string, never>; scale?: ScaleSubresource };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

interface KindDefinition {
  names: KindNames;
  resource: z.ZodType;
  printerColumns: PrinterColumn[];
  scale?: ScaleSubresource;
}

const age: PrinterColumn = { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const resourceStatus: PrinterColumn = {
  name: 'RESOURCE-STATUS',
  type: 'string',
  jsonPath: '.status.resourceStatus',
  description: 'Updated when converged, Updating while work is in flight.',
};
const supervisorStatus: PrinterColumn = {
  name: 'SUPERVISOR-STATUS',
  type: 'string',
  jsonPath: '.status.supervisorStatus',
  description: 'State of the supervisor state machine.',
};
const clusterHealth: PrinterColumn = {
  name: 'CLUSTER-HEALTH',
  type: 'string',
  jsonPath: '.status.clusterHealth',
  description: 'Whether the JobManager answers.',
};

const paused: PrinterColumn = {
  name: 'PAUSED',
  type: 'boolean',
  jsonPath: '.status.paused',
  description: 'Reconciliation paused by the annotation flinkvisor.io/paused (ADR 0019).',
};

// Column names and order are the toolbox's, so scripts that read `kubectl get` output keep working;
// columns Flinkvisor adds come after AGE.
const KIND_DEFINITIONS: readonly KindDefinition[] = [
  {
    names: FLINK_DEPLOYMENT,
    resource: flinkDeploymentResource,
    printerColumns: [
      resourceStatus,
      age,
      paused,
      {
        name: 'READY',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].status',
        description: 'The Ready condition: True when the cluster runs and the children are as declared.',
      },
    ],
  },
  {
    names: FLINK_CLUSTER,
    resource: flinkClusterResource,
    printerColumns: [
      resourceStatus,
      supervisorStatus,
      clusterHealth,
      {
        name: 'TASK-MANAGERS',
        type: 'integer',
        jsonPath: '.status.taskManagers',
        description: 'TaskManagers wanted now.',
      },
      {
        name: 'REQUESTED-TASK-MANAGERS',
        type: 'integer',
        jsonPath: '.spec.taskManagers',
        description: 'TaskManagers requested in the spec.',
      },
      {
        name: 'TASK-MANAGERS-REPLICAS',
        type: 'integer',
        jsonPath: '.status.taskManagerReplicas',
        description: 'TaskManager pods that exist.',
      },
      {
        name: 'TOTAL-TASK-SLOTS',
        type: 'integer',
        jsonPath: '.status.totalTaskSlots',
        description: 'Task slots.',
      },
      {
        name: 'SERVICE-MODE',
        type: 'string',
        jsonPath: '.status.serviceMode',
        description: 'JobManager Service type.',
      },
      age,
      paused,
    ],
    scale: {
      specReplicasPath: '.spec.taskManagers',
      statusReplicasPath: '.status.taskManagers',
      labelSelectorPath: '.status.labelSelector',
    },
  },
  {
    names: FLINK_JOB,
    resource: flinkJobResource,
    printerColumns: [
      resourceStatus,
      supervisorStatus,
      {
        name: 'CLUSTER-NAME',
        type: 'string',
        jsonPath: '.spec.clusterName',
        description: 'Cluster running the job.',
      },
      clusterHealth,
      {
        name: 'JOB-STATUS',
        type: 'string',
        jsonPath: '.status.jobStatus',
        description: 'State Flink reports.',
      },
      { name: 'JOB-ID', type: 'string', jsonPath: '.status.jobId', description: 'Flink job id.' },
      {
        name: 'JOB-RESTART',
        type: 'string',
        jsonPath: '.status.restartPolicy',
        description: 'Restart policy in effect.',
      },
      {
        name: 'JOB-PARALLELISM',
        type: 'integer',
        jsonPath: '.status.jobParallelism',
        description: 'Parallelism in effect.',
      },
      {
        name: 'REQUESTED-JOB-PARALLELISM',
        type: 'integer',
        jsonPath: '.spec.jobParallelism',
        description: 'Parallelism requested in the spec.',
      },
      {
        name: 'SAVEPOINT-MODE',
        type: 'string',
        jsonPath: '.status.savepointMode',
        description: 'Savepoint mode in effect.',
      },
      {
        name: 'SAVEPOINT-PATH',
        type: 'string',
        jsonPath: '.status.savepointPath',
        description: 'Latest savepoint.',
      },
      {
        name: 'SAVEPOINT-AGE',
        type: 'date',
        jsonPath: '.status.savepointTimestamp',
        description: 'When the latest savepoint completed.',
      },
      age,
      paused,
      {
        name: 'RESTARTS',
        type: 'integer',
        jsonPath: '.status.restarts',
        description: "Flink's restart count of the job, as read at its latest failure.",
      },
    ],
    scale: {
      specReplicasPath: '.spec.jobParallelism',
      statusReplicasPath: '.status.jobParallelism',
      labelSelectorPath: '.status.labelSelector',
    },
  },
  {
    names: FLINK_SAVEPOINT,
    resource: flinkSavepointResource,
    printerColumns: [
      { name: 'JOB', type: 'string', jsonPath: '.spec.jobName', description: 'FlinkJob it belongs to.' },
      { name: 'KIND', type: 'string', jsonPath: '.spec.kind', description: 'Why it was taken.' },
      {
        name: 'STATE',
        type: 'string',
        jsonPath: '.status.state',
        description: 'Pending, Completed, Failed or Abandoned.',
      },
      {
        name: 'DISPOSAL',
        type: 'string',
        jsonPath: '.status.disposal.state',
        description: 'Disposal of the files in progress (Pending) or failing (Failed).',
      },
      { name: 'PATH', type: 'string', jsonPath: '.status.path', description: 'Location of the savepoint.' },
      {
        name: 'COMPLETED',
        type: 'date',
        jsonPath: '.status.completionTimestamp',
        description: 'When it completed.',
      },
      {
        name: 'TRIGGER-ID',
        type: 'string',
        jsonPath: '.status.triggerId',
        description: 'Flink trigger id.',
        priority: 1,
      },
      { name: 'FORMAT', type: 'string', jsonPath: '.spec.formatType', description: 'Format.', priority: 1 },
      age,
    ],
  },
];

/** The root of a CRD schema: apiVersion, kind and metadata in the form the API server expects. */
function rootSchema(resource: z.ZodType): JsonSchemaProps {
  const converted = toStructuralSchema(resource);
  const properties = converted.properties ?? {};
  return {
    ...converted,
    required: ['spec'],
    properties: {
      apiVersion: {
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
        type: 'string',
      },
      kind: {
        description:
          'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
        type: 'string',
      },
      // The API server allows nothing but type here (it owns the metadata schema).
      metadata: { type: 'object' },
      ...Object.fromEntries(
        Object.entries(properties).filter(([name]) => !['apiVersion', 'kind', 'metadata'].includes(name)),
      ),
    },
  };
}

export function buildCrd(definition: KindDefinition): CustomResourceDefinitionManifest {
  const { names } = definition;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(names), labels: { 'app.kubernetes.io/part-of': MANAGED_BY } },
    spec: {
      group: API_GROUP,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: ['flinkvisor'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: rootSchema(definition.resource) },
          subresources: definition.scale ? { status: {}, scale: definition.scale } : { status: {} },
          additionalPrinterColumns: definition.printerColumns,
        },
      ],
    },
  };
}

/** FlinkDeployment, FlinkCluster, FlinkJob, FlinkSavepoint. */
export function crdManifests(): CustomResourceDefinitionManifest[] {
  return KIND_DEFINITIONS.map(buildCrd);
}

/** `flinkvisor.io_flinkjobs.yaml`, the kubebuilder naming. */
export function crdFileName(manifest: CustomResourceDefinitionManifest): string {
  return `${manifest.spec.group}_${manifest.spec.names.plural}.yaml`;
}

export const GENERATED_HEADER =
  '# Generated from src/api by `flinkvisor crds generate`. Do not edit: change the zod schemas and regenerate.\n';

export function renderCrdYaml(manifest: CustomResourceDefinitionManifest): string {
  return GENERATED_HEADER + stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** File name → content of every generated file. */
export function renderCrdFiles(): Map<string, string> {
  return new Map(crdManifests().map((m) => [crdFileName(m), renderCrdYaml(m)]));
}
