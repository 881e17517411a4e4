// The FlinkSavepoint records of a cluster's jobs (ADR 0015). After each job's machine has seen the
// pass's observation, `sync` makes the job's FlinkSavepoint objects agree with its context: a
// trigger in flight has a Pending object, a trigger no longer in flight gets its outcome, and the
// retention plan (savepoint-retention.ts) disposes of what the job's policy no longer keeps.
//
// Disposal goes through the JobManager (POST /savepoint-disposal): it deletes the files with the
// cluster's own storage credentials, which the supervisor does not hold. The object is deleted only
// once Flink reports the files gone; while no JobManager answers, or after a failure, the object
// says so (status.disposal, an Event) and the disposal is retried. Every write carries the
// resourceVersion it was computed from; nothing is written when the objects already agree.

import type { FlinkJob } from '../api/flink-job.ts';
import { savepointsOfJob } from '../api/flink-savepoint.ts';
import {
  ANNOTATIONS,
  hasRequestAnnotation,
  FLINK_JOB,
  FLINK_SAVEPOINT,
  LABELS,
  MANAGED_BY,
  savepointResourceName,
  savepointSearchJobName,
} from '../api/names.ts';
import { ownerReference } from '../api/owner-references.ts';
import type { Clock } from '../kube/clock.ts';
import type { CustomObject, CustomResourceClient } from '../kube/custom-resource-client.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import type { JobContext } from '../machines/job-machine.ts';
import {
  agrees,
  pendingStatus,
  recordOf,
  resolvedStatus,
  pendingSearchOf,
  savepointObject,
  savepointsInFlight,
  searchedStatus,
  type SearchPlace,
  stateOf,
  type SavepointInFlight,
  triggerIdOf,
  type FlinkVerdict,
} from './savepoint-records.ts';
import { SavepointRecordWrites } from './savepoint-record-writes.ts';
import type { SavepointFlink } from './savepoint-flink.ts';
import { nextRequestStep, type RequestStep } from './savepoint-requests.ts';
import { disposalRetryDelayMs, planRetention } from './savepoint-retention.ts';
import {
  SEARCH_CLOCK_MARGIN_MS,
  searchable,
  type SearchObservation,
  type SearchRequest,
} from './savepoint-search.ts';
import type { SupervisorOptions } from './supervisor-options.ts';

export interface SavepointHistoryOptions {
  readonly namespace: string;
  readonly clusterName: string;
  readonly clock: Clock;
  readonly resources: CustomResourceClient;
  readonly events: EventRecorder;
  readonly flink: SavepointFlink;
  /** The cluster's FlinkSavepoint objects as watched. */
  readonly savepoints: () => readonly CustomObject[];
  readonly written: () => void;
  readonly log: (message: string, fields: Record<string, unknown>) => void;
}

export interface JobSavepoints {
  readonly job: FlinkJob;
  readonly context: Pick<
    JobContext,
    | 'savepoint'
    | 'stop'
    | 'jobId'
    | 'savepointPath'
    | 'savepointAt'
    | 'savepointTriggerId'
    | 'lastAction'
    | 'pendingAction'
  >;
  /** Whether the JobManager answered this pass: disposal waits for it. */
  readonly flinkReachable: boolean;
  /**
   * The job's savepoint target directory and the Jobs that look for a forgotten savepoint's files
   * there (ADR 0023); without them such a savepoint is Abandoned.
   */
  readonly searches?: SavepointSearches;
}

/** The search Jobs of one job (savepoint-search.ts), as the supervisor runs them. */
export interface SavepointSearches {
  /** Where the job's savepoints go: searched only on S3. */
  readonly directory: string | null;
  /** `since`: the search's, so that a Job of an earlier search of the record is told apart. */
  observe(jobName: string, since?: string): SearchObservation;
  start(request: SearchRequest): Promise<void>;
  /** Removes a search Job whose outcome is recorded (its TTL would, later). */
  finish(jobName: string): Promise<void>;
}

