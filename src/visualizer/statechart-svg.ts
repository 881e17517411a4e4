// Draws a machine as nested boxes in SVG, with the active state, the previous one and the states
// passed through on the way marked. The lifecycle reads left to right (one column per top-level
// state, sub-states stacked inside); each box names the effects its state invokes. Pure and
// self-contained: the page shows it as an <img>, so nothing is fetched from anywhere else.
import type { AnyStateMachine } from 'xstate';
import { statePaths } from './sanitize.ts';

interface NodeLike {
  readonly key: string;
  readonly path: readonly string[];
  readonly type: string;
  readonly description?: string | undefined;
  readonly states: Readonly<Record<string, NodeLike>>;
  readonly invoke: readonly { readonly id: string }[];
}

export interface StatechartMarks {
  /** The active state value or dotted path(s). */
  readonly active: unknown;
  /** Dotted path of the state before the last transition. */
  readonly previous?: string | undefined;
  /** Dotted paths passed through in the last transition. */
  readonly via?: readonly string[] | undefined;
  readonly title?: string | undefined;
}

const CHAR = 7.3;
const LEAF_HEIGHT = 24;
const EFFECT_LINE = 13;
const HEADER = 22;
const PAD = 7;
const GAP = 6;
const COLUMN_GAP = 14;
const MARGIN = 10;
const TITLE_HEIGHT = 24;
const LEGEND_HEIGHT = 26;

interface Box {
  readonly node: NodeLike;
  readonly path: string;
  readonly children: Box[];
  minWidth: number;
  width: number;
  height: number;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function effectsText(node: NodeLike): string {
  return node.invoke.map((invoke) => invoke.id).join(', ');
}

function measure(node: NodeLike): Box {
  const children = Object.values(node.states).map((child) => measure(child));
  const effects = effectsText(node);
  const labelWidth = Math.max(node.key.length * CHAR, effects.length * CHAR * 0.85) + 2 * PAD + 8;
  const path = node.path.join('.');
  if (children.length === 0) {
    const height = LEAF_HEIGHT + (effects === '' ? 0 : EFFECT_LINE);
    return { node, path, children, minWidth: labelWidth, width: labelWidth, height };
  }
  const inner = Math.max(...children.map((child) => child.minWidth));
  const header = HEADER + (effects === '' ? 0 : EFFECT_LINE);
  const height =
    header + children.reduce((sum, child) => sum + child.height, 0) + GAP * (children.length - 1) + PAD;
  return { node, path, children, minWidth: Math.max(labelWidth, inner + 2 * PAD), width: 0, height };
}

function stretch(box: Box, width: number): void {
  box.width = width;
  for (const child of box.children) stretch(child, width - 2 * PAD);
}

function ancestorsOf(paths: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    const parts = path.split('.');
    for (let i = 1; i <= parts.length; i += 1) out.add(parts.slice(0, i).join('.'));
  }
  return out;
}

function activeLeaves(active: unknown): string[] {
  if (typeof active === 'string') return active.split(' | ').filter((path) => path !== '');
  return statePaths(active);
}

interface Classes {
  readonly active: Set<string>;
  readonly previous: Set<string>;
  readonly via: Set<string>;
}

