import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { setup } from 'xstate';
import type { LoadedState, StateLoader } from '../../src/index.js';

export { PLATFORMS } from './demo-harness.js';

/** A small machine for module tests: a door. */
export const doorMachine = setup({
  types: {},
  guards: {
    unlocked: ({ context }) => !context.locked,
    explodes: () => {
      throw new Error('guard blew up');
    },
  },
}).createMachine({
  id: 'door',
  initial: 'closed',
  context: { locked: false },
  states: {
    closed: {
      on: {
        OPEN: { target: 'open', guard: 'unlocked' },
        LOCK: { target: 'closed', guard: 'explodes' },
      },
    },
    open: { on: { CLOSE: 'closed' } },
  },
});

/** Doors kept in memory: this is a test of the module's wiring, not of a database. */
export class DoorStore {
  readonly doors = new Map<string, LoadedState>([
    ['1', { state: 'closed', context: { locked: false }, version: 1 }],
    ['2', { state: 'open', context: { locked: false }, version: 3 }],
    ['3', { state: 'closed', context: { locked: true }, version: 1 }],
  ]);
  loads = 0;
}

export class DoorLoader implements StateLoader {
  constructor(private readonly store: DoorStore) {}
  async load(id: string) {
    this.store.loads++;
    return this.store.doors.get(id) ?? null;
  }
}

export async function listen(
  module: unknown,
  platform: 'express' | 'fastify',
): Promise<{ app: INestApplication; http: () => ReturnType<typeof request> }> {
  const app = await NestFactory.create(
    module as never,
    platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(),
    { logger: false, abortOnError: false },
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, http: () => request(url) };
}
