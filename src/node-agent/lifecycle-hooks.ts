// A container's `preStop` exec hook, run as the kubelet runs it: in the container's environment,
// before the container gets SIGTERM on a graceful deletion, bounded by the pod's grace period
// (a hook still running then is killed, and the container gets the kubelet's 2 s extension).
import type { V1Container } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { signalGroup } from '../devenv/managed-process.ts';

/** What the kubelet adds to a grace period the preStop hook used up: a one-off 2 s for SIGTERM. */
export const PRESTOP_EXTENSION_MS = 2000;

export type HookOutcome =
  | { readonly kind: 'exited'; readonly code: number | null }
  | { readonly kind: 'timedOut' }
  | { readonly kind: 'failed'; readonly message: string };

/** The command of a container's preStop exec hook, or undefined when it has none (httpGet/sleep hooks are not run). */
export function preStopCommand(container: V1Container): readonly string[] | undefined {
  const command = container.lifecycle?.preStop?.exec?.command;
  return command && command.length > 0 ? command : undefined;
}

/**
 * Runs `command` (its first word as given, paths already mapped by the caller) in its own process
 * group with `env` and `cwd`; resolves when it exits, or kills the group at `timeoutMs`.
 */
export function runExecHook(
  command: readonly string[],
  options: {
    readonly env: Record<string, string>;
    readonly cwd: string;
    readonly timeoutMs: number;
    /** Aborted: the pod is force-deleted meanwhile; the hook is killed as at its timeout. */
    readonly signal?: AbortSignal;
  },
): Promise<HookOutcome> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.resolve({ kind: 'failed', message: 'empty command' });
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: 'ignore',
      detached: true,
    });
    let timedOut = false;
    const killHook = () => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    };
    const timer = setTimeout(killHook, Math.max(0, options.timeoutMs));
    options.signal?.addEventListener('abort', killHook, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'failed', message: err.message });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      // The hook's own children (a `sleep` it waits on) go with it.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      resolve(timedOut ? { kind: 'timedOut' } : { kind: 'exited', code });
    });
  });
}
