// How a single JobManager (no HA) holds its JVM through a graceful deletion (a drain's eviction, a
// `kubectl delete pod`) while the supervisor stops its jobs with savepoints (ADR 0021): a `preStop`
// hook that waits while Flink lists a job that has not ended, and a grace period long enough for a
// stop-with-savepoint bounded by taskTimeout. An HA cluster's standby takes over instead: it keeps
// the ordinary 30 s and no hook.
import type { V1Lifecycle } from '@kubernetes/client-node';

/** The grace period of a pod that holds nothing: the Kubernetes default. */
export const DEFAULT_GRACE_SECONDS = 30;

/** What a single JobManager gets beyond taskTimeout: the cancel that follows a timed-out stop, and the JVM's own shutdown. */
export const DRAIN_GRACE_MARGIN_SECONDS = 30;

/** The grace period of a single JobManager: taskTimeout for the savepoints, plus the margin. */
export function jobManagerDrainGraceSeconds(taskTimeoutSeconds: number): number {
  return taskTimeoutSeconds + DRAIN_GRACE_MARGIN_SECONDS;
}

/**
 * Flink job states that have not ended: the hook waits while the JobManager lists any of them.
 * FINISHED, CANCELED and FAILED end a job; SUSPENDED is what a JobManager that loses leadership
 * leaves, and never happens without HA.
 */
const NOT_ENDED = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'CANCELLING',
  'RESTARTING',
  'RECONCILING',
];

/**
 * The hook's script, for bash (the Flink image has bash and no curl): reads `/jobs/overview` from
 * the JobManager's own REST port through bash's /dev/tcp every 2 s and returns once no job is
 * listed that has not ended, once Flink does not answer, or after `boundSeconds` (the kubelet bounds
 * the hook by the grace period anyway; the script's own bound keeps a hook run by hand finite).
 * The pod's own IP, not localhost: the image binds the REST port on every interface, and a local
 * node agent binds each pod to its own address only.
 */
export function drainHookScript(boundSeconds: number, port: number): string {
  return [
    `end=$((SECONDS + ${boundSeconds}))`,
    `while [ "$SECONDS" -lt "$end" ]; do`,
    `  exec 3<>"/dev/tcp/\${POD_IP:-127.0.0.1}/${port}" || exit 0`,
    `  printf 'GET /jobs/overview HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3`,
    `  body=""`,
    `  while IFS= read -r -t 5 line <&3; do body="$body$line"; done`,
    `  body="$body$line"`,
    `  exec 3<&-`,
    `  [[ "$body" =~ \\"state\\":\\"(${NOT_ENDED.join('|')})\\" ]] || exit 0`,
    `  sleep 2`,
    `done`,
  ].join('\n');
}

/** The container lifecycle of a single JobManager: the preStop hook above, bounded by `graceSeconds`. */
export function jobManagerDrainLifecycle(graceSeconds: number, restPort: number): V1Lifecycle {
  return { preStop: { exec: { command: ['bash', '-c', drainHookScript(graceSeconds, restPort)] } } };
}
