import {
  safeParseFlinkCluster,
  safeParseFlinkDeployment,
  safeParseFlinkJob,
  type ParseResult,
} from './parse.ts';
import { API_GROUP_VERSION, FLINK_CLUSTER, FLINK_DEPLOYMENT, FLINK_JOB, jobResourceName } from './names.ts';

// `flinkvisor migrate`: manifests of the Flink Kubernetes Toolbox (nextbreakpoint.com/v1) as
// Flinkvisor manifests (flinkvisor.io/v1). The field names are mostly the toolbox's already; what
// this adds is everything a changed apiVersion alone gets wrong: defaults that differ (written out
// with the toolbox's value), renamed fields, the toolbox's own images and ServiceAccounts, its
// state in annotations and status, and a note on each field whose meaning changed or has no
// equivalent (docs/adr/0020-toolbox-migration.md). Pure: documents in, documents and notes out.

export const TOOLBOX_GROUP_VERSION = 'nextbreakpoint.com/v1';
export type {
  MigrationNote,
  MigrationNoteKind,
  MigrationOptions,
  MigrationResult,
} from './toolbox-converter.ts';
import {
  Converter,
  isObject,
  type MigrationNote,
  type MigrationOptions,
  type MigrationResult,
  type Obj,
} from './toolbox-converter.ts';

/** A toolbox resource of the input. */
interface ToolboxResource {
  readonly index: number;
  readonly kind: string;
  readonly doc: Obj;
  readonly name: string;
}

function flatten(documents: readonly unknown[]): unknown[] {
  return documents.flatMap((doc) =>
    isObject(doc) && doc['kind'] === 'List' && Array.isArray(doc['items']) ? flatten(doc['items']) : [doc],
  );
}

const nameOf = (doc: Obj): string => String((isObject(doc['metadata']) ? doc['metadata']['name'] : '') ?? '');
const namespaceOf = (doc: Obj): unknown =>
  isObject(doc['metadata']) ? doc['metadata']['namespace'] : undefined;
const labelsOf = (doc: Obj): Record<string, unknown> => {
  const metadata = isObject(doc['metadata']) ? doc['metadata'] : {};
  return isObject(metadata['labels']) ? metadata['labels'] : {};
};
const statusSavepoint = (doc: Obj | undefined): string | undefined => {
  const path = doc && isObject(doc['status']) ? doc['status']['savepointPath'] : undefined;
  return typeof path === 'string' && path !== '' ? path : undefined;
};

/**
 * The input's documents with every toolbox FlinkDeployment, FlinkCluster and FlinkJob converted.
 * `kind: List` (kubectl get -o yaml) is taken apart; other documents pass through unchanged. A
 * FlinkCluster or FlinkJob a FlinkDeployment of the input expands into is left out: the operator
 * creates it, and the savepoint in its status is carried into the deployment's job.
 */
export function migrateToolboxManifests(
  documents: readonly unknown[],
  options: MigrationOptions,
): MigrationResult {
  const converter = new Converter(options);
  const docs = flatten(documents).filter((d) => d !== null && d !== undefined);
  const toolbox: ToolboxResource[] = [];
  docs.forEach((doc, index) => {
    if (isObject(doc) && doc['apiVersion'] === TOOLBOX_GROUP_VERSION)
      toolbox.push({ index, kind: String(doc['kind']), doc, name: nameOf(doc) });
  });
  const sameNamespace = (a: Obj, b: Obj) => (namespaceOf(a) ?? '') === (namespaceOf(b) ?? '');
  const deployments = toolbox.filter((r) => r.kind === FLINK_DEPLOYMENT.kind);
  const deploymentJobs = (fd: ToolboxResource): string[] => {
    const spec = isObject(fd.doc['spec']) ? fd.doc['spec'] : {};
    const jobs = Array.isArray(spec['jobs']) ? spec['jobs'] : [];
    return jobs.map((j) => (isObject(j) ? String(j['name'] ?? '') : ''));
  };
  /** The FlinkDeployment of the input that expands into this FlinkCluster or FlinkJob, if any. */
  const parentOf = (r: ToolboxResource): ToolboxResource | undefined =>
    deployments.find(
      (fd) =>
        sameNamespace(fd.doc, r.doc) &&
        (r.kind === FLINK_CLUSTER.kind
          ? fd.name === r.name
          : deploymentJobs(fd).some((job) => jobResourceName(fd.name, job) === r.name)),
    );
  const childJob = (fd: ToolboxResource, job: string) =>
    toolbox.find(
      (r) =>
        r.kind === FLINK_JOB.kind && r.name === jobResourceName(fd.name, job) && sameNamespace(r.doc, fd.doc),
    );

  const out: Record<string, unknown>[] = [];
  let failed = false;
  const accept = <T>(result: ParseResult<T>, converted: Obj) => {
    if (result.ok) {
      out.push(converted);
      return;
    }
    failed = true;
    for (const issue of result.error.issues) {
      converter.note(
        issue.path,
        'error',
        `${issue.message}: not converted; fix it in the input and run again`,
      );
    }
  };

  docs.forEach((doc, index) => {
    const resource = toolbox.find((r) => r.index === index);
    if (!resource) {
      if (isObject(doc) && doc['kind'] === 'ConfigMap') flinkPropertiesNotes(converter, doc);
      out.push(doc as Record<string, unknown>);
      return;
    }
    converter.forResource(resource.kind, isObject(resource.doc['metadata']) ? resource.doc['metadata'] : {});
    const spec = resource.doc['spec'];
    if (isObject(resource.doc['status']))
      converter.note(
        'status',
        'dropped',
        'written by the supervisor and operator; Flinkvisor writes its own',
      );
    const base = {
      apiVersion: API_GROUP_VERSION,
      kind: resource.kind,
      metadata: converter.metadata(resource.doc['metadata']),
    };
    switch (resource.kind) {
      case FLINK_DEPLOYMENT.kind: {
        const s = isObject(spec) ? spec : {};
        const cluster = converter.cluster(s['cluster'], 'spec.cluster');
        const jobs = (Array.isArray(s['jobs']) ? s['jobs'] : []).map((j, i) => {
          const job = isObject(j) ? j : {};
          const name = String(job['name'] ?? '');
          return {
            name,
            spec: converter.job(
              job['spec'],
              `spec.jobs[${i}].spec`,
              statusSavepoint(childJob(resource, name)?.doc),
            ),
          };
        });
        const unknown = Object.keys(s).filter((k) => k !== 'cluster' && k !== 'jobs');
        for (const key of unknown)
          converter.note(`spec.${key}`, 'dropped', 'not a field of nextbreakpoint.com/v1: no equivalent');
        const converted = {
          ...base,
          spec: { cluster, jobs },
        };
        accept(safeParseFlinkDeployment(converted), converted);
        return;
      }
      case FLINK_CLUSTER.kind:
      case FLINK_JOB.kind: {
        const parent = parentOf(resource);
        if (parent) {
          converter.note(
            '',
            'dropped',
            `made by FlinkDeployment ${parent.name} of the input: the operator creates it from the converted deployment`,
          );
          return;
        }
        if (resource.kind === FLINK_CLUSTER.kind) {
          const converted = { ...base, spec: converter.cluster(spec, 'spec') };
          accept(safeParseFlinkCluster(converted), converted);
          return;
        }
        const clusterName = clusterOfJob(resource, toolbox, options.clusterName);
        const jobSpec = converter.job(spec, 'spec', statusSavepoint(resource.doc));
        if (clusterName === undefined) {
          failed = true;
          converter.note(
            'spec.clusterName',
            'error',
            'the toolbox bound a job to the cluster whose name prefixes it; none of the input does and there is no clusterName label: pass --cluster',
          );
          return;
        }
        converter.note(
          'spec.clusterName',
          'changed',
          `${clusterName}: Flinkvisor binds a job to its cluster by spec.clusterName, not by a name prefix`,
        );
        const converted = { ...base, spec: { clusterName, ...jobSpec } };
        accept(safeParseFlinkJob(converted), converted);
        return;
      }
      default:
        failed = true;
        converter.note(
          'kind',
          'error',
          `${resource.kind} is not a kind of ${TOOLBOX_GROUP_VERSION} (FlinkDeployment, FlinkCluster, FlinkJob)`,
        );
    }
  });
  return { documents: out, notes: converter.notes, failed };
}

