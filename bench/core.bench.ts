/**
 * `npm run bench:core`: the validator's cost per check, side by side in one process with what
 * users would otherwise run: a hand-written lookup table, XState's `resolveState().can()`, and
 * XState's pure `transition()`. Rounds interleave the contenders so that a noisy machine slows
 * all of them alike; each figure is the median of the rounds. Prints Markdown, writes JSON.
 *
 *   npm run bench:core            full run
 *   BENCH_QUICK=1 npm run bench:core   small counts (CI), same table
 */
import { coreTable, type CoreRow } from './report.js';
import { writeFileSync, mkdirSync } from 'node:fs';
import { describeMachineInfo, machineInfo } from './machine-info.js';
import { createMachine, transition, type AnyStateMachine } from 'xstate';
import { createValidator } from '../src/core/index.js';
import { ticketMachine } from '../machines/ticket.machine.js';
import { orderMachine } from '../machines/order.machine.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 5 : 15;
const TARGET_MS = QUICK ? 4 : 40;

type Op = (i: number) => unknown;
let sink: unknown;

/** ns per call of each op, measured in interleaved rounds; median over rounds. */
function measure(ops: Record<string, Op>): Record<string, number> {
  const iterations: Record<string, number> = {};
  for (const [name, op] of Object.entries(ops)) {
    // Warm up (first calls compile caches and JIT), then calibrate: how many calls take TARGET_MS.
    const warmUntil = performance.now() + TARGET_MS * 5;
    for (let i = 0; performance.now() < warmUntil; i++)
      for (let j = 0; j < 256; j++) sink = op(i * 256 + j);
    let n = 256;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < n; i++) sink = op(i);
      const took = performance.now() - t;
      if (took > TARGET_MS / 4 || n > 1 << 26) {
        iterations[name] = Math.max(256, Math.round((n * TARGET_MS) / Math.max(took, 0.001)));
        break;
      }
      n *= 4;
    }
  }
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(ops).map((k) => [k, []]),
  );
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, op] of Object.entries(ops)) {
      const n = iterations[name];
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) sink = op(i);
      samples[name].push(Number(process.hrtime.bigint() - t) / n);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]]),
  );
}

function flatMachine(states: number): {
  machine: AnyStateMachine;
  table: Record<string, Record<string, string>>;
} {
  const config: Record<string, { on: Record<string, string> }> = {};
  const table: Record<string, Record<string, string>> = Object.create(null);
  for (let i = 0; i < states; i++) {
    const on: Record<string, string> = { NEXT: `s${(i + 1) % states}`, RESET: 's0' };
    if (i % 3 === 0) on.SKIP = `s${(i + 2) % states}`;
    config[`s${i}`] = { on };
    table[`s${i}`] = Object.assign(Object.create(null), on);
  }
  return { machine: createMachine({ id: `flat${states}`, initial: 's0', states: config }), table };
}

/** A fixed list of (state, event) pairs, a third of them refused, cycled by every contender. */
function workload(states: string[], events: string[], size = 256) {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  return Array.from({ length: size }, () => ({
    state: states[Math.floor(rnd() * states.length)],
    event: events[Math.floor(rnd() * events.length)],
  }));
}

type Row = CoreRow;

function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** Compile time (createValidator) and retained heap per validator once every state has been seen. */
function compileCost(
  machine: AnyStateMachine,
  warm: (v: ReturnType<typeof createValidator>) => void,
) {
  const copies = QUICK ? 3 : 10;
  const before = heapAfterGc();
  const kept: unknown[] = [];
  let ms = 0;
  for (let i = 0; i < copies; i++) {
    const t = performance.now();
    const v = createValidator(machine);
    ms += performance.now() - t;
    warm(v);
    kept.push(v);
  }
  ms /= copies;
  const kb = (heapAfterGc() - before) / copies / 1024;
  sink = kept;
  return { ms, kb };
}

