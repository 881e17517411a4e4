// The machine's Mermaid drawing (src/machines/render-mermaid.ts) with the active state and its
// ancestors in a highlighted class: paste it into any Mermaid renderer, or a GitHub comment.
import type { AnyStateMachine } from 'xstate';
import { renderMermaid } from '../machines/render-mermaid.ts';
import { statePaths } from './sanitize.ts';

/** The Mermaid id render-mermaid.ts gives the state at this dotted path. */
export function mermaidStateId(path: string): string {
  return path === '' ? 'root' : path.split('.').join('_');
}

export function renderActiveMermaid(machine: AnyStateMachine, active: unknown): string {
  const ids = new Set<string>();
  for (const leaf of statePaths(active)) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i += 1) ids.add(mermaidStateId(parts.slice(0, i).join('.')));
  }
  const lines = [renderMermaid(machine).trimEnd()];
  lines.push('  classDef active fill:#aceebb,stroke:#1a7f37,stroke-width:3px,font-weight:bold');
  if (ids.size > 0) lines.push(`  class ${[...ids].join(',')} active`);
  return `${lines.join('\n')}\n`;
}