function draw(box: Box, x: number, y: number, classes: Classes, out: string[]): void {
  const leaf = box.children.length === 0;
  const marks = ['state', leaf ? 'leaf' : 'composite'];
  if (box.node.type === 'final') marks.push('final');
  if (classes.active.has(box.path)) marks.push('active');
  else if (classes.via.has(box.path)) marks.push('via');
  else if (classes.previous.has(box.path)) marks.push('previous');
  const effects = effectsText(box.node);
  const tooltip = [box.path, box.node.description ?? '', effects === '' ? '' : `effects: ${effects}`]
    .filter((line) => line !== '')
    .join('\n');
  out.push(`<g class="${marks.join(' ')}" data-path="${escapeXml(box.path)}">`);
  out.push(`<title>${escapeXml(tooltip)}</title>`);
  out.push(
    `<rect x="${x}" y="${y}" width="${box.width}" height="${box.height}" rx="${leaf ? 10 : 6}" ry="${leaf ? 10 : 6}"/>`,
  );
  if (box.node.type === 'final') {
    out.push(
      `<rect class="inner" x="${x + 3}" y="${y + 3}" width="${box.width - 6}" height="${box.height - 6}" rx="8" ry="8"/>`,
    );
  }
  const labelY = leaf ? y + 16 : y + 15;
  out.push(`<text class="label" x="${x + PAD + 2}" y="${labelY}">${escapeXml(box.node.key)}</text>`);
  if (effects !== '') {
    out.push(
      `<text class="effects" x="${x + PAD + 2}" y="${labelY + EFFECT_LINE}">${escapeXml(effects)}</text>`,
    );
  }
  out.push('</g>');
  let childY = y + HEADER + (effects === '' ? 0 : EFFECT_LINE);
  for (const child of box.children) {
    draw(child, x + PAD, childY, classes, out);
    childY += child.height + GAP;
  }
}

const STYLE = `
text { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #1f2328; }
text.effects { font-size: 10px; fill: #6e7781; }
text.title { font-size: 13px; font-weight: bold; }
g.state > rect { fill: #ffffff; stroke: #8c959f; stroke-width: 1; }
g.composite > rect { fill: #f6f8fa; }
g.final > rect.inner { fill: none; }
g.via > rect { fill: #fff8c5; stroke: #bf8700; stroke-width: 1.5; }
g.previous > rect { fill: #fff1e5; stroke: #bc4c00; stroke-width: 1.5; stroke-dasharray: 4 3; }
g.active > rect { fill: #dafbe1; stroke: #1a7f37; stroke-width: 2; }
g.active.leaf > rect { fill: #aceebb; stroke-width: 3; }
g.active > text.label { font-weight: bold; }
rect.key { stroke-width: 1.5; }
`;

/** The machine as nested boxes, with `active`, `previous` and `via` marked by CSS classes. */
export function renderStatechartSvg(machine: AnyStateMachine, marks: StatechartMarks): string {
  const root = machine.root as unknown as NodeLike;
  const columns = Object.values(root.states).map((node) => measure(node));
  for (const column of columns) stretch(column, column.minWidth);
  const height = Math.max(...columns.map((column) => column.height));
  for (const column of columns) column.height = height;
  const active = ancestorsOf(activeLeaves(marks.active));
  const classes: Classes = {
    active,
    previous: ancestorsOf(marks.previous === undefined || marks.previous === '' ? [] : [marks.previous]),
    via: ancestorsOf(marks.via ?? []),
  };
  const top = MARGIN + (marks.title === undefined ? 0 : TITLE_HEIGHT);
  const body: string[] = [];
  let x = MARGIN;
  for (const column of columns) {
    draw(column, x, top, classes, body);
    x += column.width + COLUMN_GAP;
  }
  const width = Math.max(x - COLUMN_GAP + MARGIN, 320);
  const legendY = top + height + 8;
  const legend = [
    ['active', 'active'],
    ['via', 'passed through'],
    ['previous', 'previous'],
  ]
    .map(([kind, text], i) => {
      const lx = MARGIN + i * 150;
      return `<g class="state leaf ${kind}"><rect class="key" x="${lx}" y="${legendY}" width="14" height="14" rx="3" ry="3"/></g><text x="${lx + 20}" y="${legendY + 11}">${text}</text>`;
    })
    .join('');
  const total = legendY + LEGEND_HEIGHT - 8 + MARGIN;
  const title =
    marks.title === undefined
      ? ''
      : `<text class="title" x="${MARGIN}" y="${MARGIN + 14}">${escapeXml(marks.title)}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(total)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(total)}" role="img">`,
    `<style>${STYLE}</style>`,
    title,
    ...body,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
