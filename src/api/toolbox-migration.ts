import {
  safeParseFlinkCluster,
  safeParseFlinkDeployment,
  safeParseFlinkJob,
  type ParseResult,
} from './parse.ts';
import {
  ANNOTATIONS,
  API_GROUP_VERSION,
  FLINK_CLUSTER,
  FLINK_DEPLOYMENT,
  FLINK_JOB,
  jobResourceName,
  parseRequestedAction,
  TOOLBOX_ANNOTATIONS,
} from './names.ts';

// `flinkvisor migrate`: manifests of the Flink Kubernetes Toolbox (nextbreakpoint.com/v1) as
// Flinkvisor manifests (flinkvisor.io/v1). The field names are mostly the toolbox's already; what
// this adds is everything a changed apiVersion alone gets wrong: defaults that differ (written out
// with the toolbox's value), renamed fields, the toolbox's own images and ServiceAccounts, its
// state in annotations and status, and a note on each field whose meaning changed or has no
// equivalent (docs/adr/0020-toolbox-migration.md). Pure: documents in, documents and notes out.

export const TOOLBOX_GROUP_VERSION = 'nextbreakpoint.com/v1';

export type MigrationNoteKind =
  /** The same setting under another name. */
  | 'renamed'
  /** Absent in the input; written with the value the toolbox used, which Flinkvisor's default is not. */
  | 'default'
  /** Given a value Flinkvisor needs (an image, a ServiceAccount, a cluster name). */
  | 'changed'
  /** Not carried over: no equivalent, or Flinkvisor keeps it itself. */
  | 'dropped'
  /** Carried over, but it behaves differently or needs a look. */
  | 'review'
  /** Not converted: the output would not be accepted. */
  | 'error';

export interface MigrationNote {
  /** `FlinkDeployment flink-jobs/demo`. */
  readonly resource: string;
  /** `spec.jobs[0].spec.jobParallelism`; empty for the whole resource. */
  readonly path: string;
  readonly kind: MigrationNoteKind;
  readonly message: string;
}

export interface MigrationOptions {
  /** Image of the supervisor (spec.cluster.supervisor.image): the Flinkvisor image. */
  readonly supervisorImage: string;
  /** Cluster of standalone FlinkJobs whose cluster cannot be told from their labels or the input. */
  readonly clusterName?: string;
}

export interface MigrationResult {
  /** Every input document in order: converted, passed through (other kinds), or left out. */
  readonly documents: readonly Record<string, unknown>[];
  readonly notes: readonly MigrationNote[];
  /** Whether any note is an error (that resource is not in `documents`). */
  readonly failed: boolean;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The toolbox's ServiceAccounts (its roles chart) and the ones the Flinkvisor chart creates instead. */
const SERVICE_ACCOUNT_RENAMES: Readonly<Record<string, string>> = {
  'flink-supervisor': 'flinkvisor-supervisor',
  'flink-bootstrap': 'flinkvisor-bootstrap',
};

/** Toolbox annotations that are its supervisor's state, not a request: Flinkvisor keeps that in status. */
const TOOLBOX_STATE_ANNOTATIONS = [
  'operator.nextbreakpoint.com/action-timestamp',
  'operator.nextbreakpoint.com/delete-resources',
  'operator.nextbreakpoint.com/should-restart',
];

/** metadata fields the API server owns: carried from a `kubectl get -o yaml` they would be refused or wrong. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

const POD_FIELDS = [
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
const TOOLBOX_FIELDS = {
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
const MAX_SUPERVISOR_REPLICAS = 5;
/** The toolbox clamped its polling interval to this range at run time (5..60 s). */
const TOOLBOX_POLLING_RANGE = [5, 60] as const;
/** The toolbox took a savepoint this often (s) when savepointInterval was absent. */
const TOOLBOX_SAVEPOINT_INTERVAL = 3600;

class Converter {
  readonly notes: MigrationNote[] = [];
  readonly options: MigrationOptions;
  #resource = '';

  constructor(options: MigrationOptions) {
    this.options = options;
  }

  forResource(kind: string, metadata: Obj): void {
    const ns = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
    this.#resource = `${kind} ${ns}${String(metadata['name'] ?? '')}`;
  }

