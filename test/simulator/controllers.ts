import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { LABELS } from '../../src/api/names.ts';
import { FLINK_JOB_ID_LABEL } from '../../src/supervisor/resource-builders.ts';
import { matchSavepoints, renderSearchReport } from '../../src/storage/savepoint-search.ts';
import { parseS3Uri } from '../../src/storage/s3-uri.ts';
import type { ControllerHooks, SimApiServer } from './apiserver.ts';
import type { SimFlink } from './flink.ts';
import type { Prng } from './prng.ts';
import type { SimClock } from './sim-clock.ts';

const SLOTS_PER_TASKMANAGER = 2;

function argument(job: V1Job, name: string): string | null {
  const args = job.spec?.template?.spec?.containers?.[0]?.args ?? [];
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? found.slice(name.length + 3) : null;
}

/**
 * What Kubernetes and the bootstrap container do with the objects a supervisor owns: pods become
 * Ready (a JobManager pod's Flink starts), deleted pods and Jobs go after their grace period, and a
 * bootstrap Job submits its job (with the job id and savepoint of its arguments) once Flink answers,
 * retrying a few times before it fails.
 */
export function worldControllers(
  server: SimApiServer,
  flink: SimFlink,
  clock: SimClock,
  prng: Prng,
): ControllerHooks {
  let addresses = 0;
  const role = (name: string) =>
    (server.core.pods.get(name) as V1Pod | undefined)?.metadata?.labels?.[LABELS.role];
  const recountSlots = () => {
    const ready = server
      .pods()
      .filter((p) => p.metadata?.labels?.[LABELS.role] === 'taskmanager' && p.status?.phase === 'Running')
      .filter((p) => !p.metadata?.deletionTimestamp);
    flink.taskManagerHosts = ready.map((p) => p.status?.podIP ?? '');
    flink.slotsTotal = ready.length * SLOTS_PER_TASKMANAGER;
  };
  const attemptBootstrap = (name: string, attempt: number) => {
    const job = server.core.batchJobs.get(name) as V1Job | undefined;
    if (!job || job.metadata?.deletionTimestamp || job.status?.succeeded) return;
    if (!flink.up) {
      if (attempt >= 4) {
        server.updateCore('batchJobs', name, (o) => {
          (o as V1Job).status = {
            failed: attempt,
            conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }],
          };
        });
        return;
      }
      clock.schedule(prng.int(1000, 4000), () => attemptBootstrap(name, attempt + 1));
      return;
    }
    const jobId = job.metadata?.labels?.[FLINK_JOB_ID_LABEL] ?? '';
    const owner = job.metadata?.labels?.[LABELS.job] ?? '';
    flink.submit(jobId, owner, argument(job, 'savepoint-path'), Number(argument(job, 'parallelism') ?? 1));
    server.updateCore('batchJobs', name, (o) => {
      (o as V1Job).status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    });
  };
  /**
   * A savepoint search Job (ADR 0023): its pod lists the durable storage as S3 would (each
   * savepoint's `_metadata`, written when it completed) and reports in its termination message.
   */
  const runSearch = (name: string) => {
    const job = server.core.batchJobs.get(name) as V1Job | undefined;
    if (!job || job.metadata?.deletionTimestamp || job.status?.succeeded) return;
    const directory = argument(job, 'directory') ?? '';
    const location = parseS3Uri(directory);
    const listed = [...flink.storage.values()]
      .filter((sp) => sp.location.startsWith(`${directory.replace(/\/+$/, '')}/`))
      .map((sp) => ({
        key: `${location.prefix}${sp.location.slice(directory.replace(/\/+$/, '').length + 1)}/_metadata`,
        lastModified: new Date(sp.completedAt),
      }));
    const found = matchSavepoints(
      listed,
      location.prefix,
      directory.replace(/\/+$/, ''),
      argument(job, 'job-id') ?? '',
      new Date(argument(job, 'since') ?? 0),
    );
    const labels = { ...(job.spec?.template?.metadata?.labels ?? {}), 'job-name': name };
    server.createCore('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-run`, labels },
      status: {
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'search',
            image: 'flinkvisor:latest',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: 0,
                message: renderSearchReport({ savepoints: found, truncated: false }),
              },
            },
          },
        ],
      },
    } as V1Pod);
    server.updateCore('batchJobs', name, (o) => {
      (o as V1Job).status = {
        succeeded: 1,
        completionTime: new Date(clock.now()),
        conditions: [{ type: 'Complete', status: 'True' }],
      };
    });
  };
  const isSearch = (job: V1Job | undefined) => job?.metadata?.labels?.[LABELS.role] === 'savepoint-search';
  return {
    podCreated: (name) => {
      if (role(name) === 'savepoint-search') return;
      clock.schedule(prng.int(300, 2000), () => {
        const pod = server.core.pods.get(name);
        if (!pod || pod.metadata?.deletionTimestamp) return;
        const ip = `10.0.${Math.floor(++addresses / 250)}.${(addresses % 250) + 1}`;
        server.updateCore('pods', name, (o) => {
          (o as V1Pod).status = {
            phase: 'Running',
            podIP: ip,
            conditions: [{ type: 'Ready', status: 'True' }],
          };
        });
        if (role(name) === 'jobmanager' && !flink.up) flink.start();
        recountSlots();
      });
    },
    podDeleting: (name) => {
      clock.schedule(prng.int(200, 1500), () => {
        const wasJobManager = role(name) === 'jobmanager';
        server.removeCore('pods', name);
        const jobManagerLeft = server
          .pods()
          .some((p) => p.metadata?.labels?.[LABELS.role] === 'jobmanager' && p.status?.phase === 'Running');
        if (wasJobManager && !jobManagerLeft) flink.stop();
        recountSlots();
      });
    },
    jobCreated: (name) => {
      const search = isSearch(server.core.batchJobs.get(name) as V1Job | undefined);
      clock.schedule(prng.int(500, 2500), () => (search ? runSearch(name) : attemptBootstrap(name, 1)));
    },
    jobDeleting: (name) => {
      clock.schedule(prng.int(300, 1500), () => {
        // The garbage collector takes a Job's pods with it (Foreground: the pods first).
        for (const pod of server.pods())
          if (pod.metadata?.labels?.['job-name'] === name) server.removeCore('pods', pod.metadata.name ?? '');
        server.removeCore('batchJobs', name);
      });
    },
  };
}
