import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json.js';
import { allNodes } from '../machine-index.js';
import { exploreStoredStates, type ExploreOptions, type StoredEdge } from './stored-edges.js';

/** The format of `machines/<id>.lock.json` this version writes and reads. */
export const LOCK_FORMAT = 1;

/**
 * A machine's lifecycle as the database sees it, written by `transition-guard lock` next to the
 * machine file and committed with the app: the stored states a row can hold, the events, every
 * change of stored state (guards ignored: the superset any guard might allow), and a hash of
 * them. `transition-guard check` fails when the machine no longer matches its lock; `diff`
 * compares two locks; the database triggers and the stored-state check read it.
 */
export interface MachineLock {
  readonly format: typeof LOCK_FORMAT;
  readonly machine: string;
  /** `sha256:` of the canonical JSON of `initial`, `states`, `events` and `edges`. */
  readonly hash: string;
  readonly initial: readonly string[];
  readonly states: readonly string[];
  readonly events: readonly string[];
  readonly edges: readonly StoredEdge[];
}

const lockSchema = z.object({
  format: z.literal(LOCK_FORMAT),
  machine: z.string().min(1),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  initial: z.array(z.string()),
  states: z.array(z.string()),
  events: z.array(z.string()),
  edges: z.array(z.object({ from: z.string(), event: z.string(), to: z.string() }).strict()),
});

/**
 * A lock file that is not one: names the file and the first problem.
 *
 * @example
 * parseLock('{"format":2}', 'order.lock.json'); // throws MachineLockError: order.lock.json: not a machine lock ...
 */
export class MachineLockError extends Error {
  override readonly name = 'MachineLockError';
}

/**
 * The lock of a machine, computed from the machine itself.
 *
 * @example
 * const lock = lockMachine(orderMachine);
 * lock.edges.find((e) => e.from === 'pending' && e.event === 'PAY'); // { from: 'pending', event: 'PAY', to: 'paid' }
 */
export function lockMachine(
  machine: AnyStateMachine,
  options: ExploreOptions = {},
): MachineLock & {
  /** Events whose effect could not be computed (not part of the file). */
  readonly problems: readonly string[];
} {
  const space = exploreStoredStates(machine, options);
  const events = new Set<string>();
  for (const node of allNodes(machine.root)) {
    for (const descriptor of node.transitions.keys()) {
      if (!descriptor.startsWith('xstate.') || descriptor.startsWith('xstate.after.')) {
        events.add(descriptor);
      }
    }
  }
  const body = {
    initial: space.initial,
    states: space.states,
    events: [...events].sort(),
    edges: space.edges,
  };
  return {
    format: LOCK_FORMAT,
    machine: machine.id,
    hash: hashOf(body),
    ...body,
    problems: space.problems,
  };
}

/**
 * The lock as its file holds it: stable key order, one edge per line, a final newline.
 *
 * @example
 * writeFileSync('machines/order.lock.json', formatLock(lockMachine(orderMachine)));
 */
export function formatLock(lock: MachineLock): string {
  const { format, machine, hash, initial, states, events, edges } = lock;
  const list = (values: readonly unknown[]) =>
    values.length ? `[\n    ${values.map((v) => JSON.stringify(v)).join(',\n    ')}\n  ]` : '[]';
  return (
    `{\n  "format": ${String(format)},\n  "machine": ${JSON.stringify(machine)},\n  "hash": ${JSON.stringify(hash)},\n` +
    `  "initial": ${JSON.stringify(initial)},\n  "states": ${list(states)},\n  "events": ${list(events)},\n` +
    `  "edges": ${list(edges.map(({ from, event, to }) => ({ from, event, to })))}\n}\n`
  );
}

/**
 * Reads a lock file's text; throws `MachineLockError` when it is not a lock or its hash is wrong.
 *
 * @example
 * const lock = parseLock(readFileSync('machines/order.lock.json', 'utf8'), 'machines/order.lock.json');
 * lock.hash === lockMachine(orderMachine).hash; // false once the machine changed
 */
export function parseLock(text: string, file = 'lock file'): MachineLock {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MachineLockError(`${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = lockSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MachineLockError(
      `${file}: not a machine lock (format ${String(LOCK_FORMAT)}): ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const lock = parsed.data as MachineLock;
  const { initial, states, events, edges } = lock;
  if (hashOf({ initial, states, events, edges }) !== lock.hash) {
    throw new MachineLockError(
      `${file}: its hash does not match its content (edited by hand?); write it again with: transition-guard lock`,
    );
  }
  return lock;
}

function hashOf(body: Pick<MachineLock, 'initial' | 'states' | 'events' | 'edges'>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(body)).digest('hex')}`;
}