/** Flink says this when the files of a savepoint are not there (any more). */
const FILES_GONE = /Cannot find meta data file|FileNotFoundException|NoSuchFileException|does not exist/i;
const WAITING_MESSAGE =
  'waiting for a JobManager: it disposes the files with the storage credentials of the cluster';

type Disposal = {
  state?: string;
  reason?: string;
  triggerId?: string;
  attempts?: number;
  message?: string;
  lastAttemptTimestamp?: string;
};

export class SavepointHistory {
  readonly #o: SavepointHistoryOptions;
  #lastFailure: string | undefined;
  /** The records as this history last wrote them, until the watch cache shows them (K14). */
  readonly #writes: SavepointRecordWrites;

  constructor(options: SavepointHistoryOptions) {
    this.#o = options;
    this.#writes = new SavepointRecordWrites(options);
  }

  /**
   * Whether the files of one of the job's savepoints are being looked for (ADR 0023), as this
   * history knows it: its own writes count before the watch cache shows them. Read from the cache
   * alone, a search recorded in this very pass was not there yet, and the FlinkJob was released
   * with its stop savepoint's record unresolved (the simulator's finding K14, seed 1000669).
   */
  searching(jobName: string): boolean {
    return savepointsOfJob(this.#o.savepoints(), jobName).some(
      (cached) => pendingSearchOf(this.#writes.latest(cached)) !== undefined,
    );
  }

  /**
   * Whether a record of the job still waits for its outcome (Pending, its files looked for or not),
   * as stored: read from the API server, since a record written while the watch lagged (re-listing
   * after an API server restart) is not in the cache yet, and the FlinkJob was released with it
   * Pending (K17, seeds 1003611, 1004740). A request no trigger was taken for yet (no trigger id)
   * does not count. When the API server cannot be asked, the answer is yes: asked again next pass.
   */
  async awaitsOutcome(jobName: string): Promise<boolean> {
    try {
      const stored = await this.#o.resources.list(FLINK_SAVEPOINT, this.#o.namespace);
      return savepointsOfJob(stored.items, jobName).some(
        (o) => triggerIdOf(o) !== undefined && (stateOf(o) ?? 'Pending') === 'Pending',
      );
    } catch (err) {
      this.#o.log('savepoint records not read', { job: jobName, err: String(err) });
      return true;
    }
  }

  /** Makes the job's FlinkSavepoints agree with its machine; never throws (the next pass repeats it). */
  async sync(input: JobSavepoints): Promise<void> {
    try {
      await this.#sync(input);
      this.#lastFailure = undefined;
    } catch (err) {
      // Said once per distinct failure (a missing CRD would otherwise be said every pass).
      if (String(err) === this.#lastFailure) return;
      this.#lastFailure = String(err);
      this.#o.log('savepoint history not synced', { job: input.job.metadata.name, err: String(err) });
    }
  }

  async #sync({ job, context, flinkReachable, searches }: JobSavepoints): Promise<void> {
    const jobName = job.metadata.name ?? '';
    const now = this.#o.clock.now();
    const objects = new Map(
      savepointsOfJob(this.#o.savepoints(), jobName).map((o) => [o.metadata.name ?? '', o] as const),
    );
    const annotationFree = !hasRequestAnnotation(job.metadata.annotations);
    const step = nextRequestStep(jobName, [...objects.values()], context, annotationFree);
    await this.#takeRequestStep(job, step, objects, now);

    const flights = savepointsInFlight(context);
    await this.#recordFlights(job, flights, objects, now);

    const inFlight = new Set(flights.map((f) => f.triggerId));
    const claimed = new Set(
      [...objects.values()].filter((o) => stateOf(o) === 'Completed').map((o) => String(o.status?.['path'])),
    );
    for (const [name, object] of objects) {
      const triggerId = triggerIdOf(object);
      const state = stateOf(object);
      if (!triggerId || inFlight.has(triggerId) || (state !== undefined && state !== 'Pending')) continue;
      const place = pendingSearchOf(object);
      if (place) {
        if (searches) await this.#followSearch(object, place, claimed, objects, searches);
        continue;
      }
      const jobId = object.status?.['jobId'];
      const verdict: FlinkVerdict = !(typeof jobId === 'string' && jobId)
        ? { state: 'UNKNOWN' }
        : flinkReachable
          ? await this.#o.flink.savepointStatus(jobId, triggerId)
          : { state: 'UNREACHABLE' };
      const completedAt = new Date(context.savepointAt ?? now).toISOString();
      const requested = object.status?.['requestTimestamp'];
      const requestedAt = typeof requested === 'string' ? Date.parse(requested) : undefined;
      const latest = { path: context.savepointPath, triggerId: context.savepointTriggerId };
      const searchIn =
        searches &&
        searchable(searches.directory) &&
        typeof jobId === 'string' &&
        jobId &&
        requestedAt !== undefined &&
        Number.isFinite(requestedAt)
          ? {
              directory: searches.directory,
              jobId,
              since: new Date(requestedAt - SEARCH_CLOCK_MARGIN_MS).toISOString(),
            }
          : undefined;
      const status = resolvedStatus(verdict, triggerId, latest, completedAt, searchIn);
      if (!status) continue;
      const updated = await this.#writes.patchStatus(object, {
        ...(state === undefined ? { triggerId, requestTimestamp: completedAt } : {}),
        ...status,
      });
      if (!updated) continue;
      objects.set(name, updated);
      if (status['state'] === 'Completed') {
        claimed.add(String(status['path']));
        this.#o.log('savepoint recorded', { job: jobName, name, path: status['path'] });
      }
    }

    for (const [name, object] of objects) {
      const released = await this.#releaseIfTakenOnDeletion(object);
      if (released) objects.set(name, released);
    }

    const history = job.spec.savepoint.history;
    const plan = planRetention([...objects.values()].map(recordOf), history, context.savepointPath, now);
    for (const { name, reason } of plan.forget) {
      await this.#writes.delete(name);
      this.#o.log('savepoint record forgotten', { job: jobName, name, reason });
    }
    for (const { name, message } of plan.refused) {
      const object = objects.get(name);
      if (!object) continue;
      const disposal: Disposal = { state: 'Failed', reason: 'requested', message };
      if (agrees(object.status?.['disposal'] as Record<string, unknown> | undefined, { ...disposal }))
        continue;
      if (await this.#writes.patchStatus(object, { disposal }))
        this.#writes.event(object, 'Warning', 'SavepointDisposalRefused', message);
    }
    for (const { name, reason } of plan.dispose) {
      const object = objects.get(name);
      if (object) await this.#dispose(object, reason, flinkReachable, now);
    }
  }

  /**
   * A record whose files are looked for: its search Job is made (again, when it is gone), and once
   * it reports, the record gets its outcome and the Job is removed.
   */
  async #followSearch(
    object: CustomObject,
    place: SearchPlace,
    claimed: Set<string>,
    objects: Map<string, CustomObject>,
    searches: SavepointSearches,
  ): Promise<void> {
    const name = object.metadata.name ?? '';
    const jobName = savepointSearchJobName(name);
    const observation = searches.observe(jobName, place.since);
    if (observation.state === 'absent') {
      await searches.start({ savepointName: name, ...place });
      return;
    }
    if (observation.state === 'stale') {
      await searches.finish(jobName);
      return;
    }
    // Another savepoint of the same Flink job still waits for Flink's answer (one in flight): its
    // files may be among those found, and are its own once it completes. Decided once it has.
    const awaited = [...objects.values()].some(
      (o) =>
        o !== object &&
        stateOf(o) === 'Pending' &&
        !pendingSearchOf(o) &&
        o.status?.['jobId'] === place.jobId,
    );
    if (observation.state === 'found' && awaited) return;
    const status = searchedStatus(observation, claimed, place);
    if (!status) return;
    const updated = await this.#writes.patchStatus(object, status);
    if (!updated) return;
    objects.set(name, updated);
    if (status['state'] === 'Completed') {
      claimed.add(String(status['path']));
      this.#o.log('savepoint found in storage', { name, path: status['path'] });
      this.#writes.event(updated, 'Normal', 'SavepointFound', `found in storage: ${String(status['path'])}`);
    } else if (observation.state === 'failed') {
      this.#writes.event(updated, 'Warning', 'SavepointSearchFailed', String(status['message']));
      // Its pod's logs say more: the Job stays for its TTL.
      return;
    }
    await searches.finish(jobName);
  }

