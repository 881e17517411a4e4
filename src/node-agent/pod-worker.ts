import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ManagedProcess } from '../devenv/managed-process.ts';
import { recordRunStart } from './container-logs.ts';
import { containerEnvironment } from './container-env.ts';
import { planLaunch, type LaunchPlan } from './container-launch.ts';
import { resolveImage, type ImageMap } from './image-resolver.ts';
import { computePodStatus, type ContainerPhase, type ContainerRecord, type PodRecord } from './pod-status.ts';
import { runProbe } from './probes.ts';
import { PRESTOP_EXTENSION_MS, preStopCommand, runExecHook } from './lifecycle-hooks.ts';
import { containerMounts, materializeVolumes, type VolumeSources } from './volumes.ts';
import {
  readTerminationMessage,
  resetTerminationMessage,
  terminationMessageMount,
} from './termination-message.ts';
import type { PodIdentity } from './service-account-identity.ts';

/** What a pod worker needs from the node agent. */
export interface PodWorkerDeps {
  readonly nodeName: string;
  readonly hostIp: string;
  readonly podsDir: string;
  readonly sharedDir: string;
  readonly imageMap: ImageMap;
  readonly flinkHomes: Readonly<Record<string, string>>;
  readonly nodeBinary: string;
  readonly projectRoot: string;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly sources: VolumeSources;
  allocateIp(): Promise<{ address: string; release(): Promise<void> }>;
  /** Writes the pod's own hosts file (kept current by the agent) and returns its path. */
  hostsFileFor(pod: V1Pod, podIp: string, podDir: string): Promise<string>;
  /** Writes the pod's ServiceAccount identity (token, kubeconfig), or undefined without a token. */
  serviceAccountIdentity(pod: V1Pod, podDir: string): Promise<PodIdentity | undefined>;
  writeStatus(pod: V1Pod, status: V1PodStatus): Promise<void>;
  /** Final delete (grace 0) once every container stopped, as the kubelet does. */
  finalizeDeletion(pod: V1Pod): Promise<void>;
  registerProcess(pgid: number): void;
  unregisterProcess(pgid: number): void;
  log(message: string, fields?: Record<string, unknown>): void;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  now(): number;
}

interface ContainerSlot {
  readonly spec: V1Container;
  readonly init: boolean;
  record: ContainerRecord;
  process: ManagedProcess | undefined;
  plan: LaunchPlan | undefined;
  consecutiveFailures: number;
  probeTimer: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs one pod bound to this node: sets up its IP, volumes and identity, runs init containers in
 * order and then the containers, restarts them as `restartPolicy` says (with backoff), probes
 * readiness and liveness, reports status, and on deletion stops everything within the grace period.
 */
export class PodWorker {
  readonly key: string;
  #pod: V1Pod;
  readonly #deps: PodWorkerDeps;
  readonly #podDir: string;
  readonly #slots: ContainerSlot[] = [];
  #ip: { address: string; release(): Promise<void> } | undefined;
  #setupError: { reason: string; message: string } | undefined;
  #startedAt: number;
  #terminating = false;
  /** Kills the preStop hooks of a graceful deletion when the pod is force-deleted meanwhile. */
  readonly #hooksAbort = new AbortController();
  #stopped = false;
  #statusChain: Promise<void> = Promise.resolve();
  #lastStatus: string | undefined;
  #lastStatusObject: V1PodStatus | undefined;
  #phaseInit = true;

  constructor(pod: V1Pod, deps: PodWorkerDeps) {
    this.#pod = pod;
    this.#deps = deps;
    this.key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    this.#podDir = join(
      deps.podsDir,
      `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`,
    );
    this.#startedAt = deps.now();
    for (const spec of pod.spec?.initContainers ?? []) this.#slots.push(this.#slot(spec, true));
    for (const spec of pod.spec?.containers ?? []) this.#slots.push(this.#slot(spec, false));
  }

  get podDir(): string {
    return this.#podDir;
  }

  get uid(): string | undefined {
    return this.#pod.metadata?.uid;
  }

