import type { MachineDescription } from '../machine-description.js';
import type { DiagramOptions } from './mermaid.js';
import { edgeLabel, stateTree, type StateTreeNode } from './state-tree.js';

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * A Graphviz DOT digraph of a machine: compound and parallel states as clusters (parallel ones
 * dashed), final states as double circles, guards and roles on edge labels, `highlight` filled.
 *
 * @example
 * toDot(createValidator(ticketMachine).describe());
 */
export function toDot(description: MachineDescription, options: DiagramOptions = {}): string {
  const exclude = new Set(options.excludeEvents ?? []);
  const lines = [
    `digraph ${q(description.id)} {`,
    '  compound=true;',
    '  node [shape=box, style=rounded];',
  ];
  const anchor = new Map<string, string>();
  const emit = (node: StateTreeNode, indent: string) => {
    for (const child of node.children) {
      if (child.children.length) {
        lines.push(`${indent}subgraph ${q(`cluster_${child.path}`)} {`);
        lines.push(
          `${indent}  label=${q(child.type === 'parallel' ? `${child.key} (parallel)` : child.key)};`,
        );
        if (child.type === 'parallel') lines.push(`${indent}  style=dashed;`);
        emit(child, `${indent}  `);
        lines.push(`${indent}}`);
        const first = child.initial ?? child.children[0].path;
        anchor.set(child.path, anchor.get(first) ?? first);
      } else {
        const attrs = [`label=${q(child.key)}`];
        if (child.type === 'final') attrs.push('shape=doublecircle');
        if (options.highlight === child.path)
          attrs.push('style="rounded,filled"', 'fillcolor="#ffd54f"');
        lines.push(`${indent}${q(child.path)} [${attrs.join(', ')}];`);
        anchor.set(child.path, child.path);
      }
    }
  };
  emit(stateTree(description), '  ');
  if (description.initial) {
    lines.push('  "__initial" [shape=point];');
    lines.push(`  "__initial" -> ${q(anchor.get(description.initial) ?? description.initial)};`);
  }
  for (const t of description.transitions) {
    if (exclude.has(t.event) || t.from === '(root)' || t.forbidden) continue;
    for (const target of t.to.length ? t.to : [t.from]) {
      const attrs = [`label=${q(edgeLabel(t))}`];
      if (anchor.get(t.from) !== t.from) attrs.push(`ltail=${q(`cluster_${t.from}`)}`);
      if (anchor.get(target) !== target) attrs.push(`lhead=${q(`cluster_${target}`)}`);
      lines.push(
        `  ${q(anchor.get(t.from) ?? t.from)} -> ${q(anchor.get(target) ?? target)} [${attrs.join(', ')}];`,
      );
    }
  }
  lines.push('}');
  return lines.join('\n');
}
