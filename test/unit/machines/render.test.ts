// The drawings: the Mermaid renderer, the generated pages, and the drift check of
// `flinkvisor machines render --check` against the committed docs/machines/*.md.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { toDirectedGraph } from 'xstate/graph';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MachineDrawingsDriftError,
  registerMachinesCommands,
  renderMachineDrawings,
} from '../../../src/cli/commands/machines.ts';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import { machineDocuments } from '../../../src/machines/documents.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import { eventLabel, guardLabel, machineRules, renderMermaid } from '../../../src/machines/render-mermaid.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');

describe('Mermaid rendering', () => {
  it('draws eventless always edges, which xstate toDirectedGraph omits', () => {
    const mermaid = renderMermaid(jobMachine);
    expect(mermaid).toContain('Stopping_Done --> Terminated : always 2 stopDeletes');
    expect(mermaid).toContain('Stopping_Done --> Starting : always 3 stopRestarts');
    expect(mermaid).toContain('Started --> Stopping : always 1 pendingStop');
    type Node = { edges: { label: { text: string } }[]; children: Node[] };
    const edges = (node: Node): string[] => [
      ...node.edges.map((e) => e.label.text),
      ...node.children.flatMap(edges),
    ];
    const xstateEdges = edges(toDirectedGraph(jobMachine) as unknown as Node);
    const always = machineRules(jobMachine).filter((rule) => rule.event === '' && rule.targets.length > 0);
    expect(xstateEdges.filter((text) => text === '' || text === 'always')).toEqual([]);
    expect(always.length).toBeGreaterThan(5);
    expect(mermaid.match(/ : always /g)?.length).toBe(always.length);
  });

  it('declares every state once, with unique ids, and marks the final one', () => {
    for (const machine of [jobMachine, clusterMachine]) {
      const mermaid = renderMermaid(machine);
      const ids = [...mermaid.matchAll(/ as (\w+)/g)].map((match) => match[1]);
      expect(new Set(ids).size).toBe(ids.length);
      expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
      expect(mermaid).toContain('Terminated --> [*]');
      expect(mermaid).not.toMatch(/:[^\n]*[#;]/);
    }
  });

  it('labels events and composite guards readably', () => {
    expect(eventLabel('xstate.done.actor.persist')).toBe('done(persist)');
    expect(eventLabel('xstate.error.actor.cancelJob')).toBe('error(cancelJob)');
    expect(eventLabel('')).toBe('always');
    const rule = machineRules(jobMachine).find((r) => r.description?.startsWith('J.Stopping.6 '));
    expect(rule?.guard).toBe(
      'flinkJobGone and not inSavepointStop and not inFinishingSavepoint and not choosingSnapshot',
    );
    expect(guardLabel(undefined)).toBeNull();
  });

  it('lists every rule with its target and order', () => {
    const rules = machineRules(clusterMachine).filter(
      (r) => r.source === 'Started' && r.event === 'OBSERVED',
    );
    expect(rules.map((r) => r.index)).toEqual(rules.map((_, i) => i));
    expect(rules[1]).toMatchObject({ guard: 'deletionRequested', targets: ['Stopping'] });
  });
});

describe('docs/machines', () => {
  it('the committed drawings match the machines (run `flinkvisor machines render` after a change)', async () => {
    for (const document of machineDocuments()) {
      const committed = await readFile(path.join(REPO, 'docs', 'machines', document.file), 'utf8');
      expect(committed, document.file).toBe(document.content);
    }
  });

  describe('machines render', () => {
    let dir = '';
    afterEach(async () => {
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    });

    it('writes the pages, then --check passes; a hand edit makes --check fail', async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'flinkvisor-machines-'));
      const out: string[] = [];
      const program = new Command().exitOverride();
      registerMachinesCommands(program, {
        env: {},
        stdout: { write: (text: string) => out.push(text) } as never,
        stderr: { write: () => true } as never,
      });
      await program.parseAsync(['machines', 'render', '--out', dir], { from: 'user' });
      expect(out.join('')).toContain('wrote 2 file(s)');
      await program.parseAsync(['machines', 'render', '--out', dir, '--check'], { from: 'user' });
      expect(out.join('')).toContain('up to date');
      await writeFile(path.join(dir, 'job.md'), 'stale');
      await expect(
        program.parseAsync(['machines', 'render', '--out', dir, '--check'], { from: 'user' }),
      ).rejects.toThrow(MachineDrawingsDriftError);
      expect(await readFile(path.join(dir, 'job.md'), 'utf8')).toBe('stale');
      expect((await renderMachineDrawings(dir, false)).written).toEqual([path.join(dir, 'job.md')]);
    });
  });
});