  /**
   * Write-ahead: the Pending records of the savepoints the machine is about to trigger, made when it
   * persists their trigger ids and before Flink is asked. A pass that saw the trigger only once it
   * had completed (passes are rationed, prompt-passes.ts) never made a record, and retention never
   * disposed of those files. Never throws: the next pass's `sync` makes what is missing.
   */
  async recordFlights(
    job: FlinkJob,
    context: Pick<JobContext, 'savepoint' | 'stop' | 'jobId' | 'lastAction' | 'pendingAction'>,
  ): Promise<void> {
    try {
      await this.requireRecords(job, context);
    } catch (err) {
      this.#o.log('savepoint record not written ahead', { job: job.metadata.name, err: String(err) });
    }
  }

  /**
   * The records of the savepoints in flight, made when missing; throws when one is not stored.
   * The trigger effects call it before asking Flink: a leader that lost its lease between persisting
   * a trigger id and writing its record left a flight the next leader would send unrecorded, and
   * nothing makes a record for a trigger no longer in flight (K13).
   */
  async requireRecords(
    job: FlinkJob,
    context: Pick<JobContext, 'savepoint' | 'stop' | 'jobId' | 'lastAction' | 'pendingAction'>,
  ): Promise<void> {
    const jobName = job.metadata.name ?? '';
    const now = this.#o.clock.now();
    const objects = new Map(
      savepointsOfJob(this.#o.savepoints(), jobName).map((o) => [o.metadata.name ?? '', o] as const),
    );
    // A manual savepoint a user's FlinkSavepoint asked for: that request becomes its record
    // (adopting its trigger id), as in `sync`, rather than a second object.
    const step = nextRequestStep(jobName, [...objects.values()], context, false);
    if (step.kind === 'adopt') await this.#takeRequestStep(job, step, objects, now);
    const flights = savepointsInFlight(context);
    await this.#recordFlights(job, flights, objects, now);
    const recorded = new Set([...objects.values()].map(triggerIdOf));
    const missing = flights.filter((f) => !recorded.has(f.triggerId)).map((f) => f.triggerId);
    if (missing.length > 0)
      throw new Error(`no FlinkSavepoint record stored for trigger ${missing.join(', ')}`);
  }

  async #recordFlights(
    job: FlinkJob,
    flights: readonly SavepointInFlight[],
    objects: Map<string, CustomObject>,
    now: number,
  ): Promise<void> {
    const jobName = job.metadata.name ?? '';
    for (const flight of flights) {
      const adopted = [...objects.values()].find((o) => triggerIdOf(o) === flight.triggerId);
      const name = adopted?.metadata.name ?? savepointResourceName(jobName, flight.triggerId);
      let object = await this.#recordFlight(job, flight, objects.get(name), now);
      // A conflict: the watch lags (it may be re-listing for a while). Decided again from the object
      // as stored, or a savepoint completing meanwhile would find its record out of date (seed 16).
      if (object === null)
        object = await this.#recordFlight(
          job,
          flight,
          await this.#o.resources.get(FLINK_SAVEPOINT, this.#o.namespace, name),
          now,
        );
      if (object) objects.set(name, object);
    }
  }

  /** The record of one trigger in flight, made or re-opened; null after a conflict. */
  async #recordFlight(
    job: FlinkJob,
    flight: SavepointInFlight,
    current: CustomObject | undefined,
    now: number,
  ): Promise<CustomObject | null | undefined> {
    const object = current ?? (await this.#writes.create(savepointObject(job, this.#o.clusterName, flight)));
    if (!object) return undefined;
    // Abandoned, yet its trigger id is in flight again: trigger ids follow the persisted intent, so
    // an intent whose status write never landed (a crash, a lost leadership) is taken again under
    // the same id by the next one, perhaps of another kind (simulator seed 16). Its record is
    // this savepoint's again: its kind decides what retention and a deletion do with it.
    const reopen = stateOf(object) === 'Abandoned';
    let updated = object;
    if (reopen && object.spec?.['kind'] !== flight.kind) {
      const patched = await this.#writes.patchSpec(updated, { kind: flight.kind });
      if (!patched) return null;
      updated = patched;
    }
    // A search begun for this trigger while it was out of flight (it is taken again under the
    // same id): Flink knows it again, so its answer decides, not the search.
    if (stateOf(updated) === undefined || reopen || pendingSearchOf(updated)) {
      const patched = await this.#writes.patchStatus(updated, {
        ...pendingStatus(flight, new Date(now).toISOString()),
        message: null,
        search: null,
      });
      if (!patched) return null;
      updated = patched;
    }
    return updated;
  }

  /** One step of a user's request (savepoint-requests.ts); `objects` is updated with what was written. */
  async #takeRequestStep(
    job: FlinkJob,
    step: RequestStep,
    objects: Map<string, CustomObject>,
    now: number,
  ): Promise<void> {
    if (step.kind === 'wait') return;
    const request = objects.get(step.name);
    if (!request) return;
    const keep = (updated: CustomObject | undefined) => {
      if (updated) objects.set(step.name, updated);
      return updated;
    };
    if (step.kind === 'fail') {
      if (keep(await this.#writes.patchStatus(request, { state: 'Failed', message: step.message })))
        this.#writes.event(request, 'Warning', 'SavepointRequestRefused', step.message);
    } else if (step.kind === 'stamp') {
      const requestTimestamp = new Date(now).toISOString();
      const stamped = keep(await this.#writes.patchStatus(request, { state: 'Pending', requestTimestamp }));
      if (stamped && !hasRequestAnnotation(job.metadata.annotations)) await this.#requestSavepoint(job, now);
    } else if (step.kind === 'annotate') {
      await this.#requestSavepoint(job, step.at);
    } else {
      // The request becomes the record of the savepoint: labelled and owned like the others.
      const jobName = job.metadata.name ?? '';
      const owners = request.metadata.ownerReferences ?? [];
      const owned = owners.some((r) => r.kind === FLINK_JOB.kind);
      const labels = {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.cluster]: this.#o.clusterName,
        [LABELS.job]: jobName,
      };
      const current =
        owned && request.metadata.labels?.[LABELS.job] === jobName
          ? request
          : await this.#writes.patchObject(request, {
              labels,
              ...(owned ? {} : { ownerReferences: [...owners, ownerReference(FLINK_JOB, job)] }),
            });
      if (current)
        keep(
          await this.#writes.patchStatus(current, {
            triggerId: step.triggerId,
            ...(step.jobId ? { jobId: step.jobId } : {}),
          }),
        );
    }
  }

  /** The TRIGGER_SAVEPOINT annotation on the job, with the request's stamp as its identity. */
  async #requestSavepoint(job: FlinkJob, at: number): Promise<void> {
    try {
      await this.#o.resources.patch(FLINK_JOB, this.#o.namespace, job.metadata.name ?? '', {
        metadata: {
          resourceVersion: job.metadata.resourceVersion ?? '',
          annotations: {
            [ANNOTATIONS.requestedAction]: 'TRIGGER_SAVEPOINT',
            [ANNOTATIONS.actionTimestamp]: `${at}:TRIGGER_SAVEPOINT`,
          },
        },
      });
      this.#o.written();
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  /**
   * The savepoint taken on deletion outlives its FlinkJob: once completed, its owner reference is
   * removed (before the job's finalizer is), so the garbage collector leaves it, to be restored
   * later with initialSavepointPath.
   */
  async #releaseIfTakenOnDeletion(object: CustomObject): Promise<CustomObject | undefined> {
    const owners = object.metadata.ownerReferences ?? [];
    const kept = owners.filter((r) => r.kind !== FLINK_JOB.kind);
    if (
      object.spec?.['kind'] !== 'deletion' ||
      stateOf(object) !== 'Completed' ||
      kept.length === owners.length
    )
      return undefined;
    const released = await this.#writes.patchObject(object, { ownerReferences: kept });
    if (released) {
      const path = String(object.status?.['path']);
      this.#writes.event(
        object,
        'Normal',
        'SavepointReleased',
        `kept after the FlinkJob is deleted: ${path}`,
      );
    }
    return released;
  }

  async #dispose(object: CustomObject, reason: string, reachable: boolean, now: number): Promise<void> {
    const name = object.metadata.name ?? '';
    const path = object.status?.['path'];
    const disposal = (object.status?.['disposal'] ?? {}) as Disposal;
    const attempts = disposal.attempts ?? 0;
    if (typeof path !== 'string' || !path) {
      await this.#writes.delete(name);
      return;
    }
    if (!reachable) {
      const waiting: Disposal = {
        state: 'Pending',
        reason: disposal.reason ?? reason,
        message: WAITING_MESSAGE,
      };
      if (!agrees(disposal, { ...waiting })) await this.#writes.patchStatus(object, { disposal: waiting });
      return;
    }
    if (disposal.triggerId) {
      const outcome = await this.#o.flink.disposalStatus(disposal.triggerId);
      if (outcome.state === 'IN_PROGRESS') return;
      if (outcome.state === 'COMPLETED' || (outcome.state === 'FAILED' && FILES_GONE.test(outcome.message))) {
        await this.#writes.delete(name);
        this.#writes.event(
          object,
          'Normal',
          'SavepointDisposed',
          `disposed ${path} (${disposal.reason ?? reason})`,
        );
        return;
      }
      const failed: Disposal = {
        state: outcome.state === 'FAILED' ? 'Failed' : 'Pending',
        triggerId: null as unknown as string,
        message:
          outcome.state === 'FAILED'
            ? outcome.message.slice(0, 4096)
            : 'disposal forgotten by Flink; retried',
      };
      if ((await this.#writes.patchStatus(object, { disposal: failed })) && outcome.state === 'FAILED')
        this.#writes.event(
          object,
          'Warning',
          'SavepointDisposalFailed',
          `disposing ${path} failed: ${failed.message}`,
        );
      return;
    }
    const last = disposal.lastAttemptTimestamp ? new Date(disposal.lastAttemptTimestamp).getTime() : null;
    if (disposal.state === 'Failed' && last !== null && now < last + disposalRetryDelayMs(attempts)) return;
    // Write-ahead: the attempt is on record before Flink is asked. Flink takes no trigger id for a
    // disposal, so a crash before the id is recorded asks again, which finds the files gone.
    const attempt = await this.#writes.patchStatus(object, {
      disposal: {
        state: 'Pending',
        reason: disposal.reason ?? reason,
        attempts: attempts + 1,
        lastAttemptTimestamp: new Date(now).toISOString(),
        message: null,
        triggerId: null,
      },
    });
    if (!attempt) return;
    try {
      const triggerId = await this.#o.flink.dispose(path);
      await this.#writes.patchStatus(attempt, { disposal: { triggerId } });
    } catch (err) {
      const message = `disposal request failed: ${String(err)}`.slice(0, 4096);
      if (await this.#writes.patchStatus(attempt, { disposal: { state: 'Failed', message } }))
        this.#writes.event(object, 'Warning', 'SavepointDisposalFailed', `disposing ${path}: ${message}`);
    }
  }
}

/** The history of one supervisor, on its own client, watch cache and Flink REST client. */
export function supervisorSavepointHistory(
  options: Pick<SupervisorOptions, 'namespace' | 'clusterName' | 'clock' | 'events' | 'metrics' | 'log'>,
  resources: CustomResourceClient,
  cache: { list(): CustomObject[] },
  flink: SavepointFlink,
): SavepointHistory {
  return new SavepointHistory({
    namespace: options.namespace,
    clusterName: options.clusterName,
    clock: options.clock,
    resources,
    events: options.events,
    flink,
    savepoints: () => cache.list(),
    written: () => options.metrics.apiWrites.inc({ kind: 'savepoint' }),
    log: (message, fields) => options.log.info({ cluster: options.clusterName, ...fields }, message),
  });
}
