import { describe, expect, it } from 'vitest';
import { clusterMachine } from '../../../src/machines/cluster-machine.ts';
import { jobMachine } from '../../../src/machines/job-machine.ts';
import { renderMermaid } from '../../../src/machines/render-mermaid.ts';
import { mermaidStateId, renderActiveMermaid } from '../../../src/visualizer/mermaid-active.ts';
import { escapeXml, renderStatechartSvg } from '../../../src/visualizer/statechart-svg.ts';

/** The CSS classes of the box drawn for `path`, or undefined when there is none. */
function classesOf(svg: string, path: string): string[] | undefined {
  const match = new RegExp(`<g class="([^"]*)" data-path="${path.replace(/\./g, '\\.')}">`).exec(svg);
  return match?.[1]?.split(' ');
}

function allPaths(node: { states: Record<string, unknown>; path: string[] }): string[] {
  return Object.values(node.states).flatMap((child) => {
    const c = child as { states: Record<string, unknown>; path: string[] };
    return [c.path.join('.'), ...allPaths(c)];
  });
}

describe('renderStatechartSvg', () => {
  it('draws every state of both machines', () => {
    for (const machine of [jobMachine, clusterMachine]) {
      const svg = renderStatechartSvg(machine, { active: 'Unknown' });
      for (const path of allPaths(machine.root as never)) expect(classesOf(svg, path), path).toBeDefined();
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    }
  });

  it('marks the active state and its ancestors, and nothing else', () => {
    const svg = renderStatechartSvg(jobMachine, { active: { Stopping: { SavepointStop: 'Awaiting' } } });
    expect(classesOf(svg, 'Stopping.SavepointStop.Awaiting')).toContain('active');
    expect(classesOf(svg, 'Stopping.SavepointStop')).toContain('active');
    expect(classesOf(svg, 'Stopping')).toContain('active');
    expect(classesOf(svg, 'Stopping.SavepointStop.Requesting')).not.toContain('active');
    expect(classesOf(svg, 'Started')).not.toContain('active');
    expect(svg.match(/class="[^"]*\bactive\b[^"]*" data-path=/g)).toHaveLength(3);
  });

  it('accepts the active state as a dotted path too', () => {
    const svg = renderStatechartSvg(clusterMachine, { active: 'Started.ScaleDownPending' });
    expect(classesOf(svg, 'Started.ScaleDownPending')).toEqual(['state', 'leaf', 'active']);
    expect(classesOf(svg, 'Started')).toEqual(['state', 'composite', 'active']);
  });

  it('marks the previous state and the states passed through', () => {
    const svg = renderStatechartSvg(jobMachine, {
      active: 'Stopped.Idle',
      previous: 'Stopping.SavepointStop.Awaiting',
      via: ['Stopping.Done'],
    });
    expect(classesOf(svg, 'Stopped.Idle')).toContain('active');
    expect(classesOf(svg, 'Stopping.Done')).toContain('via');
    // Stopping is both the previous state's ancestor and the via state's: via wins.
    expect(classesOf(svg, 'Stopping')).toContain('via');
    expect(classesOf(svg, 'Stopping.SavepointStop.Awaiting')).toContain('previous');
    expect(classesOf(svg, 'Stopping.SavepointStop.Awaiting')).not.toContain('active');
  });

  it('names the effects of each state and marks final states', () => {
    const svg = renderStatechartSvg(jobMachine, { active: 'Unknown' });
    expect(svg).toContain('<text class="effects"');
    expect(svg).toMatch(/>stopWithSavepoint</);
    expect(classesOf(svg, 'Terminated')).toContain('final');
  });

  it('escapes the title', () => {
    const svg = renderStatechartSvg(jobMachine, { active: 'Unknown', title: 'job <a&b>' });
    expect(svg).toContain('job &lt;a&amp;b&gt;');
    expect(escapeXml(`"'`)).toBe('&quot;&#39;');
  });
});

describe('renderActiveMermaid', () => {
  it('adds an active class on the active state and its ancestors, with ids of the drawing', () => {
    const text = renderActiveMermaid(jobMachine, { Stopping: { Cancelling: 'Requesting' } });
    expect(text.startsWith(renderMermaid(jobMachine).trimEnd())).toBe(true);
    expect(text).toContain('classDef active');
    expect(text).toContain('class Stopping,Stopping_Cancelling,Stopping_Cancelling_Requesting active');
    for (const id of ['Stopping', 'Stopping_Cancelling', 'Stopping_Cancelling_Requesting']) {
      expect(renderMermaid(jobMachine)).toMatch(new RegExp(` as ${id}( |$)`, 'm'));
    }
  });

  it('maps dotted paths to the Mermaid ids of render-mermaid.ts', () => {
    expect(mermaidStateId('Started.Running')).toBe('Started_Running');
    expect(mermaidStateId('')).toBe('root');
  });
});
