import type {
  V1EnvVar,
  V1PodSecurityContext,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';

/**
 * The security defaults of the pods a supervisor creates (ADR 0018), used where the spec gives no
 * security context of its own (a user's replaces ours whole, as it always did):
 * - every pod runs as a non-root user with the RuntimeDefault seccomp profile, and every container
 *   without privilege escalation or capabilities;
 * - Flinkvisor's own containers (bootstrap, storage cleanup) have a read-only root file system and
 *   a scratch emptyDir for their temporary files;
 * - Flink's containers keep a writable root: the official image's entrypoint rewrites
 *   conf/config.yaml in place from FLINK_PROPERTIES and copies the built-in plugins it is asked
 *   for into plugins/, both inside the image.
 */

/** The `flink` user of the official Flink images (uid and gid 9999). */
export const FLINK_USER_ID = 9999;
/** The non-root user of the Flinkvisor image (distroless `nonroot`). */
export const FLINKVISOR_USER_ID = 65532;

export function flinkPodSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: FLINK_USER_ID,
    runAsGroup: FLINK_USER_ID,
    // Volumes (emptyDir, PVCs for file storage) become writable by the flink group.
    fsGroup: FLINK_USER_ID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function flinkContainerSecurityContext(): V1SecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
}

export function flinkvisorPodSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: FLINKVISOR_USER_ID,
    runAsGroup: FLINKVISOR_USER_ID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function flinkvisorContainerSecurityContext(): V1SecurityContext {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

/**
 * Where Flinkvisor's own containers keep temporary files (TMPDIR), on an emptyDir. Not /tmp: the
 * local environment's node agent maps mount paths into every argument, and paths under /tmp (a
 * demo's `file:///tmp/...` state directory) must reach Flink unchanged.
 */
export const SCRATCH_MOUNT_PATH = '/flinkvisor-scratch';
export const SCRATCH_VOLUME = 'flinkvisor-scratch';

/** The scratch volume, its mount and TMPDIR, unless the spec already has a volume of that name. */
export function scratchSpace(volumes: readonly V1Volume[] | undefined): {
  readonly volumes: V1Volume[];
  readonly mounts: V1VolumeMount[];
  readonly env: V1EnvVar[];
} {
  if ((volumes ?? []).some((v) => v.name === SCRATCH_VOLUME)) return { volumes: [], mounts: [], env: [] };
  return {
    volumes: [{ name: SCRATCH_VOLUME, emptyDir: { sizeLimit: '1Gi' } }],
    mounts: [{ name: SCRATCH_VOLUME, mountPath: SCRATCH_MOUNT_PATH }],
    env: [{ name: 'TMPDIR', value: SCRATCH_MOUNT_PATH }],
  };
}
