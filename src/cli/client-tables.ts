import { formatAge, formatCell, renderFields, renderTable, type Column } from './output.ts';

/**
 * Tables of the client commands, one per kind of control API answer. `now` is passed in (AGE
 * columns), so rendering is pure and testable.
 */

type Row = Record<string, unknown>;

const rows = (value: unknown): Row[] => (Array.isArray(value) ? (value as Row[]) : []);
const col = (header: string, key: string): Column<Row> => ({ header, value: (r) => r[key] });
const age = (now: number): Column<Row> => ({ header: 'AGE', value: (r) => formatAge(r['created'], now) });
/** Reconciliation paused by the annotation flinkvisor.io/paused (ADR 0019). */
const paused: Column<Row> = { header: 'PAUSED', value: (r) => r['paused'] === true };

export function deploymentsTable(value: unknown, now: number): string {
  return renderTable(
    [
      col('NAME', 'name'),
      col('RESOURCE-STATUS', 'resourceStatus'),
      col('JOBS', 'jobs'),
      age(now),
      paused,
      col('READY', 'ready'),
    ],
    rows(value),
  );
}

export function clustersTable(value: unknown, now: number): string {
  return renderTable(
    [
      col('NAME', 'name'),
      col('SUPERVISOR-STATUS', 'supervisorStatus'),
      col('RESOURCE-STATUS', 'resourceStatus'),
      col('CLUSTER-HEALTH', 'clusterHealth'),
      col('TASK-MANAGERS', 'taskManagers'),
      col('REQUESTED-TASK-MANAGERS', 'requestedTaskManagers'),
      col('TASK-MANAGERS-REPLICAS', 'taskManagerReplicas'),
      col('TOTAL-TASK-SLOTS', 'totalTaskSlots'),
      age(now),
      paused,
    ],
    rows(value),
  );
}

export function jobsTable(value: unknown, now: number): string {
  return renderTable(
    [
      col('NAME', 'name'),
      col('RESOURCE', 'resource'),
      col('SUPERVISOR-STATUS', 'supervisorStatus'),
      col('RESOURCE-STATUS', 'resourceStatus'),
      col('CLUSTER-HEALTH', 'clusterHealth'),
      col('JOB-STATUS', 'jobStatus'),
      col('JOB-ID', 'jobId'),
      col('JOB-PARALLELISM', 'jobParallelism'),
      col('REQUESTED-JOB-PARALLELISM', 'requestedParallelism'),
      col('SAVEPOINT-PATH', 'savepointPath'),
      { header: 'SAVEPOINT-AGE', value: (r) => formatAge(r['savepointTimestamp'], now) },
      age(now),
      paused,
      col('RESTARTS', 'restarts'),
    ],
    rows(value),
  );
}

/** A status: its fields, then its conditions as a table of their own. */
export function statusTable(value: unknown): string {
  const status = (value ?? {}) as Row;
  const fields = renderFields(status, ['conditions', 'digest']);
  const conditions = rows(status['conditions']);
  if (conditions.length === 0) return fields;
  return `${fields}\n${renderTable(
    [col('CONDITION', 'type'), col('STATUS', 'status'), col('REASON', 'reason'), col('MESSAGE', 'message')],
    conditions,
  )}`;
}

/**
 * Flink's job details: the job, then its vertices, then the FlinkJob's status.lastFailure (Flink's
 * root exception and restart count) when the status has one.
 */
export function jobDetailsTable(value: unknown, status?: unknown): string {
  const details = (value ?? {}) as Row;
  const head = renderFields(
    Object.fromEntries(
      ['jid', 'name', 'state', 'job-type', 'start-time', 'end-time', 'duration', 'maxParallelism'].flatMap(
        (k) => (details[k] === undefined ? [] : [[k, details[k]]]),
      ),
    ),
  );
  return `${head}\n${renderTable(
    [
      col('VERTEX', 'name'),
      col('PARALLELISM', 'parallelism'),
      col('STATUS', 'status'),
      col('DURATION', 'duration'),
    ],
    rows(details['vertices']),
  )}${lastFailureBlock(status)}`;
}

function lastFailureBlock(status: unknown): string {
  const failure = ((status ?? {}) as Row)['lastFailure'];
  if (failure === null || typeof failure !== 'object') return '';
  const f = failure as Row;
  return `\n${renderTable<[string, unknown]>(
    [
      { header: 'LAST-FAILURE', value: ([k]) => k },
      { header: 'VALUE', value: ([, v]) => v },
    ],
    [
      ['time', f['time']],
      ['jobId', f['jobId']],
      ['restarts', f['restarts']],
      ['exception', f['exception']],
    ],
  )}`;
}

/** Stats (JobStats, JobManagerStats, TaskManagerStats): fields, then garbage collectors. */
export function statsTable(value: unknown): string {
  const stats = (value ?? {}) as Row;
  const fields = renderFields(stats, ['jvmGarbageCollectors']);
  const collectors = Object.entries((stats['jvmGarbageCollectors'] ?? {}) as Record<string, Row>);
  if (collectors.length === 0) return fields;
  return `${fields}\n${renderTable(
    [
      { header: 'GARBAGE-COLLECTOR', value: ([name]) => name },
      { header: 'COUNT', value: ([, v]) => v['count'] },
      { header: 'TIME-MS', value: ([, v]) => v['time'] },
    ],
    collectors,
  )}`;
}

export function taskManagersTable(value: unknown): string {
  const mib = (bytes: unknown) =>
    typeof bytes === 'number' ? `${Math.round(bytes / 1024 / 1024)}Mi` : bytes;
  return renderTable(
    [
      col('ID', 'id'),
      col('SLOTS', 'slotsNumber'),
      col('FREE-SLOTS', 'freeSlots'),
      { header: 'CPU-CORES', value: (r) => (r['hardware'] as Row | undefined)?.['cpuCores'] },
      {
        header: 'PHYSICAL-MEMORY',
        value: (r) => mib((r['hardware'] as Row | undefined)?.['physicalMemory']),
      },
      { header: 'HEARTBEAT-AGE-MS', value: (r) => r['timeSinceLastHeartbeat'] },
    ],
    rows(value),
  );
}

/** An object as FIELD/VALUE (TaskManager details and other answers without a table of their own). */
export function fieldsTable(value: unknown): string {
  return renderFields((value ?? {}) as Row, ['allocatedSlots', 'metrics']);
}

/** One line for a write: `flinkcluster/demo created`. */
export function writeLine(value: unknown, verb: string): string {
  const ref = (value ?? {}) as Row;
  return `${formatCell(ref['kind']).toLowerCase()}/${formatCell(ref['name'])} ${verb}\n`;
}

/** One line for an accepted action: `flinkjob/demo-a: STOP requested (without savepoint)`. */
export function actionLine(value: unknown): string {
  const a = (value ?? {}) as Row;
  const without = a['withoutSavepoint'] === true ? ' (without savepoint)' : '';
  return `${formatCell(a['kind']).toLowerCase()}/${formatCell(a['name'])}: ${formatCell(a['action'])} requested${without}\n`;
}

/** One line for a pause or resume: `flinkjob/demo-a paused`, `… already paused`. */
export function pauseLine(value: unknown): string {
  const p = (value ?? {}) as Row;
  const state = p['paused'] === true ? 'paused' : 'resumed';
  const already = p['changed'] === false ? (p['paused'] === true ? 'already paused' : 'not paused') : state;
  return `${formatCell(p['kind']).toLowerCase()}/${formatCell(p['name'])} ${already}\n`;
}
