import 'reflect-metadata';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { createMachine, setup } from 'xstate';
import { z } from 'zod';
import { MemoryIdempotencyStore, TransitionGuard } from '../../src/index.js';
import { resolveOptions } from '../../src/nest/definition/options.js';
import { TransitionRegistry } from '../../src/nest/definition/transition-registry.js';
import { TRANSITION_METADATA } from '../../src/nest/definition/transition-metadata.js';

const QUICK = process.env.BENCH_QUICK === '1';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface GrowthRow {
  dimension: string;
  size: string;
  nsPerCheck: number;
}

/** The guard alone: canActivate on a fake HTTP context, loader in memory, no network, no database. */
export async function growthBench(): Promise<GrowthRow[]> {
  const rows: GrowthRow[] = [];
  const iterations = QUICK ? 2_000 : 20_000;
  const time = async (
    guard: TransitionGuard,
    handler: () => void,
    request: () => Record<string, unknown>,
  ) => {
    const ctx = () => new ExecutionContextHost([request(), {}, () => undefined], Object, handler);
    for (let i = 0; i < iterations; i++) await guard.canActivate(ctx());
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) await guard.canActivate(ctx());
      rounds.push(Number(process.hrtime.bigint() - t) / iterations);
    }
    return median(rounds);
  };
  const routed = (resource: string, event: string) => {
    const handler = () => undefined;
    Reflect.defineMetadata(TRANSITION_METADATA, { resource, event, id: 'id' }, handler);
    return handler;
  };
  const loader = (state: string) => ({ load: async () => ({ state, context: {}, version: 1 }) });
  for (const size of [10, 100, 1000, 10_000]) {
    const states = Object.fromEntries(
      Array.from({ length: size }, (_, i) => [`s${i}`, { on: { NEXT: `s${(i + 1) % size}` } }]),
    );
    const registry = new TransitionRegistry();
    registry.register(
      { resource: 'flat', machine: createMachine({ id: 'flat', initial: 's0', states }) },
      { loader: loader('s1') },
    );
    rows.push({
      dimension: 'machine states',
      size: String(size),
      nsPerCheck: await time(
        new TransitionGuard(
          new Reflector(),
          registry,
          resolveOptions({}),
          new MemoryIdempotencyStore(),
        ),
        routed('flat', 'NEXT'),
        () => ({ params: { id: '1' }, headers: {}, body: {} }),
      ),
    });
  }
  for (const count of [1, 10, 100, 1000]) {
    const registry = new TransitionRegistry();
    for (let i = 0; i < count; i++) {
      registry.register(
        {
          resource: `r${i}`,
          machine: createMachine({
            id: `m${i}`,
            initial: 'a',
            states: { a: { on: { GO: 'b' } }, b: {} },
          }),
        },
        { loader: loader('a') },
      );
    }
    rows.push({
      dimension: 'registered resources',
      size: String(count),
      nsPerCheck: await time(
        new TransitionGuard(
          new Reflector(),
          registry,
          resolveOptions({}),
          new MemoryIdempotencyStore(),
        ),
        routed(`r${count - 1}`, 'GO'),
        () => ({ params: { id: '1' }, headers: {}, body: {} }),
      ),
    });
  }
  const noted = setup({
    schemas: { events: { NOTE: z.object({ note: z.string() }) } },
  }).createMachine({
    id: 'noted',
    initial: 'a',
    states: { a: { on: { NOTE: { actions: () => undefined } } } },
  });
  const registry = new TransitionRegistry();
  registry.register({ resource: 'noted', machine: noted }, { loader: loader('a') });
  const guard = new TransitionGuard(
    new Reflector(),
    registry,
    resolveOptions({}),
    new MemoryIdempotencyStore(),
  );
  for (const bytes of [100, 1_000, 10_000, 100_000]) {
    const body = { note: 'x'.repeat(bytes) };
    rows.push({
      dimension: 'payload bytes',
      size: bytes.toLocaleString('en-US'),
      nsPerCheck: await time(guard, routed('noted', 'NOTE'), () => ({
        params: { id: '1' },
        headers: {},
        body,
      })),
    });
  }
  return rows;
}
