import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransitionGuardModule, TransitionTimers } from '../../../src/index.js';
import {
  TransitionLogEntry,
  TransitionTimerEntry,
  TypeOrmTimerStore,
} from '../../../src/store/typeorm/index.js';
import { invoice, Invoice, invoiceTables } from '../../support/invoices.js';
import { freshPlace } from '../../support/places.js';

/**
 * `TransitionTimers.start()` without the app's transaction (a row inserted earlier gets its
 * timers) answers 503 when the timer store is down, as every other store call: here the SQLite
 * file is removed under the running app, which the stores detect.
 */
describe('TransitionTimers.start with the timer store down', () => {
  it('answers 503, not a 500', async () => {
    const place = await freshPlace('sqlite', 'tg_timer_start_down', invoiceTables);
    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: place.where,
          entities: [Invoice, TransitionLogEntry, TransitionTimerEntry],
        }),
        TransitionGuardModule.forRoot({ timers: { store: TypeOrmTimerStore, fire: false } }),
        TransitionGuardModule.forFeature([invoice]),
      ],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const timers = app.get(TransitionTimers);
      await timers.start('invoice', '1', { context: { windowMs: 60_000 } });
      expect(await timers.list('invoice', '1')).toHaveLength(1);
      for (const suffix of ['', '-wal', '-shm']) rmSync(place.where + suffix, { force: true });
      // The stores learn of it from a file watcher, whose event comes on a later turn.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(
        timers.start('invoice', '2', { context: { windowMs: 60_000 } }),
      ).rejects.toMatchObject({ status: 503 });
    } finally {
      await app.close();
      await place.drop();
    }
  });
});
