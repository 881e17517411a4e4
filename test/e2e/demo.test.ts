// The README's first command, `flinkvisor demo`, as a newcomer uses it: it starts, prints how to reach
// everything, then the commands it prints are pasted into a shell one by one (each must work as
// printed), and Ctrl-C ends it (the summary tells the real running time; the environment's directory
// is gone). It runs the shipped example (deploy/examples/flinkdeployment-demo.yaml) as it is, so its
// Flink line is the example's and FLINKVISOR_E2E_FLINK does not apply.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { runCommand } from '../../src/devenv/run-command.ts';
import { waitFor } from '../../src/devenv/wait-for.ts';

/** formatDuration's output (`850ms`, `12.3s`, `23m04s`) in milliseconds. */
function parseDuration(text: string): number {
  const m = /^(?:(\d+)m(\d+)s|([\d.]+)s|(\d+)ms)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  if (m[1] !== undefined) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  if (m[3] !== undefined) return Number(m[3]) * 1000;
  return Number(m[4]);
}

const shell = (command: string) => runCommand('bash', ['-c', command], { timeoutMs: 60_000 });

describe('the demo', () => {
  it('brings up the environment and the operator, runs two jobs with savepoints; its printed commands work; Ctrl-C cleans up', async () => {
    const started = Date.now();
    const demo = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'demo', '--timeout', '600'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    demo.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    demo.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'the demo to be ready',
        async () => (stdout.includes('press Ctrl-C') ? true : undefined),
        {
          timeoutMs: 900_000,
          intervalMs: 1000,
          abortIf: () =>
            demo.exitCode !== null ? `the demo exited (${demo.exitCode}):\n${stdout}` : undefined,
        },
      );
      process.stderr.write(stdout);
      expect(stdout).toMatch(/flinkjob\.flinkvisor\.io\/demo-cars .*RUNNING/);
      expect(stdout).toMatch(/flinkjob\.flinkvisor\.io\/demo-trucks .*RUNNING/);
      expect(stdout).toMatch(/Flink UI and REST API: +http:\/\/127\.0\.0\.\d+:8081/);
      expect(stdout).toMatch(/both jobs RUNNING in \S+; demo ready in/);
      const visualizer = /^state machines: +(http:\/\/127\.0\.0\.\d+:\d+\/debug\/)$/m.exec(stdout)?.[1];
      expect(visualizer).toBeDefined();
      expect((await fetch(new URL('machines', visualizer))).status).toBe(200);
      const envDir = /^environment directory: +(\S+)/m.exec(stdout)?.[1] ?? '';
      await access(envDir);

      // Every printed command, run as printed; each kind has its check, and each check is used.
      const checks: [RegExp, (out: string) => void][] = [
        [/ get fd,fc,fj /, (out) => expect(out).toMatch(/flinkjob\.flinkvisor\.io\/demo-cars .*RUNNING/)],
        [/ logs \S+ --tail=5$/, (out) => expect(out.trimEnd().split('\n')).toHaveLength(5)],
        [/ clusters list /, (out) => expect(out).toMatch(/^demo\s/m)],
        [
          / jobs list /,
          (out) => {
            expect(out).toMatch(/\bcars\b/);
            expect(out).toMatch(/\btrucks\b/);
          },
        ],
        [/ visualize demo /, (out) => expect(out.trim()).toBe(visualizer)],
        [
          / annotate fj demo-cars /,
          (out) => expect(out).toContain('flinkjob.flinkvisor.io/demo-cars annotated'),
        ],
      ];
      const commands = [...stdout.matchAll(/^ {2}\$ (.+)$/gm)].map((m) => m[1] ?? '');
      expect(commands.length).toBe(checks.length);
      const used = new Set<RegExp>();
      for (const command of commands) {
        const matching = checks.filter(([pattern]) => pattern.test(command));
        expect(matching, command).toHaveLength(1);
        const [pattern, check] = matching[0]!;
        used.add(pattern);
        const { stdout: out } = await shell(command);
        process.stderr.write(`$ ${command}\n${out}`);
        check(out);
      }
      expect(used.size).toBe(checks.length);

      // Ctrl-C: everything stops, the summary counts the whole run, the directory is removed.
      const interrupted = Date.now();
      demo.kill('SIGINT');
      expect(
        await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 120_000))]),
      ).toBe(0);
      const ended = Date.now();
      const ran = /done \(demo ran (\S+)\)/.exec(stdout)?.[1];
      expect(ran).toBeDefined();
      const reportedMs = parseDuration(ran ?? '');
      expect(reportedMs).toBeGreaterThanOrEqual(interrupted - started - 5000);
      expect(reportedMs).toBeLessThanOrEqual(ended - started + 1000);
      await expect(access(envDir)).rejects.toThrow(/ENOENT/);
    } finally {
      if (demo.exitCode === null) {
        demo.kill('SIGINT');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
        demo.kill('SIGKILL');
      }
    }
  });
});
