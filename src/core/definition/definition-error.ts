/** One problem in a machine definition, as data: where (JSON path), what kind, and what to do. */
export interface DefinitionIssue {
  readonly path: readonly (string | number)[];
  readonly code:
    | 'invalid-json'
    | 'schema'
    | 'forbidden-key'
    | 'unknown-target'
    | 'unknown-initial'
    | 'missing-initial'
    | 'unknown-guard'
    | 'unknown-action'
    | 'unknown-delay'
    | 'duplicate-id'
    | 'invalid-payload-schema'
    | 'xstate';
  readonly message: string;
}

/** `states.paid.on.SHIP[0].target` */
export function formatPath(path: readonly (string | number)[]): string {
  if (!path.length) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * A machine definition file that cannot be loaded. `issues` lists every problem found, each with
 * its JSON path; the message names the file and says how to fix each one.
 *
 * @example
 * try {
 *   loadMachineDefinitionFile('machines/broken.machine.json');
 * } catch (err) {
 *   if (err instanceof MachineDefinitionError) for (const i of err.issues) console.log(i.path, i.code, i.message);
 * }
 */
export class MachineDefinitionError extends Error {
  override readonly name = 'MachineDefinitionError';
  constructor(
    readonly source: string,
    readonly issues: readonly DefinitionIssue[],
  ) {
    super(
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in machine definition:\n` +
        issues.map((i) => `- ${formatPath(i.path)}: ${i.message}`).join('\n'),
    );
  }
}