/** Flink settings of the toolbox's examples that Flinkvisor, or the Flink versions it runs, treat differently. */
const FLINK_PROPERTY_NOTES: readonly { readonly key: RegExp; readonly message: string }[] = [
  {
    key: /^s3\.(access|secret)[-.]key$/,
    message:
      'a credential every reader of the ConfigMap sees: put it in a Secret and name it in spec.cluster.storage.s3.credentialsSecret',
  },
  { key: /^state\.backend$/, message: 'Flink 1.20 and 2.x read state.backend.type (hashmap, rocksdb)' },
  {
    key: /^metrics\.reporter\.[^.]+\.class$/,
    message: 'Flink 1.20 and 2.x load reporters by factory.class (e.g. PrometheusReporterFactory)',
  },
  {
    key: /^state\.(savepoints|checkpoints)\.dir$/,
    message:
      'spec.cluster.storage derives the checkpoint, savepoint and HA directories (and each savepointTargetPath)',
  },
];

/** Notes on the FLINK_PROPERTIES of a ConfigMap (the toolbox's examples pass Flink settings that way). */
function flinkPropertiesNotes(converter: Converter, configMap: Obj): void {
  const data = isObject(configMap['data']) ? configMap['data'] : {};
  const properties = data['FLINK_PROPERTIES'];
  if (typeof properties !== 'string') return;
  converter.forResource('ConfigMap', isObject(configMap['metadata']) ? configMap['metadata'] : {});
  for (const line of properties.split('\n')) {
    const key = /^\s*([^#:\s][^:\s]*)\s*:/.exec(line)?.[1];
    const hit = key === undefined ? undefined : FLINK_PROPERTY_NOTES.find((n) => n.key.test(key));
    if (key !== undefined && hit) converter.note(`data.FLINK_PROPERTIES[${key}]`, 'review', hit.message);
  }
}

/**
 * The cluster of a standalone toolbox FlinkJob: its clusterName label (the toolbox operator set it),
 * else the longest name of a FlinkCluster or FlinkDeployment of the input that prefixes the job's
 * name (`<cluster>-`, as the toolbox bound it), else the one given.
 */
function clusterOfJob(
  job: ToolboxResource,
  toolbox: readonly ToolboxResource[],
  given: string | undefined,
): string | undefined {
  const label = labelsOf(job.doc)['clusterName'];
  if (typeof label === 'string' && label !== '') return label;
  const prefixed = toolbox
    .filter(
      (r) =>
        (r.kind === FLINK_CLUSTER.kind || r.kind === FLINK_DEPLOYMENT.kind) &&
        job.name.startsWith(`${r.name}-`),
    )
    .map((r) => r.name)
    .sort((a, b) => b.length - a.length);
  return prefixed[0] ?? given;
}

/** One line per note, for a terminal: `FlinkDeployment demo: spec.x: renamed: ...`. */
export function formatMigrationNote(note: MigrationNote): string {
  return `${note.resource}: ${note.path ? `${note.path}: ` : ''}${note.kind}: ${note.message}`;
}