  #slot(spec: V1Container, init: boolean): ContainerSlot {
    return {
      spec,
      init,
      record: {
        name: spec.name,
        image: spec.image ?? '',
        phase: { kind: 'waiting', reason: init ? 'PodInitializing' : 'ContainerCreating' },
        restartCount: 0,
        ready: false,
        init,
      },
      process: undefined,
      plan: undefined,
      consecutiveFailures: 0,
      probeTimer: undefined,
      restartTimer: undefined,
    };
  }

  get #restartPolicy(): 'Always' | 'OnFailure' | 'Never' {
    const p = this.#pod.spec?.restartPolicy;
    return p === 'OnFailure' || p === 'Never' ? p : 'Always';
  }

  #record(): PodRecord {
    return {
      podIp: this.#ip?.address,
      hostIp: this.#deps.hostIp,
      startedAt: this.#startedAt,
      restartPolicy: this.#restartPolicy,
      initContainers: this.#slots.filter((s) => s.init).map((s) => s.record),
      containers: this.#slots.filter((s) => !s.init).map((s) => s.record),
      ...(this.#setupError ? { setupError: this.#setupError } : {}),
    };
  }

  /** Queues a status write when the computed status changed; writes run one at a time. */
  #publish(): void {
    if (this.#stopped) return;
    const status = computePodStatus(this.#record(), this.#deps.now(), this.#lastStatusObject);
    const text = JSON.stringify(status);
    if (text === this.#lastStatus) return;
    this.#lastStatus = text;
    this.#lastStatusObject = status;
    const pod = this.#pod;
    this.#statusChain = this.#statusChain
      .then(() => this.#deps.writeStatus(pod, status))
      .catch((err: unknown) =>
        this.#deps.log('pod status write failed', { pod: this.key, err: String(err) }),
      );
  }

  update(pod: V1Pod): void {
    this.#pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.#terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace, true);
    }
  }

  async start(): Promise<void> {
    try {
      await mkdir(this.#podDir, { recursive: true });
      this.#ip = await this.#deps.allocateIp();
      this.#publish();
      const volumeDirs = await materializeVolumes(
        this.#pod,
        { podDir: this.#podDir, sharedDir: this.#deps.sharedDir },
        this.#deps.sources,
      );
      const identity = await this.#deps.serviceAccountIdentity(this.#pod, this.#podDir);
      const hostsFile = await this.#deps.hostsFileFor(this.#pod, this.#ip.address, this.#podDir);
      for (const slot of this.#slots) {
        const runtime = resolveImage(slot.spec.image ?? '', this.#deps.imageMap);
        if (runtime.kind === 'unsupported') {
          slot.record = {
            ...slot.record,
            phase: { kind: 'waiting', reason: 'ErrImagePull', message: runtime.reason },
          };
          continue;
        }
        const containerDir = join(this.#podDir, 'containers', slot.spec.name);
        await mkdir(containerDir, { recursive: true });
        const env = await containerEnvironment(
          this.#pod,
          slot.spec,
          { podIp: this.#ip.address, nodeName: this.#deps.nodeName, hostIp: this.#deps.hostIp },
          this.#deps.sources,
        );
        slot.plan = await planLaunch({
          pod: this.#pod,
          container: slot.spec,
          runtime,
          containerDir,
          podIp: this.#ip.address,
          mounts: [
            ...containerMounts(slot.spec, volumeDirs),
            terminationMessageMount(slot.spec, containerDir),
          ],
          env,
          baseEnv: this.#deps.baseEnv,
          hostsFile,
          identity,
          flinkHomes: this.#deps.flinkHomes,
          nodeBinary: this.#deps.nodeBinary,
          projectRoot: this.#deps.projectRoot,
        });
      }
    } catch (err) {
      this.#setupError = {
        reason: 'CreateContainerConfigError',
        message: err instanceof Error ? err.message : String(err),
      };
      for (const slot of this.#slots) {
        slot.record = {
          ...slot.record,
          phase: { kind: 'waiting', reason: 'CreateContainerConfigError', message: this.#setupError.message },
        };
      }
      this.#deps.log('pod setup failed', { pod: this.key, err: this.#setupError.message });
      this.#publish();
      return;
    }
    this.#publish();
    await this.#runInitContainers();
  }

  async #runInitContainers(): Promise<void> {
    for (const slot of this.#slots.filter((s) => s.init)) {
      for (;;) {
        if (this.#terminating || this.#stopped) return;
        if (!slot.plan) return; // unsupported image: stays waiting, pod stays Pending
        const exit = await this.#launch(slot);
        if (exit === 0) break;
        if (this.#restartPolicy === 'Never') {
          this.#publish();
          return;
        }
        await this.#backoffWait(slot);
      }
    }
    this.#phaseInit = false;
    for (const slot of this.#slots.filter((s) => !s.init)) {
      if (slot.plan) void this.#superviseContainer(slot);
    }
    this.#publish();
  }

  async #backoffWait(slot: ContainerSlot): Promise<void> {
    const ms = Math.min(
      this.#deps.backoff.initialMs * 2 ** Math.max(0, slot.record.restartCount - 1),
      this.#deps.backoff.maxMs,
    );
    const last = slot.record.phase;
    slot.record = {
      ...slot.record,
      phase: {
        kind: 'waiting',
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(ms / 1000)}s restarting failed container`,
      },
      ...(last.kind === 'terminated' ? { lastTermination: last } : {}),
    };
    this.#publish();
    await new Promise<void>((resolve) => {
      slot.restartTimer = setTimeout(resolve, ms);
    });
  }

  async #superviseContainer(slot: ContainerSlot): Promise<void> {
    for (;;) {
      if (this.#terminating || this.#stopped) return;
      const exit = await this.#launch(slot);
      if (this.#terminating || this.#stopped) return;
      const policy = this.#restartPolicy;
      const restart = policy === 'Always' || (policy === 'OnFailure' && exit !== 0);
      if (!restart) {
        this.#publish();
        if (this.#slots.filter((s) => !s.init).every((s) => s.record.phase.kind === 'terminated'))
          await this.#releaseIp();
        return;
      }
      await this.#backoffWait(slot);
    }
  }

  /** Runs the container once; resolves with its exit code. */
  async #launch(slot: ContainerSlot): Promise<number> {
    const plan = slot.plan;
    if (!plan) return 1;
    const logFile = join(this.#podDir, `${slot.spec.name}.log`);
    const started = this.#deps.now();
    const previous =
      slot.record.phase.kind === 'terminated' ? slot.record.phase : slot.record.lastTermination;
    // Where this run's output begins: `kubectl logs` shows one run, `--previous` the one before.
    await recordRunStart(logFile).catch((err: unknown) =>
      this.#deps.log('container log run not recorded', { pod: this.key, err: String(err) }),
    );
    const containerDir = join(this.#podDir, 'containers', slot.spec.name);
    await resetTerminationMessage(containerDir).catch((err: unknown) =>
      this.#deps.log('termination message not reset', { pod: this.key, err: String(err) }),
    );
    if (this.#terminating || this.#stopped) return 1;
    const proc = ManagedProcess.start({
      name: `${this.key}/${slot.spec.name}`,
      command: plan.command,
      args: plan.args,
      env: plan.env,
      cwd: plan.cwd,
      logFile,
    });
    slot.process = proc;
    if (proc.pid !== undefined) this.#deps.registerProcess(proc.pid);
    slot.record = {
      ...slot.record,
      phase: { kind: 'running', startedAt: started },
      ready: !slot.init && !slot.spec.readinessProbe,
      ...(previous ? { lastTermination: previous } : {}),
    };
    this.#publish();
    this.#startProbes(slot, proc);
    const exit = await proc.exited;
    if (proc.pid !== undefined) this.#deps.unregisterProcess(proc.pid);
    this.#stopProbes(slot);
    slot.process = undefined;
    const code = exit.code ?? (exit.signal ? 128 + signalNumber(exit.signal) : 1);
    const message = await readTerminationMessage(slot.spec, containerDir, code, logFile);
    const terminated: ContainerPhase = {
      kind: 'terminated',
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: started,
      finishedAt: this.#deps.now(),
      ...(exit.signal ? { signal: signalNumber(exit.signal) } : {}),
      ...(message !== undefined ? { message } : {}),
    };
    const willRestart =
      !this.#terminating &&
      !this.#stopped &&
      (slot.init
        ? code !== 0 && this.#restartPolicy !== 'Never'
        : this.#restartPolicy === 'Always' || (this.#restartPolicy === 'OnFailure' && code !== 0));
    slot.record = {
      ...slot.record,
      phase: terminated,
      ready: false,
      restartCount: slot.record.restartCount + (willRestart ? 1 : 0),
    };
    this.#publish();
    return code;
  }

  #startProbes(slot: ContainerSlot, proc: ManagedProcess): void {
    const readiness = slot.spec.readinessProbe;
    const liveness = slot.spec.livenessProbe;
    if (!readiness && !liveness) return;
    const ip = this.#ip?.address ?? '127.0.0.1';
    const period =
      Math.max(1, Math.min(readiness?.periodSeconds ?? 10, liveness?.periodSeconds ?? 10)) * 1000;
    const startedAt = this.#deps.now();
    let livenessFailures = 0;
    const tick = async () => {
      if (!proc.running || this.#terminating) return;
      const elapsed = this.#deps.now() - startedAt;
      if (readiness && elapsed >= (readiness.initialDelaySeconds ?? 0) * 1000) {
        const ok = await runProbe(readiness, slot.spec, ip);
        if (ok !== slot.record.ready && slot.record.phase.kind === 'running') {
          slot.record = { ...slot.record, ready: ok };
          this.#publish();
        }
      }
      if (liveness && elapsed >= (liveness.initialDelaySeconds ?? 0) * 1000) {
        const ok = await runProbe(liveness, slot.spec, ip);
        livenessFailures = ok ? 0 : livenessFailures + 1;
        if (livenessFailures >= (liveness.failureThreshold ?? 3)) {
          this.#deps.log('liveness probe failed; restarting container', {
            pod: this.key,
            container: slot.spec.name,
          });
          livenessFailures = 0;
          void proc.stop((this.#pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
          return;
        }
      }
      slot.probeTimer = setTimeout(() => void tick(), period);
    };
    // First readiness check soon after start; Flink's REST port opens within seconds.
    slot.probeTimer = setTimeout(() => void tick(), Math.min(period, 1000));
  }

  #stopProbes(slot: ContainerSlot): void {
    if (slot.probeTimer) clearTimeout(slot.probeTimer);
    slot.probeTimer = undefined;
  }

  async #releaseIp(): Promise<void> {
    // The pod keeps reporting its IP; the address only goes back to the pool for new pods.
    const ip = this.#ip;
    if (ip) await ip.release();
  }

  /**
   * As the kubelet does: run the running containers' preStop hooks (a graceful deletion of the pod
   * only: not the node agent's own shutdown, which leaves the pods in the API),
   * then SIGTERM every container, SIGKILL once the grace period is spent (with 2 s more when a hook
   * used it up); then, if asked, the final delete.
   */
  async terminate(graceSeconds: number, finalizeDeletion: boolean): Promise<void> {
    if (this.#terminating) return;
    this.#terminating = true;
    for (const slot of this.#slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      this.#stopProbes(slot);
    }
    const deadline = this.#deps.now() + graceSeconds * 1000;
    const hooked = finalizeDeletion && graceSeconds > 0 ? await this.#runPreStopHooks(deadline) : false;
    const left = deadline - this.#deps.now();
    const graceMs = hooked ? Math.max(left, PRESTOP_EXTENSION_MS) : Math.max(left, 0);
    await Promise.all(this.#slots.map((s) => s.process?.stop(graceMs)));
    this.#publish();
    await this.#statusChain;
    this.#stopped = true;
    await this.#releaseIp();
    if (finalizeDeletion) {
      await this.#deps
        .finalizeDeletion(this.#pod)
        .catch((err: unknown) =>
          this.#deps.log('final pod delete failed', { pod: this.key, err: String(err) }),
        );
    }
  }

  /** Runs the preStop hooks of the running containers at once, each bounded by `deadline`; whether any ran. */
  async #runPreStopHooks(deadline: number): Promise<boolean> {
    const hooks = this.#slots.flatMap((slot) => {
      const command = preStopCommand(slot.spec);
      return !slot.init && command && slot.plan && slot.process?.running
        ? [{ slot, command, plan: slot.plan }]
        : [];
    });
    await Promise.all(
      hooks.map(async ({ slot, command, plan }) => {
        const outcome = await runExecHook(command, {
          env: plan.env,
          cwd: plan.cwd,
          timeoutMs: deadline - this.#deps.now(),
          signal: this.#hooksAbort.signal,
        });
        this.#deps.log('preStop hook ended', { pod: this.key, container: slot.spec.name, ...outcome });
      }),
    );
    return hooks.length > 0;
  }

  /** The pod object is gone (force delete): end its processes at once. */
  async kill(): Promise<void> {
    this.#stopped = true;
    this.#hooksAbort.abort();
    await this.terminate(0, false);
  }

  async cleanup(): Promise<void> {
    await rm(join(this.#podDir, 'volumes'), { recursive: true, force: true }).catch(() => undefined);
  }

  /** Whether the named container's process runs now. */
  containerRunning(name: string): boolean {
    return this.#slots.some((s) => s.spec.name === name && s.process?.running === true);
  }

  get containerNames(): string[] {
    return this.#slots.map((s) => s.spec.name);
  }

  get initializing(): boolean {
    return this.#phaseInit;
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGSEGV: 11,
    SIGABRT: 6,
  };
  return table[signal] ?? 1;
}
