// Draws a machine as Mermaid `stateDiagram-v2` plus Markdown tables of its states and rules.
// Pure: walks the machine's state nodes, including eventless `always` transitions, which xstate's
// own toDirectedGraph omits. `flinkvisor machines render` writes the result to docs/machines/.
import type { AnyStateMachine } from 'xstate';

/** The parts of an xstate StateNode the renderer reads (it is structurally a StateNode). */
interface NodeLike {
  readonly id: string;
  readonly key: string;
  readonly path: readonly string[];
  readonly type: string;
  readonly description?: string | undefined;
  readonly meta?: unknown;
  readonly states: Readonly<Record<string, NodeLike>>;
  readonly initial?: { readonly target: readonly NodeLike[] } | undefined;
  readonly transitions: ReadonlyMap<string, readonly TransitionLike[]>;
  readonly always?: readonly TransitionLike[] | undefined;
  readonly invoke: readonly { readonly id: string; readonly src: unknown }[];
}

interface TransitionLike {
  readonly eventType: string;
  readonly guard?: unknown;
  readonly target?: readonly NodeLike[] | undefined;
  readonly actions: readonly unknown[];
  readonly description?: string | undefined;
}

/** One transition of the machine, in the order xstate tries it. */
export interface MachineRule {
  /** Dotted path of the state node that declares it ('' for the root). */
  readonly source: string;
  readonly event: string;
  /** Position among the transitions of that node for that event (0 = tried first). */
  readonly index: number;
  readonly guard: string | null;
  /** Dotted paths of the targets (empty: stays, only actions). */
  readonly targets: readonly string[];
  readonly actions: readonly string[];
  readonly description: string | null;
}

function nodePath(node: NodeLike): string {
  return node.path.join('.');
}

function mermaidId(node: NodeLike): string {
  return node.path.length === 0 ? 'root' : node.path.join('_');
}

/** Short label of an event type: xstate.done.actor.persist → done(persist). */
export function eventLabel(eventType: string): string {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(eventType);
  if (done) return `done(${done[1]})`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(eventType);
  if (error) return `error(${error[1]})`;
  return eventType === '' ? 'always' : eventType;
}

