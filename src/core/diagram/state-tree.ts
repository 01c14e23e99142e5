import type { MachineDescription } from '../machine-description.js';

/** A state of a description with its children, for renderers. */
export interface StateTreeNode {
  readonly path: string;
  readonly key: string;
  readonly type: string;
  readonly initial?: string;
  readonly children: StateTreeNode[];
}

/** The description's flat state list as a tree under the root. */
export function stateTree(description: MachineDescription): StateTreeNode {
  const root: StateTreeNode = {
    path: '(root)',
    key: description.id,
    type: description.type,
    initial: description.initial,
    children: [],
  };
  const byPath = new Map<string, StateTreeNode>([['(root)', root]]);
  for (const s of description.states) {
    const node: StateTreeNode = {
      path: s.path,
      key: s.path.slice(s.path.lastIndexOf('.') + 1),
      type: s.type,
      initial: s.initial,
      children: [],
    };
    byPath.set(s.path, node);
    const parent = s.path.includes('.') ? s.path.slice(0, s.path.lastIndexOf('.')) : '(root)';
    byPath.get(parent)?.children.push(node);
  }
  return root;
}

/** An edge label: `SHIP [paidInFull] (support)`. */
export function edgeLabel(t: MachineDescription['transitions'][number]): string {
  return [t.event, t.guard ? `[${t.guard}]` : '', t.roles?.length ? `(${t.roles.join(', ')})` : '']
    .filter(Boolean)
    .join(' ');
}
