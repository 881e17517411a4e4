import { z } from 'zod';
import { withRules } from './cel-rules.ts';
import { dnsLabel } from './common.ts';
import { flinkClusterSpec } from './flink-cluster.ts';
import { flinkJobTemplateSpec, savepointsAreAutomatic } from './flink-job.ts';
import { FLINK_DEPLOYMENT, MAX_CLUSTER_NAME_LENGTH, MAX_FLINK_JOB_NAME_LENGTH } from './names.ts';
import { nameRules, resourceEnvelope } from './resource.ts';
import { commonStatusFields, digest } from './status.ts';

// FlinkDeployment (fd): a cluster and its jobs in one resource. The operator expands it into the
// FlinkCluster <name> and the FlinkJobs <name>-<job> (jobResourceName), owned by it.

export const MAX_DEPLOYMENT_JOBS = 64;

export const deploymentJob = z
  .object({
    name: dnsLabel(MAX_FLINK_JOB_NAME_LENGTH - 2).describe(
      'Name of the job in the deployment; the FlinkJob is named <deployment>-<name>.',
    ),
    spec: flinkJobTemplateSpec,
  })
  .describe('A job of the deployment.');

/** CEL for "this job takes savepoints by itself but has nowhere to write them". */
const lacksSavepointTarget = (j: string) =>
  `!(${j}.spec.savepoint.savepointMode == 'Manual' && ${j}.spec.savepoint.savepointInterval == 0 || has(${j}.spec.savepoint.savepointTargetPath) || has(self.cluster.storage))`;

export const flinkDeploymentSpec = withRules(
  z
    .object({
      cluster: flinkClusterSpec.describe('Spec of the FlinkCluster named like the deployment.'),
      jobs: z
        .array(deploymentJob)
        .max(MAX_DEPLOYMENT_JOBS)
        // The API server enforces unique names through the list-map keys; parse() does it here.
        .superRefine((jobs, ctx) => {
          const seen = new Set<string>();
          jobs.forEach((job, index) => {
            if (seen.has(job.name)) {
              ctx.addIssue({ code: 'custom', message: `duplicate job name ${job.name}`, path: [index] });
            }
            seen.add(job.name);
          });
        })
        .default([])
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
        .describe('Jobs of the cluster, each a FlinkJob <deployment>-<name>. Names are unique.'),
    })
    .describe('Desired state: one Flink cluster and the jobs it runs.'),
  [
    {
      rule: `!self.jobs.exists(j, ${lacksSavepointTarget('j')})`,
      message:
        'jobs whose savepointMode is Automatic or savepointInterval is greater than 0 need spec.savepoint.savepointTargetPath, or cluster.storage to derive it from',
      fieldPath: '.jobs',
      reason: 'FieldValueRequired',
      check: (s) => {
        if (s.cluster.storage !== undefined) return true;
        const missing = s.jobs
          .filter(
            (j) =>
              savepointsAreAutomatic(j.spec.savepoint) && j.spec.savepoint.savepointTargetPath === undefined,
          )
          .map((j) => j.name);
        return missing.length === 0
          ? true
          : `jobs ${missing.join(', ')}: spec.savepoint.savepointTargetPath is required when savepointMode is Automatic or savepointInterval is greater than 0, unless cluster.storage is set`;
      },
    },
  ],
);

export const flinkDeploymentStatus = z
  .object({
    observedGeneration: commonStatusFields.observedGeneration,
    conditions: commonStatusFields.conditions,
    resourceStatus: commonStatusFields.resourceStatus,
    timestamp: commonStatusFields.timestamp,
    paused: commonStatusFields.paused,
    digest: z
      .object({
        cluster: z
          .object({
            runtime: digest.describe('Digest of spec.cluster.runtime last propagated.'),
            jobManager: digest.describe('Digest of spec.cluster.jobManager last propagated.'),
            taskManager: digest.describe('Digest of spec.cluster.taskManager last propagated.'),
            supervisor: digest.describe('Digest of spec.cluster.supervisor last propagated.'),
          })
          .exactOptional()
          .describe('Digests of the cluster spec last propagated to the FlinkCluster.'),
        jobs: z
          .array(
            z
              .object({
                name: z.string().max(63).describe('Name of the job.'),
                job: z
                  .object({
                    bootstrap: digest.describe('Digest of spec.bootstrap last propagated.'),
                    savepoint: digest.describe('Digest of spec.savepoint last propagated.'),
                    restart: digest.describe(
                      'Digest of spec.restart, the parallelism bounds, the upgrade settings and the autoscaler last propagated.',
                    ),
                  })
                  .describe('Digests of the job spec.'),
              })
              .describe('Digests of one job.'),
          )
          .max(MAX_DEPLOYMENT_JOBS)
          .exactOptional()
          .describe('Digests of the job specs last propagated, one per job the deployment owns.'),
      })
      .exactOptional()
      .describe('What the operator last propagated to the FlinkCluster and FlinkJobs.'),
  })
  .describe('Observed state of the deployment, written by the operator.');

export const flinkDeploymentResource = withRules(
  resourceEnvelope(
    FLINK_DEPLOYMENT.kind,
    flinkDeploymentSpec,
    flinkDeploymentStatus,
    'A Flink cluster and its jobs, expanded by the operator into a FlinkCluster and FlinkJobs',
  ),
  [
    ...nameRules(MAX_CLUSTER_NAME_LENGTH, 'the FlinkDeployment name (it names the FlinkCluster)'),
    {
      rule: `self.spec.jobs.all(j, size(self.metadata.name) + 1 + size(j.name) <= ${MAX_FLINK_JOB_NAME_LENGTH})`,
      message: `spec.jobs[].name: <deployment>-<job> names the FlinkJob and must be at most ${MAX_FLINK_JOB_NAME_LENGTH} characters long`,
      check: (r) =>
        r.spec.jobs.every(
          (j) => (r.metadata.name ?? '').length + 1 + j.name.length <= MAX_FLINK_JOB_NAME_LENGTH,
        ),
    },
  ],
);

export type FlinkDeploymentSpec = z.infer<typeof flinkDeploymentSpec>;
export type FlinkDeploymentSpecInput = z.input<typeof flinkDeploymentSpec>;
export type FlinkDeploymentStatus = z.infer<typeof flinkDeploymentStatus>;
export type DeploymentJob = z.infer<typeof deploymentJob>;
/** A FlinkDeployment as read from the API server, defaults applied. */
export type FlinkDeployment = z.infer<typeof flinkDeploymentResource>;
