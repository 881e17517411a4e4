import { ANNOTATIONS, FLINK_CLUSTER, FLINK_JOB } from '../../src/api/names.ts';
import type { CustomObject } from '../../src/kube/custom-resource-client.ts';
import { NAMESPACE, type SimApiServer } from './apiserver.ts';
import type { Ledger } from './invariants.ts';
import type { Prng } from './prng.ts';
import { CLUSTER_NAME } from './replica.ts';
import type { SimClock } from './sim-clock.ts';

export function clusterObject(): CustomObject {
  return {
    metadata: { name: CLUSTER_NAME },
    spec: {
      runtime: { image: 'flink:2.3.0-java21' },
      supervisor: { image: 'flinkvisor:latest', pollingInterval: 5, taskTimeout: 60 },
    },
  };
}

export function jobObject(name: string, savepointIntervalSeconds: number): CustomObject {
  return {
    metadata: { name },
    spec: {
      clusterName: CLUSTER_NAME,
      bootstrap: { image: 'flinkvisor:latest', jarURI: 'file:///opt/flink/examples/streaming/WordCount.jar' },
      savepoint: {
        savepointMode: 'Automatic',
        savepointInterval: savepointIntervalSeconds,
        // On S3: a savepoint whose answer Flink forgot is looked for there (ADR 0023).
        savepointTargetPath: 's3://sim-state/savepoints',
      },
      jobParallelism: 1,
      // A JobManager restart without HA loses the job: resubmit it (Never would leave it stopped).
      restart: { restartPolicy: 'Always', restartDelay: 5 },
    },
  };
}

/** What the user did in a run, for the report. */
export interface ScenarioLog {
  readonly jobs: string[];
  readonly actions: string[];
}

/**
 * The user's part of a run, drawn from the seed: a FlinkCluster and one or two FlinkJobs with
 * periodic savepoints; a STOP and a later START; a spec change (a restart with a savepoint); maybe
 * a TRIGGER_SAVEPOINT; maybe a FlinkJob deleted. The user's kubectl reaches the API server whenever
 * it is up; a request is only made while none is pending on that object.
 */
export function scheduleScenario(
  server: SimApiServer,
  clock: SimClock,
  prng: Prng,
  ledger: Ledger,
  faultPhaseMs: number,
): ScenarioLog {
  const log: ScenarioLog = { jobs: ['job-a'], actions: [] };
  if (prng.chance(0.5)) log.jobs.push('job-b');
  const start = clock.now();
  /** Runs `act` at `at` ms into the run, later while the API server is down. */
  const at = (ms: number, what: string, act: () => boolean | void) => {
    const attempt = (tries: number) => {
      if (!server.up || act() === false) {
        if (tries < 30) clock.schedule(5000, () => attempt(tries + 1));
        return;
      }
      log.actions.push(`${Math.round((clock.now() - start) / 1000)}s ${what}`);
    };
    clock.schedule(Math.max(0, start + ms - clock.now()), () => attempt(0));
  };
  const stored = (name: string) => server.crs.objects.get(`${FLINK_JOB.plural}/${NAMESPACE}/${name}`);
  const requestAction = (job: string, action: string) => () => {
    const obj = stored(job);
    if (!obj || obj.metadata.deletionTimestamp) return true;
    if (obj.metadata.annotations?.[ANNOTATIONS.requestedAction] !== undefined) return false;
    ledger.request({ job, action, madeAt: clock.now() });
    void server.crs.patch(FLINK_JOB, NAMESPACE, job, {
      metadata: { annotations: { [ANNOTATIONS.requestedAction]: action } },
    });
    return true;
  };

  server.crs.put(FLINK_CLUSTER, NAMESPACE, clusterObject());
  for (const name of log.jobs) server.crs.put(FLINK_JOB, NAMESPACE, jobObject(name, prng.int(20, 90)));

  const stopAt = prng.int(40_000, Math.max(41_000, faultPhaseMs / 2));
  const stopped = prng.pick(log.jobs);
  at(stopAt, `STOP ${stopped}`, requestAction(stopped, 'STOP'));
  at(stopAt + prng.int(20_000, 60_000), `START ${stopped}`, requestAction(stopped, 'START'));
  const changed = prng.pick(log.jobs);
  at(prng.int(30_000, Math.max(31_000, faultPhaseMs * 0.8)), `spec change ${changed}`, () => {
    if (!stored(changed)) return true;
    const parallelism = (stored(changed)?.spec?.['jobParallelism'] as number) === 1 ? 2 : 1;
    void server.crs.patch(FLINK_JOB, NAMESPACE, changed, { spec: { jobParallelism: parallelism } });
  });
  if (prng.chance(0.5)) {
    const target = prng.pick(log.jobs);
    at(
      prng.int(30_000, faultPhaseMs),
      `TRIGGER_SAVEPOINT ${target}`,
      requestAction(target, 'TRIGGER_SAVEPOINT'),
    );
  }
  if (log.jobs.includes('job-b') && prng.chance(0.5)) {
    at(prng.int(faultPhaseMs / 2, faultPhaseMs), 'delete job-b', () => {
      if (stored('job-b')) void server.crs.delete(FLINK_JOB, NAMESPACE, 'job-b');
    });
  }
  return log;
}