  note(path: string, kind: MigrationNoteKind, message: string): void {
    this.notes.push({ resource: this.#resource, path, kind, message });
  }

  /** The known fields of `input`, each converted by `each` (or copied); unknown ones noted and dropped. */
  fields(
    input: unknown,
    known: readonly string[],
    path: string,
    each: (key: string, value: unknown, at: string) => unknown = (_k, v) => v,
  ): Obj {
    const out: Obj = {};
    if (!isObject(input)) return out;
    for (const [key, value] of Object.entries(input)) {
      const at = `${path}.${key}`;
      if (!known.includes(key)) {
        this.note(
          at,
          'dropped',
          'not a field of nextbreakpoint.com/v1 (its API server pruned it): no equivalent',
        );
        continue;
      }
      if (value === null || value === undefined) continue;
      const converted = each(key, value, at);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }

  metadata(input: unknown, path = 'metadata'): Obj {
    const metadata: Obj = isObject(input) ? { ...input } : {};
    for (const key of SERVER_METADATA) delete metadata[key];
    delete metadata['ownerReferences'];
    const finalizers = metadata['finalizers'];
    if (Array.isArray(finalizers) && finalizers.length > 0) {
      this.note(
        `${path}.finalizers`,
        'dropped',
        `the toolbox's finalizers (${finalizers.join(', ')}); Flinkvisor adds its own`,
      );
    }
    delete metadata['finalizers'];
    const annotations = isObject(metadata['annotations'])
      ? (metadata['annotations'] as Record<string, string>)
      : {};
    const kept: Record<string, string> = {};
    const pending = parseRequestedAction(annotations[TOOLBOX_ANNOTATIONS.requestedAction]);
    for (const [key, value] of Object.entries(annotations)) {
      const at = `${path}.annotations[${key}]`;
      if (key === 'kubectl.kubernetes.io/last-applied-configuration') {
        this.note(at, 'dropped', "kubectl's record of the toolbox manifest (its apiVersion is the old one)");
      } else if (TOOLBOX_STATE_ANNOTATIONS.includes(key)) {
        this.note(at, 'dropped', "the toolbox supervisor's state; Flinkvisor keeps its state in status");
      } else if (key === TOOLBOX_ANNOTATIONS.requestedAction) {
        if (pending === undefined) this.note(at, 'dropped', `no request pending (${value || 'empty'})`);
        else {
          kept[ANNOTATIONS.requestedAction] = value;
          this.note(
            at,
            'renamed',
            `${ANNOTATIONS.requestedAction} (the toolbox name is still taken as an alias)`,
          );
        }
      } else if (key === TOOLBOX_ANNOTATIONS.withoutSavepoint) {
        if (pending === undefined) {
          this.note(
            at,
            'dropped',
            'it belonged to an earlier request (sticky in the toolbox; in Flinkvisor it belongs to one request)',
          );
        } else {
          kept[ANNOTATIONS.withoutSavepoint] = value;
          this.note(at, 'renamed', ANNOTATIONS.withoutSavepoint);
        }
      } else kept[key] = value;
    }
    if (Object.keys(kept).length > 0) metadata['annotations'] = kept;
    else delete metadata['annotations'];
    return metadata;
  }

  serviceAccount(value: unknown, at: string, role: 'supervisor' | 'bootstrap'): unknown {
    const renamed = typeof value === 'string' ? SERVICE_ACCOUNT_RENAMES[value] : undefined;
    if (renamed !== undefined) {
      this.note(
        at,
        'changed',
        `${String(value)} (the toolbox's roles chart) is ${renamed}, which the Flinkvisor chart creates with the ${role}'s rights`,
      );
      return renamed;
    }
    if (role === 'supervisor')
      this.note(
        at,
        'review',
        `${String(value)} needs the rights the Flinkvisor chart gives flinkvisor-supervisor`,
      );
    return value;
  }

  securityContext(value: unknown, at: string): unknown {
    this.note(
      at,
      'review',
      'the toolbox accepted it but never applied it; Flinkvisor applies it to the container',
    );
    return value;
  }

  pod(input: unknown, path: string, known: readonly string[]): Obj {
    return this.fields(input, known, path, (key, value, at) =>
      key === 'securityContext' ? this.securityContext(value, at) : value,
    );
  }

  cluster(input: unknown, path: string): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.cluster, path, (key, value, at) => {
      switch (key) {
        case 'runtime':
          return this.runtime(value, at);
        case 'jobManager':
          return this.pod(value, at, TOOLBOX_FIELDS.jobManager);
        case 'taskManager':
          return this.pod(value, at, TOOLBOX_FIELDS.taskManager);
        case 'supervisor':
          return this.supervisor(value, at);
        default:
          return value;
      }
    });
    if (!isObject(out['supervisor'])) out['supervisor'] = this.supervisor({}, `${path}.supervisor`);
    return out;
  }

  runtime(input: unknown, path: string): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.runtime, path);
    const version = /:(\d+)\.(\d+)/.exec(String(out['image'] ?? ''));
    if (version && (Number(version[1]) < 1 || (Number(version[1]) === 1 && Number(version[2]) < 17))) {
      this.note(
        `${path}.image`,
        'review',
        `Flink ${version[1]}.${version[2]}: Flinkvisor supports Flink 1.17 and later (1.20 and 2.x are tested); the jobs and their configuration need that version too`,
      );
    }
    return out;
  }

