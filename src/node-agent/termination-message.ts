// A container's termination message (the kubelet's terminationMessagePath): the file a container
// writes before it exits, shown in `status.containerStatuses[].state.terminated.message`. Without
// mount namespaces the path is mapped to a file of the container's own directory, and every
// argument naming it is rewritten (volume-paths.ts), so `--report=/dev/termination-log` reaches it.
import type { V1Container } from '@kubernetes/client-node';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountMapping } from './volume-paths.ts';

/** The kubelet's default terminationMessagePath. */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** The kubelet keeps at most this much of a message. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;

export function terminationMessageFile(containerDir: string): string {
  return join(containerDir, 'termination-log');
}

export function terminationMessageMount(container: V1Container, containerDir: string): MountMapping {
  return {
    mountPath: container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH,
    hostPath: terminationMessageFile(containerDir),
    readOnly: false,
  };
}

/** An empty file before each run, as the kubelet gives each container: a message is this run's. */
export async function resetTerminationMessage(containerDir: string): Promise<void> {
  await writeFile(terminationMessageFile(containerDir), '');
}

async function readHead(file: string, bytes: number, fromEnd: boolean): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, fromEnd ? size - length : 0);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * The message of a run that ended: the file's first 4096 bytes; with FallbackToLogsOnError and an
 * empty file after a failure, the end of the run's log instead. Undefined when there is none.
 */
export async function readTerminationMessage(
  container: V1Container,
  containerDir: string,
  exitCode: number,
  logFile: string,
): Promise<string | undefined> {
  const written = await readHead(
    terminationMessageFile(containerDir),
    MAX_TERMINATION_MESSAGE_BYTES,
    false,
  ).catch(() => '');
  if (written !== '') return written;
  if (container.terminationMessagePolicy !== 'FallbackToLogsOnError' || exitCode === 0) return undefined;
  const tail = await readHead(logFile, 2048, true).catch(() => '');
  return tail === '' ? undefined : tail;
}
