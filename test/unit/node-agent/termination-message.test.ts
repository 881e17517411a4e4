// A container's termination message as the node agent keeps it (the kubelet's terminationMessagePath).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computePodStatus, type PodRecord } from '../../../src/node-agent/pod-status.ts';
import {
  MAX_TERMINATION_MESSAGE_BYTES,
  readTerminationMessage,
  resetTerminationMessage,
  terminationMessageFile,
  terminationMessageMount,
} from '../../../src/node-agent/termination-message.ts';
import { rewritePathsIn } from '../../../src/node-agent/volume-paths.ts';

describe('termination messages', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'termination-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("maps the container's path (default /dev/termination-log) to its own file, arguments included", () => {
    const mount = terminationMessageMount({ name: 'c' }, dir);
    expect(mount).toEqual({
      mountPath: '/dev/termination-log',
      hostPath: terminationMessageFile(dir),
      readOnly: false,
    });
    expect(rewritePathsIn('--report=/dev/termination-log', [mount])).toBe(
      `--report=${terminationMessageFile(dir)}`,
    );
    expect(terminationMessageMount({ name: 'c', terminationMessagePath: '/run/msg' }, dir).mountPath).toBe(
      '/run/msg',
    );
  });

  it("is this run's: reset before each, read (at most 4096 bytes) after", async () => {
    const log = join(dir, 'c.log');
    await writeFile(terminationMessageFile(dir), 'from the run before');
    await resetTerminationMessage(dir);
    expect(await readFile(terminationMessageFile(dir), 'utf8')).toBe('');
    expect(await readTerminationMessage({ name: 'c' }, dir, 0, log)).toBeUndefined();
    await writeFile(terminationMessageFile(dir), 'x'.repeat(5000));
    expect(await readTerminationMessage({ name: 'c' }, dir, 0, log)).toHaveLength(
      MAX_TERMINATION_MESSAGE_BYTES,
    );
  });

  it('falls back to the end of the log after a failure, with FallbackToLogsOnError only', async () => {
    const log = join(dir, 'c.log');
    await resetTerminationMessage(dir);
    await writeFile(log, 'starting\nAccessDenied: no\n');
    const fallback = { name: 'c', terminationMessagePolicy: 'FallbackToLogsOnError' };
    expect(await readTerminationMessage(fallback, dir, 1, log)).toContain('AccessDenied');
    expect(await readTerminationMessage(fallback, dir, 0, log)).toBeUndefined();
    expect(await readTerminationMessage({ name: 'c' }, dir, 1, log)).toBeUndefined();
  });

  it("shows in the container's terminated state", () => {
    const pod: PodRecord = {
      podIp: '127.0.0.10',
      hostIp: '127.0.0.1',
      startedAt: 0,
      restartPolicy: 'Never',
      initContainers: [],
      containers: [
        {
          name: 'search',
          image: 'flinkvisor:0.1.0',
          phase: {
            kind: 'terminated',
            exitCode: 0,
            reason: 'Completed',
            startedAt: 0,
            finishedAt: 1,
            message: '{"savepoints":[]}',
          },
          restartCount: 0,
          ready: false,
          init: false,
        },
      ],
    };
    expect(computePodStatus(pod, 2).containerStatuses?.[0]?.state?.terminated?.message).toBe(
      '{"savepoints":[]}',
    );
  });
});
