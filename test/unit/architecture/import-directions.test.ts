// docs/architecture.md is the rule; eslint.config.js enforces it. These tests read the doc's
// directions table and its Mermaid diagram, and run ESLint (its Node API, the repository's own
// config) on small snippets placed inside each room, so the three cannot drift apart.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const VERSION = 'version.ts';

/** The rooms that exist: every folder of src/ and every file at its top. */
function roomsOnDisk(): string[] {
  return readdirSync(join(ROOT, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
    .map((entry) => entry.name)
    .sort();
}

/** The "Rooms" table: room → the rooms it may import. */
function directionsTable(): Map<string, string[]> {
  const rows = DOC.split('\n').filter((line) => /^\| `[^`]+` +\|/.test(line));
  const cells = rows.map((line) => line.split('|').map((cell) => cell.trim()));
  const rooms = cells.map((c) => c[1]!.replaceAll('`', ''));
  const table = new Map<string, string[]>();
  for (const [i, c] of cells.entries()) {
    const room = rooms[i]!;
    const mayImport = c[3]!;
    if (mayImport === 'nothing') table.set(room, []);
    else if (mayImport === 'every other room')
      table.set(
        room,
        rooms.filter((r) => r !== room),
      );
    else
      table.set(
        room,
        [...mayImport.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
      );
  }
  return table;
}

/** The Mermaid diagram's arrows, with `cli --> rooms` spread over the subgraph's members. */
function diagramEdges(): Set<string> {
  const block = /```mermaid\n([\s\S]*?)```/.exec(DOC)?.[1] ?? '';
  const labels = new Map<string, string>();
  const members = new Map<string, string[]>();
  let subgraph: string | undefined;
  const edges = new Set<string>();
  for (const line of block.split('\n').map((l) => l.trim())) {
    const start = /^subgraph (\w+)/.exec(line);
    const node = /^(\w+)\[([^\]]+)\]$/.exec(line);
    const edge = /^(\w+) --> (\w+)$/.exec(line);
    if (start) {
      subgraph = start[1]!;
      members.set(subgraph, []);
    } else if (line === 'end') subgraph = undefined;
    else if (node) {
      labels.set(node[1]!, node[2]!);
      if (subgraph) members.get(subgraph)!.push(node[2]!);
    } else if (edge) {
      const from = labels.get(edge[1]!) ?? edge[1]!;
      for (const to of members.get(edge[2]!) ?? [labels.get(edge[2]!) ?? edge[2]!])
        edges.add(`${from} -> ${to}`);
    }
  }
  return edges;
}

/** Where a snippet of `room` is linted: a file directly in it (src/version.ts is its own room). */
function probePath(room: string, depth: 1 | 2 = 1): string {
  if (room === VERSION) return join(ROOT, 'src', VERSION);
  return depth === 1
    ? join(ROOT, 'src', room, 'architecture-probe.ts')
    : join(ROOT, 'src', room, 'nested', 'architecture-probe.ts');
}

/** The specifier a file of `room` writes to reach a module of `target`. */
function specifier(room: string, target: string, depth: 1 | 2 = 1): string {
  const prefix = room === VERSION ? './' : depth === 1 ? '../' : '../../';
  return target === VERSION ? `${prefix}${VERSION}` : `${prefix}${target}/some-module.ts`;
}

const table = directionsTable();
const rooms = [...table.keys()].sort();

describe('docs/architecture.md', () => {
  it('has a row for every room of src/ and no other', () => {
    expect(rooms).toEqual(roomsOnDisk());
  });

  it('names only rooms in its directions', () => {
    for (const allowed of table.values()) for (const target of allowed) expect(rooms).toContain(target);
  });

  it('draws exactly the table’s directions (version.ts left out of the drawing)', () => {
    const fromTable = [...table].flatMap(([room, allowed]) =>
      room === VERSION ? [] : allowed.filter((t) => t !== VERSION).map((t) => `${room} -> ${t}`),
    );
    expect([...diagramEdges()].sort()).toEqual(fromTable.sort());
  });

  it('lets every room but api, machines, flink and storage read version.ts', () => {
    const readers = rooms.filter((room) => table.get(room)!.includes(VERSION)).sort();
    expect(readers).toEqual(
      rooms.filter((r) => !['api', 'machines', 'flink', 'storage', VERSION].includes(r)),
    );
  });

  it('has directions without a cycle, and nobody imports cli', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (room: string, path: string[]): void => {
      if (done.has(room)) return;
      if (visiting.has(room)) throw new Error(`cycle: ${[...path, room].join(' -> ')}`);
      visiting.add(room);
      for (const target of table.get(room)!) visit(target, [...path, room]);
      visiting.delete(room);
      done.add(room);
    };
    for (const room of rooms) visit(room, []);
    for (const [room, allowed] of table) if (room !== 'cli') expect(allowed).not.toContain('cli');
  });

  it('keeps devenv out of the product and the product rooms out of devenv', () => {
    const importers = rooms.filter((room) => table.get(room)!.includes('devenv')).sort();
    expect(importers).toEqual(['cli', 'demo', 'install', 'node-agent']);
    for (const product of ['operator', 'supervisor', 'control-api', 'cli', 'bootstrap'])
      expect(table.get('devenv')).not.toContain(product);
  });
});

describe('the lint enforces the directions table', () => {
  let eslint: ESLint;
  // Loading the config and the TypeScript parser takes a few seconds, once: done here, not in a test.
  beforeAll(async () => {
    eslint = new ESLint({ cwd: ROOT });
    await eslint.lintText('export {};\n', { filePath: probePath('api') });
  }, 60_000);

  async function lint(filePath: string, code: string) {
    const [result] = await eslint.lintText(code, { filePath });
    return result!.messages;
  }

  /** The rooms whose import the lint reports, for a file of `room` that imports every other room. */
  async function reportedTargets(room: string, depth: 1 | 2 = 1): Promise<string[]> {
    const targets = rooms.filter((t) => t !== room);
    const code = targets.map((t) => `import '${specifier(room, t, depth)}';`).join('\n') + '\n';
    const messages = await lint(probePath(room, depth), code);
    for (const m of messages) expect(m.ruleId).toBe('no-restricted-imports');
    return messages.map((m) => targets[m.line - 1]!).sort();
  }

  it('reports an operator that imports the supervisor, and names the direction', async () => {
    const messages = await lint(
      probePath('operator'),
      "import type { CustomObject } from '../supervisor/custom-resources.ts';\nexport type X = CustomObject;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]!.ruleId).toBe('no-restricted-imports');
    expect(messages[0]!.message).toContain('src/operator may not import src/supervisor');
  });

  it('lets the operator import kube', async () => {
    const messages = await lint(
      probePath('operator'),
      "import { isNotFound } from '../kube/errors.ts';\nexport const notFound = isNotFound;\n",
    );
    expect(messages).toEqual([]);
  });

  it.each(rooms)('%s: reports exactly the rooms its row does not allow', async (room) => {
    const forbidden = rooms.filter((t) => t !== room && !table.get(room)!.includes(t)).sort();
    expect(await reportedTargets(room)).toEqual(forbidden);
  });

  it('reads ../../x/ from a folder two levels down (src/cli/commands and the like)', async () => {
    expect(await reportedTargets('cli', 2)).toEqual([]);
    const forbidden = rooms.filter((t) => t !== 'devenv' && !table.get('devenv')!.includes(t)).sort();
    expect(await reportedTargets('devenv', 2)).toEqual(forbidden);
  });

  it('does not take a sibling file for a room (../supervisor-deployment.ts is not ../supervisor/)', async () => {
    expect(
      await lint(probePath('kube'), "import '../supervisor-deployment.ts';\nimport './supervisor/x.ts';\n"),
    ).toEqual([]);
  });

  it('reports re-exports and dynamic imports of a forbidden room as well', async () => {
    const messages = await lint(
      probePath('control-api'),
      [
        "export * from '../operator/operator.ts';",
        "export { x } from '../supervisor/supervisor.ts';",
        "export const load = () => import('../cli/main.ts');",
        "export const allowed = () => import('../kube/errors.ts');",
      ].join('\n'),
    );
    expect(messages.map((m) => [m.line, m.ruleId])).toEqual([
      [1, 'no-restricted-imports'],
      [2, 'no-restricted-imports'],
      [3, 'no-restricted-syntax'],
    ]);
  });

  it('keeps the machines pure: the purity patterns of ADR 0001 still fire beside the room patterns', async () => {
    const packages = ['undici', '@kubernetes/client-node', 'pino', 'prom-client', 'node:fs'];
    const code =
      [
        ...packages.map((p) => `import '${p}';`),
        "import '../api/names.ts';",
        "import 'xstate';",
        "import './ids.ts';",
      ].join('\n') + '\nexport const now = Date.now();\n';
    const messages = await lint(probePath('machines'), code);
    const purity = messages.filter((m) => m.message.includes('Machines are pure'));
    expect(purity.map((m) => m.line)).toEqual([1, 2, 3, 4, 5]);
    const room = messages.filter((m) => m.message.includes('src/machines may not import src/api'));
    expect(room.map((m) => m.line)).toEqual([6]);
    const clock = messages.filter((m) => m.ruleId === 'no-restricted-properties');
    expect(clock.map((m) => m.line)).toEqual([9]);
    expect(messages).toHaveLength(7);
  });
});
