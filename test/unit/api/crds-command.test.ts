import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCrdFiles } from '../../../src/api/crd-files.ts';
import { renderCrdFiles } from '../../../src/api/crd-manifests.ts';
import { exitCodeFor } from '../../../src/cli/exit-codes.ts';
import { buildProgram } from '../../../src/cli/program.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flinkvisor-crds-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; stdout: string; error?: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const program = buildProgram({ env: {}, stdout, stderr: new PassThrough() });
  try {
    await program.parseAsync(['node', 'flinkvisor', ...args]);
    return { code: 0, stdout: Buffer.concat(chunks).toString() };
  } catch (err) {
    return {
      code: exitCodeFor(err),
      stdout: Buffer.concat(chunks).toString(),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

describe('flinkvisor crds generate', () => {
  it('writes one file per CRD, and --check then passes', async () => {
    const generated = await run('crds', 'generate', '--dir', dir);
    expect(generated.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([
      'flinkvisor.io_flinkclusters.yaml',
      'flinkvisor.io_flinkdeployments.yaml',
      'flinkvisor.io_flinkjobs.yaml',
      'flinkvisor.io_flinksavepoints.yaml',
    ]);
    for (const [file, content] of renderCrdFiles())
      expect(await readFile(join(dir, file), 'utf8')).toBe(content);
    const checked = await run('crds', 'generate', '--check', '--dir', dir);
    expect(checked).toMatchObject({ code: 0, stdout: expect.stringContaining('up to date') });
  });

  it('--check exits non-zero and names the drifting, missing and stray files', async () => {
    await run('crds', 'generate', '--dir', dir);
    const jobs = join(dir, 'flinkvisor.io_flinkjobs.yaml');
    await writeFile(jobs, (await readFile(jobs, 'utf8')).replace('savepointTargetPath', 'savepointTarget'));
    await rm(join(dir, 'flinkvisor.io_flinkclusters.yaml'));
    await writeFile(join(dir, 'flinkvisor.io_flinksessions.yaml'), 'kind: CustomResourceDefinition\n');
    const checked = await run('crds', 'generate', '--check', '--dir', dir);
    expect(checked.code).toBe(1);
    expect(checked.error).toContain('flinkvisor.io_flinkjobs.yaml (outdated)');
    expect(checked.error).toContain('flinkvisor.io_flinkclusters.yaml (missing)');
    expect(checked.error).toContain('flinkvisor.io_flinksessions.yaml (unexpected)');
    expect(await checkCrdFiles(dir)).toContainEqual({
      file: 'flinkvisor.io_flinkdeployments.yaml',
      state: 'up-to-date',
    });
  });

  it('--check on a missing directory reports every file missing', async () => {
    const checked = await run('crds', 'generate', '--check', '--dir', join(dir, 'nope'));
    expect(checked.code).toBe(1);
    expect(checked.error).toMatch(
      /flinkdeployments\.yaml \(missing\).*flinkclusters\.yaml \(missing\).*flinkjobs\.yaml \(missing\)/,
    );
  });
});
