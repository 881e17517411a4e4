import { z } from 'zod';

// Status pieces shared by the three kinds: the toolbox's resourceStatus and timestamp, plus
// observedGeneration, standard conditions and the persisted state-machine snapshot.

/** An RFC 3339 timestamp as the API server stores it. */
export const timestamp = (description: string) =>
  z.string().max(64).meta({ format: 'date-time' }).describe(description);

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

const CONDITION_TYPE_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$';
const CONDITION_REASON_PATTERN = '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$';

/** The shape of meta/v1 Condition, so kubectl, kstatus and `kubectl wait --for=condition=` read it. */
export const condition = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(new RegExp(CONDITION_TYPE_PATTERN))
      .describe('Type of the condition in CamelCase, e.g. Ready.'),
    status: z.enum(CONDITION_STATUSES).describe('True, False or Unknown.'),
    observedGeneration: z
      .int()
      .min(0)
      .exactOptional()
      .describe('metadata.generation of the resource the condition was computed from.'),
    lastTransitionTime: timestamp('When the status of the condition last changed.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(new RegExp(CONDITION_REASON_PATTERN))
      .describe('Why the condition has its status, as a CamelCase word.'),
    message: z.string().max(32768).describe('What happened, for humans.'),
  })
  .describe('An observation of the resource (meta/v1 Condition).');
export type Condition = z.infer<typeof condition>;

export const conditions = z
  .array(condition)
  .max(32)
  .exactOptional()
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('Conditions of the resource, one per type (Ready, ...).');

/** Where the supervisor persists its state machine (its content is the machines' own format). */
export const machineSnapshot = z
  .looseObject({})
  .meta({ 'x-kubernetes-preserve-unknown-fields': true })
  .exactOptional()
  .describe(
    'Persisted snapshot of the supervisor state machine, so a new leader resumes where the last one stopped. Written by the supervisor only.',
  );

export const RESOURCE_STATUSES = ['Unknown', 'Updating', 'Updated'] as const;
export type ResourceStatus = (typeof RESOURCE_STATUSES)[number];

export const SUPERVISOR_STATUSES = [
  'Unknown',
  'Starting',
  'Started',
  'Stopping',
  'Stopped',
  'Terminated',
] as const;
export type SupervisorStatus = (typeof SUPERVISOR_STATUSES)[number];

export const CLUSTER_HEALTHS = ['', 'HEALTHY', 'UNHEALTHY'] as const;
export type ClusterHealth = (typeof CLUSTER_HEALTHS)[number];

export const commonStatusFields = {
  observedGeneration: z
    .int()
    .min(0)
    .exactOptional()
    .describe('metadata.generation of the spec the status reflects.'),
  conditions,
  resourceStatus: z
    .enum(RESOURCE_STATUSES)
    .exactOptional()
    .describe('Updated when the resource has converged to its spec, Updating while work is in flight.'),
  timestamp: timestamp('When the status last changed.').exactOptional(),
  machine: machineSnapshot,
  leaderEpoch: z
    .int()
    .min(0)
    .exactOptional()
    .describe(
      'The leadership epoch (the Lease leaseTransitions) of the supervisor that wrote this status; a writer with an older epoch has been replaced and is refused (ADR 0014).',
    ),
  paused: z
    .boolean()
    .exactOptional()
    .describe(
      'Reconciliation is paused by the annotation flinkvisor.io/paused: "true" (observed, nothing changed; ADR 0019).',
    ),
};

export const digest = z.string().max(64).exactOptional();

/**
 * `conditions` with `next` set: lastTransitionTime moves only when the status changes, as
 * meta.SetStatusCondition does. Returns a new array; order is kept, new types are appended.
 */
export function setCondition(
  current: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const list = [...(current ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const existing = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  if (index >= 0) list[index] = updated;
  else list.push(updated);
  return list;
}

export function findCondition(
  current: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return current?.find((c) => c.type === type);
}
