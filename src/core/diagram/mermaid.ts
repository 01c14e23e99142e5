import type { MachineDescription } from '../machine-description.js';
import { edgeLabel, stateTree, type StateTreeNode } from './state-tree.js';

export interface DiagramOptions {
  /** Leave out transitions on these events. */
  readonly excludeEvents?: readonly string[];
  /** Highlight this state (a dotted path): "where is this order now". */
  readonly highlight?: string;
}

/** Mermaid ids: dotted paths with safe characters (`review.in_review` -> `review__in_review`). */
const id = (path: string) => path.replace(/[^A-Za-z0-9_]/g, '__');
const label = (s: string) => s.replace(/[:;"]/g, ' ');
const ROOT = '__machine';
const ANY = '__any';

/**
 * A Mermaid `stateDiagram-v2` of a machine: nested states as composite states, parallel regions
 * separated by `--`, guards and roles on edge labels, final states marked, `highlight` styled.
 *
 * @example
 * toMermaid(createValidator(orderMachine).describe(), { highlight: 'paid' });
 */
export function toMermaid(description: MachineDescription, options: DiagramOptions = {}): string {
  const lines = ['stateDiagram-v2'];
  const exclude = new Set(options.excludeEvents ?? []);
  const root = stateTree(description);
  const emit = (node: StateTreeNode, indent: string) => {
    if (node.initial) lines.push(`${indent}[*] --> ${id(node.initial)}`);
    node.children.forEach((child, i) => {
      if (node.type === 'parallel' && i > 0) lines.push(`${indent}--`);
      if (child.children.length) {
        lines.push(`${indent}state "${label(child.key)}" as ${id(child.path)} {`);
        if (child.type === 'parallel') {
          child.children.forEach((region, r) => {
            if (r > 0) lines.push(`${indent}  --`);
            lines.push(`${indent}  state "${label(region.key)}" as ${id(region.path)} {`);
            emit(region, `${indent}    `);
            lines.push(`${indent}  }`);
          });
        } else emit(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${label(child.key)}" as ${id(child.path)}`);
        if (child.type === 'final') lines.push(`${indent}${id(child.path)} --> [*]`);
      }
    });
  };
  if (root.type === 'parallel') {
    // Mermaid draws regions (`--`) only inside a composite state: wrap them in one for the machine.
    lines.push(`  state "${label(root.key)}" as ${ROOT} {`);
    root.children.forEach((region, r) => {
      if (r > 0) lines.push('    --');
      lines.push(`    state "${label(region.key)}" as ${id(region.path)} {`);
      emit(region, '      ');
      lines.push('    }');
    });
    lines.push('  }');
  } else emit(root, '  ');
  for (const t of description.transitions) {
    if (exclude.has(t.event) || t.forbidden) continue;
    // Transitions on the root apply from any state: drawn from the machine's own box.
    const from = t.from === '(root)' ? (root.type === 'parallel' ? ROOT : ANY) : id(t.from);
    if (from === ANY && !lines.includes(`  state "(any state)" as ${ANY}`))
      lines.push(`  state "(any state)" as ${ANY}`);
    for (const target of t.to.length ? t.to : [t.from]) {
      lines.push(
        `  ${from} --> ${target === '(root)' ? from : id(target)} : ${label(edgeLabel(t))}`,
      );
    }
  }
  if (options.highlight) {
    lines.push('  classDef highlight fill:#ffd54f,stroke:#e65100,stroke-width:3px');
    lines.push(`  class ${id(options.highlight)} highlight`);
  }
  return lines.join('\n');
}