  supervisor(input: unknown, path: string): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.supervisor, path, (key, value, at) => {
      switch (key) {
        case 'image':
          return undefined;
        case 'serviceAccount':
          return this.serviceAccount(value, at, 'supervisor');
        case 'securityContext':
          return this.securityContext(value, at);
        case 'replicas':
          if (typeof value === 'number' && value > MAX_SUPERVISOR_REPLICAS) {
            this.note(
              at,
              'changed',
              `${value} is ${MAX_SUPERVISOR_REPLICAS}: one supervisor leads, the others stand by`,
            );
            return MAX_SUPERVISOR_REPLICAS;
          }
          return value;
        case 'pollingInterval': {
          const [low, high] = TOOLBOX_POLLING_RANGE;
          if (typeof value === 'number' && (value < low || value > high)) {
            const clamped = Math.min(high, Math.max(low, value));
            this.note(
              at,
              'changed',
              `${value} is ${clamped}: the toolbox clamped it to ${low}..${high} s when it ran`,
            );
            return clamped;
          }
          return value;
        }
        default:
          return value;
      }
    });
    const was = isObject(input) ? input['image'] : undefined;
    this.note(
      `${path}.image`,
      'changed',
      `${this.options.supervisorImage}${typeof was === 'string' ? ` (was ${was}): the supervisor is the Flinkvisor image` : ': the supervisor is the Flinkvisor image'}`,
    );
    if (isObject(input) && input['serviceAccount'] === undefined) {
      this.note(
        `${path}.serviceAccount`,
        'review',
        "absent: the toolbox ran the supervisor as default; Flinkvisor's default is flinkvisor-supervisor, which its chart creates",
      );
    }
    return { image: this.options.supervisorImage, ...out };
  }

  job(input: unknown, path: string, resumeFrom: string | undefined): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.job, path, (key, value, at) => {
      switch (key) {
        case 'bootstrap':
          return this.bootstrap(value, at);
        case 'savepoint':
          return this.savepoint(value, at);
        case 'restart':
          return this.restart(value, at);
        default:
          return value;
      }
    });
    if (out['jobParallelism'] === undefined) {
      out['jobParallelism'] = 0;
      this.note(
        `${path}.jobParallelism`,
        'default',
        "0: absent meant 0 (suspended) in the toolbox; Flinkvisor's default is 1",
      );
    }
    const savepoint = isObject(out['savepoint']) ? out['savepoint'] : this.savepoint({}, `${path}.savepoint`);
    if (resumeFrom && savepoint['initialSavepointPath'] === undefined) {
      savepoint['initialSavepointPath'] = resumeFrom;
      this.note(
        `${path}.savepoint.initialSavepointPath`,
        'changed',
        `${resumeFrom}: the latest savepoint the toolbox recorded (status.savepointPath), so the job resumes from it`,
      );
    }
    out['savepoint'] = savepoint;
    if (!isObject(out['restart'])) out['restart'] = this.restart({}, `${path}.restart`);
    return out;
  }

  bootstrap(input: unknown, path: string): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.bootstrap, path, (key, value, at) => {
      switch (key) {
        case 'serviceAccount':
          return this.serviceAccount(value, at, 'bootstrap');
        case 'securityContext':
          return this.securityContext(value, at);
        case 'arguments':
          if (Array.isArray(value) && value.some((a) => typeof a === 'string' && /\s/.test(a))) {
            this.note(
              at,
              'review',
              'the toolbox joined the arguments with spaces, so Flink split the ones that hold a space; Flinkvisor passes each as one argument',
            );
          }
          return Array.isArray(value) ? value.map(String) : value;
        default:
          return value;
      }
    });
    if (typeof out['image'] === 'string') {
      this.note(
        `${path}.image`,
        'review',
        'rebuild this image FROM the Flinkvisor image instead of nextbreakpoint/flinkctl (it runs `flinkvisor bootstrap`); or set jarURI and use the Flinkvisor image itself',
      );
    }
    return out;
  }

  savepoint(input: unknown, path: string): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.savepoint, path, (key, value) =>
      key === 'savepointPath' && typeof value === 'string' ? value.replace(/^["']|["']$/g, '') : value,
    );
    if (out['savepointPath'] !== undefined) {
      out['initialSavepointPath'] = out['savepointPath'];
      delete out['savepointPath'];
      this.note(
        `${path}.savepointPath`,
        'renamed',
        'initialSavepointPath (restored on the first start only, as in the toolbox)',
      );
    }
    if (out['savepointMode'] === undefined) {
      out['savepointMode'] = 'Automatic';
      this.note(
        `${path}.savepointMode`,
        'default',
        "Automatic: the toolbox's supervisor failed on a job without one; its CRD documents Automatic",
      );
    }
    if (out['savepointInterval'] === undefined) {
      out['savepointInterval'] = TOOLBOX_SAVEPOINT_INTERVAL;
      this.note(
        `${path}.savepointInterval`,
        'default',
        `${TOOLBOX_SAVEPOINT_INTERVAL}: the toolbox's period when absent; Flinkvisor's default is 0 (none)`,
      );
    }
    return out;
  }

  restart(input: unknown, path: string): Obj {
    const out = this.fields(input, TOOLBOX_FIELDS.restart, path);
    if (out['restartPolicy'] === undefined) {
      out['restartPolicy'] = 'Never';
      this.note(
        `${path}.restartPolicy`,
        'default',
        "Never: the toolbox's supervisor failed on a job without one; its CRD documents Never",
      );
    } else if (out['restartPolicy'] === 'Always') {
      this.note(
        `${path}.restartPolicy`,
        'review',
        'Always no longer restarts a job a user stopped: a STOP is durable until START (docs/adr/0002-manual-stop-is-durable.md)',
      );
    }
    return out;
  }
}

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