/** Readable label of a guard: a name, and(...)/or(...)/not(...) of names, or "inline". */
export function guardLabel(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof (guard as { type: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  if (typeof guard === 'function') {
    const parts = (guard as { guards?: unknown }).guards;
    const name = (guard as { name?: string }).name;
    if (Array.isArray(parts)) {
      const labels = parts.map((part) => guardLabel(part) ?? 'inline');
      if (name === 'not') return `not ${labels[0] ?? 'inline'}`;
      return labels.join(name === 'or' ? ' or ' : ' and ');
    }
    const stateValue = (guard as { stateValue?: unknown }).stateValue;
    if (stateValue !== undefined) return `in ${String(stateValue)}`;
    return 'inline';
  }
  return 'inline';
}

function actionLabel(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action) {
    const { type, params } = action as { type: string; params?: unknown };
    if (params !== undefined && typeof params === 'object' && params !== null) {
      const values = Object.entries(params as Record<string, unknown>).map(
        ([key, value]) => `${key}=${String(value)}`,
      );
      return `${type}(${values.join(', ')})`;
    }
    return type;
  }
  return 'inline';
}

function children(node: NodeLike): NodeLike[] {
  return Object.values(node.states);
}

function allNodes(node: NodeLike): NodeLike[] {
  return [node, ...children(node).flatMap((child) => allNodes(child))];
}

function rulesOf(node: NodeLike): MachineRule[] {
  const rules: MachineRule[] = [];
  const add = (event: string, list: readonly TransitionLike[]) => {
    list.forEach((transition, index) => {
      rules.push({
        source: nodePath(node),
        event,
        index,
        guard: guardLabel(transition.guard),
        targets: (transition.target ?? []).map((target) => nodePath(target)),
        actions: transition.actions.map((action) => actionLabel(action)),
        description: transition.description ?? null,
      });
    });
  };
  for (const [eventType, list] of node.transitions) add(eventType, list);
  if (node.always !== undefined && node.always.length > 0) add('', node.always);
  return rules;
}

/** Every transition of the machine, node by node in document order. */
export function machineRules(machine: AnyStateMachine): MachineRule[] {
  return allNodes(machine.root as unknown as NodeLike).flatMap((node) => rulesOf(node));
}

function isDescendant(node: NodeLike, ancestor: NodeLike): boolean {
  return node.path.length > ancestor.path.length && ancestor.path.every((key, i) => node.path[i] === key);
}

function safe(text: string): string {
  // Mermaid ends a label at '#' and ';' and breaks quoted names at '"'.
  return text.replace(/[#;"]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The machine as a Mermaid stateDiagram-v2 (without the fence). */
export function renderMermaid(machine: AnyStateMachine): string {
  const root = machine.root as unknown as NodeLike;
  const lines: string[] = ['stateDiagram-v2'];
  // Rules a composite state declares towards its own sub-states start from an "any sub-state"
  // pseudo-state inside it (an edge from a composite to its own child cannot be drawn).
  const anySources = new Set<string>();
  for (const node of allNodes(root)) {
    for (const rule of rulesOf(node)) {
      const targets = rule.targets.map((target) => findNode(root, target));
      if (targets.some((target) => target !== undefined && isDescendant(target, node)))
        anySources.add(node.id);
    }
  }
  const declare = (node: NodeLike, indent: string) => {
    const kids = children(node);
    const label = safe(node.key);
    if (kids.length === 0) {
      lines.push(`${indent}state "${label}" as ${mermaidId(node)}`);
      return;
    }
    lines.push(`${indent}state "${label}" as ${mermaidId(node)} {`);
    const initial = node.initial?.target[0];
    for (const kid of kids) declare(kid, `${indent}  `);
    if (anySources.has(node.id)) lines.push(`${indent}  state "any sub-state" as ${mermaidId(node)}__any`);
    if (initial !== undefined) lines.push(`${indent}  [*] --> ${mermaidId(initial)}`);
    lines.push(`${indent}}`);
  };
  for (const top of children(root)) declare(top, '  ');
  const initial = root.initial?.target[0];
  if (initial !== undefined) lines.push(`  [*] --> ${mermaidId(initial)}`);
  for (const node of allNodes(root)) {
    const rules = rulesOf(node);
    const perEvent = new Map<string, number>();
    for (const rule of rules) perEvent.set(rule.event, (perEvent.get(rule.event) ?? 0) + 1);
    for (const rule of rules) {
      for (const targetPath of rule.targets) {
        const target = findNode(root, targetPath);
        if (target === undefined) continue;
        const from = isDescendant(target, node) ? `${mermaidId(node)}__any` : mermaidId(node);
        const numbered = (perEvent.get(rule.event) ?? 0) > 1 ? ` ${rule.index}` : '';
        const guard = rule.guard === null ? '' : ` ${rule.guard}`;
        lines.push(
          `  ${from} --> ${mermaidId(target)} : ${safe(`${eventLabel(rule.event)}${numbered}${guard}`)}`,
        );
      }
    }
    if (node.type === 'final') lines.push(`  ${mermaidId(node)} --> [*]`);
  }
  return `${lines.join('\n')}\n`;
}

function findNode(root: NodeLike, path: string): NodeLike | undefined {
  if (path === '') return root;
  let node: NodeLike | undefined = root;
  for (const key of path.split('.')) node = node?.states[key];
  return node;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A Markdown page: the diagram, the states and every rule in the order they are tried. */
export function renderMachineDoc(machine: AnyStateMachine, title: string): string {
  const root = machine.root as unknown as NodeLike;
  const out: string[] = [
    `# ${title}`,
    '',
    '<!-- Generated by `flinkvisor machines render` from src/machines; do not edit by hand. -->',
    '',
    root.description ?? '',
    '',
    'Rows of one state and event are tried top to bottom; the first whose guard passes is taken.',
    'Rules declared on a parent state apply in all of its sub-states ("any sub-state" in the diagram).',
    'See src/machines/README.md for the events, effects and persisted context.',
    '',
    '```mermaid',
    renderMermaid(machine).trimEnd(),
    '```',
    '',
    '## States',
    '',
    '| State | Description | Effects (invoke id: actor) | Restores as |',
    '| --- | --- | --- | --- |',
  ];
  for (const node of allNodes(root).slice(1)) {
    const effects = node.invoke.map((invoke) => `${invoke.id}: ${String(invoke.src)}`).join(', ');
    const resumeAs = (node.meta as { resumeAs?: string } | undefined)?.resumeAs ?? '';
    out.push(
      `| ${cell(nodePath(node))}${node.type === 'final' ? ' (final)' : ''} | ${cell(node.description ?? '')} | ${cell(effects)} | ${cell(resumeAs.replace(/^[^.]+\./, ''))} |`,
    );
  }
  out.push('', '## Rules', '');
  for (const node of allNodes(root)) {
    const rules = rulesOf(node);
    if (rules.length === 0) continue;
    out.push(`### ${node.path.length === 0 ? '(every state)' : nodePath(node)}`, '');
    out.push('| Event | # | Guard | Target | Actions | Rule |', '| --- | --- | --- | --- | --- | --- |');
    for (const rule of rules) {
      out.push(
        `| ${cell(eventLabel(rule.event))} | ${rule.index} | ${cell(rule.guard ?? '')} | ${cell(rule.targets.join(', ') || '(stay)')} | ${cell(rule.actions.join(', '))} | ${cell(rule.description ?? '')} |`,
      );
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