const rows: Row[] = [];
for (const size of [10, 100, 1000, 10_000]) {
  const { machine, table } = flatMachine(size);
  const states = Object.keys(table);
  const work = workload(states, ['NEXT', 'RESET', 'SKIP']);
  const v = createValidator(machine);
  const snapshots = work.map((w) => machine.resolveState({ value: w.state, context: {} }));
  const results = measure({
    validator: (i) => v.check({ state: work[i & 255].state }, work[i & 255].event).allowed,
    table: (i) => {
      const w = work[i & 255];
      const row = table[w.state];
      return (row as Record<string, string> | undefined)?.[w.event] !== undefined;
    },
    resolveCan: (i) =>
      machine
        .resolveState({ value: work[i & 255].state, context: {} })
        .can({ type: work[i & 255].event }),
    transition: (i) =>
      transition(machine, snapshots[i & 255], { type: work[i & 255].event })[0].value,
  });
  const { ms, kb } = compileCost(machine, (c) => {
    states.forEach((s) => c.normalizeState(s));
  });
  rows.push({
    machine: 'flat',
    states: size,
    ...results,
    validator: results.validator,
    resolveCan: results.resolveCan,
    transition: results.transition,
    compileMs: ms,
    kbPerMachine: kb,
  });
}

// Nested, parallel, guarded: the ticket machine (parallel regions, nested states, stateIn and
// context guards, a forbidden and a targetless transition) and the order machine (guards on
// context and payload). No hand-written table: that is what nobody writes for these.
const ticketStates = [
  { status: 'new', sla: 'running' },
  { status: { open: 'working' }, sla: 'running' },
  { status: { open: 'waiting' }, sla: 'warning' },
  { status: 'resolved', sla: 'paused' },
];
const ticketEvents = [
  'ASSIGN',
  'REPLY',
  'RESOLVE',
  'CLOSE',
  'SLA_WARN',
  'SLA_PAUSE',
  'WAIT_FOR_CUSTOMER',
];
const orderStates = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'];
const orderEvents = [
  { type: 'CANCEL' },
  { type: 'DELIVER' },
  { type: 'SHIP', carrier: 'UPS', trackingNumber: '1Z' },
  { type: 'REFUND' },
];
for (const [name, machine, statesList, events, context] of [
  [
    'ticket (parallel, nested, guarded)',
    ticketMachine,
    ticketStates,
    ticketEvents.map((type) => ({ type })),
    { minutesLeft: 10, replies: 0 },
  ],
  [
    'order (guarded, payload schemas)',
    orderMachine,
    orderStates,
    orderEvents,
    { total: 100, paid: 100 },
  ],
] as const) {
  const m = machine as AnyStateMachine;
  const v = createValidator(m);
  const work = workload(
    statesList as unknown as string[],
    events as unknown as string[],
  ) as unknown as { state: never; event: never }[];
  const snapshots = work.map((w) => m.resolveState({ value: w.state, context }));
  const results = measure({
    validator: (i) => v.check({ state: work[i & 255].state, context }, work[i & 255].event).allowed,
    resolveCan: (i) =>
      m.resolveState({ value: work[i & 255].state, context }).can(work[i & 255].event),
    transition: (i) => transition(m, snapshots[i & 255], work[i & 255].event)[0].value,
  });
  const { ms, kb } = compileCost(m, (c) => {
    (statesList as readonly unknown[]).forEach((s) =>
      c.allowedEvents({ state: s as never, context }),
    );
  });
  rows.push({
    machine: name,
    states: v.states.length,
    validator: results.validator,
    resolveCan: results.resolveCan,
    transition: results.transition,
    compileMs: ms,
    kbPerMachine: kb,
  });
}

const meta = await machineInfo(['xstate']);
console.log(describeMachineInfo('bench:core', meta));
console.log(coreTable(rows));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/core${QUICK ? '.quick' : ''}.json`, import.meta.url),
  JSON.stringify({ meta, rows }, null, 2) + '\n',
);
if (sink === Symbol.for('never')) console.log(sink);
