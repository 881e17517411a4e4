// The field-by-field conversion of one toolbox resource at a time, collecting a note for each
// field whose name, default or meaning changed (src/api/toolbox-migration.ts drives it).
import { ANNOTATIONS, parseRequestedAction, TOOLBOX_ANNOTATIONS } from './names.ts';
import {
  MAX_SUPERVISOR_REPLICAS,
  SERVER_METADATA,
  SERVICE_ACCOUNT_RENAMES,
  TOOLBOX_FIELDS,
  TOOLBOX_POLLING_RANGE,
  TOOLBOX_SAVEPOINT_INTERVAL,
  TOOLBOX_STATE_ANNOTATIONS,
} from './toolbox-fields.ts';

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

export type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export class Converter {
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
