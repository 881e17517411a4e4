// The README's first command, as CI runs it: `flinkvisor demo --exit-after-success`. It runs the shipped
// example (deploy/examples/flinkdeployment-demo.yaml) as it is, so its Flink line is the example's and
// FLINKVISOR_E2E_FLINK does not apply.
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/devenv/node-agent-process.ts';
import { runCommand } from '../../src/devenv/run-command.ts';
import { join } from 'node:path';

describe('the demo', () => {
  it('brings up the environment and the operator, runs two jobs with savepoints, and cleans up', async () => {
    const started = Date.now();
    const { stdout } = await runCommand(
      process.execPath,
      [join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), 'demo', '--exit-after-success', '--timeout', '600'],
      {
        timeoutMs: 900_000,
      },
    );
    process.stderr.write(stdout);
    expect(stdout).toMatch(/flinkjob\.flinkvisor\.io\/demo-cars .*RUNNING/);
    expect(stdout).toMatch(/flinkjob\.flinkvisor\.io\/demo-trucks .*RUNNING/);
    expect(stdout).toMatch(/Flink UI and REST API: +http:\/\/127\.0\.0\.\d+:8081/);
    expect(stdout).toMatch(/both jobs RUNNING in \S+; demo ready in/);
    expect(stdout).toContain('done (demo ran');
    expect(Date.now() - started).toBeGreaterThan(0);
  });
});
