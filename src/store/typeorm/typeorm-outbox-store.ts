import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityTarget, type QueryRunner } from 'typeorm';
import { OUTBOX_INSERTED, outboxInsertValues, outboxMessageOf } from '../outbox-rows.js';
import type {
  ClaimedMessage,
  NewOutboxMessage,
  OutboxMessage,
  OutboxStatus,
  OutboxStore,
} from '../outbox-store.interface.js';
import { onConnection } from './connection-queue.js';
import { HandledTransitionEntry, TransitionOutboxEntry } from './outbox.entities.js';
import { callDatabase } from '../database-failures.js';

type Raw = Record<string, unknown>;

/**
 * The transactional outbox in TypeORM tables (SQLite, PostgreSQL): messages are inserted through
 * the transition's own transaction; relays claim them with one `UPDATE ... WHERE id IN (SELECT
 * ... FOR UPDATE SKIP LOCKED) RETURNING` (PostgreSQL; on SQLite writes are serialized), so that
 * relays in several processes never claim one message at once while its lease runs.
 *
 * @example
 * TransitionGuardModule.forRoot({ outbox: { store: TypeOrmOutboxStore } })
 */
@Injectable()
export class TypeOrmOutboxStore implements OutboxStore {
  private sql: OutboxStatements | undefined;

  constructor(@Inject(DataSource) protected readonly dataSource: DataSource) {}

  /** Checks at bootstrap that both outbox entities are the DataSource's. */
  verify(): void {
    for (const entity of [TransitionOutboxEntry, HandledTransitionEntry]) {
      if (!this.dataSource.hasMetadata(entity)) {
        throw new Error(
          `TypeOrmOutboxStore keeps messages in TransitionOutboxEntry rows and handled transitions in HandledTransitionEntry rows, ` +
            `but ${entity.name} is not one of the DataSource's entities. Add both: import { TransitionOutboxEntry, HandledTransitionEntry } ` +
            `from 'nestjs-transition-guard/typeorm', then TypeOrmModule.forRoot({ entities: [..., TransitionOutboxEntry, HandledTransitionEntry] }), ` +
            `or with autoLoadEntities: true, TypeOrmModule.forFeature([TransitionOutboxEntry, HandledTransitionEntry]) in one of your modules.`,
        );
      }
    }
  }

  transactionScope(): unknown {
    return this.dataSource;
  }

  async enqueue(tx: unknown, messages: readonly NewOutboxMessage[]): Promise<void> {
    if (!messages.length) return;
    const manager = tx as EntityManager | undefined;
    if (manager?.dataSource !== this.dataSource) {
      throw new Error(
        'TypeOrmOutboxStore.enqueue() needs the transaction of a TypeOrmTransitionStore on the same DataSource ' +
          '(outbox messages commit with the transition). Give the resource such a store.',
      );
    }
    const insert = this.statements().insert(messages.length);
    await manager.query(insert, outboxInsertValues(messages, Date.now()));
  }

  async claim(options: { limit: number; leaseMs: number; now: Date }): Promise<ClaimedMessage[]> {
    const claim = randomUUID();
    const now = options.now.getTime();
    const rows = await this.query<Raw>(this.statements().claim, [
      claim,
      now + options.leaseMs,
      now,
      now,
      options.limit,
    ]);
    return rows
      .map((r) => ({ ...this.message(r), claim }))
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  async complete(message: ClaimedMessage, options: { keep: boolean; now: Date }): Promise<boolean> {
    const s = this.statements();
    const rows = options.keep
      ? await this.query(s.keep, [options.now.getTime(), message.id, message.claim])
      : await this.query(s.delete, [message.id, message.claim]);
    return rows.length === 1;
  }

  async fail(
    message: ClaimedMessage,
    failure: { error: string; retryAt: Date | null; now: Date },
  ): Promise<boolean> {
    const rows = await this.query(this.statements().fail, [
      failure.retryAt ? 'pending' : 'dead',
      (failure.retryAt ?? failure.now).getTime(),
      failure.error.slice(0, 2000),
      message.id,
      message.claim,
    ]);
    return rows.length === 1;
  }

  async once<T>(
    transitionId: string,
    handler: string,
    work: (tx: unknown) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    const s = this.statements();
    return callDatabase('outbox', () =>
      onConnection(this.dataSource, async () => {
        const runner = this.dataSource.createQueryRunner();
        try {
          await runner.startTransaction();
          try {
            const first = await records(runner, s.handled, [transitionId, handler, Date.now()]);
            if (!first.length) {
              await runner.rollbackTransaction();
              return { done: false as const };
            }
            const value = await work(runner.manager);
            await runner.commitTransaction();
            return { done: true as const, value };
          } catch (err) {
            if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => 0);
            throw err;
          }
        } finally {
          await runner.release();
        }
      }),
    );
  }

  async list(query: { status: OutboxStatus; limit: number }): Promise<OutboxMessage[]> {
    const rows = await this.query<Raw>(this.statements().list, [query.status, query.limit]);
    return rows.map((r) => this.message(r));
  }

  async redrive(id: string, now: Date): Promise<boolean> {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) return false;
    return (await this.query(this.statements().redrive, [now.getTime(), id])).length === 1;
  }

  async purge(before: Date): Promise<number> {
    return (await this.query(this.statements().purge, [before.getTime()])).length;
  }

  private async query<T = unknown>(sql: string, params: unknown[]): Promise<T[]> {
    return callDatabase('outbox', () =>
      onConnection(this.dataSource, async () => {
        const runner = this.dataSource.createQueryRunner();
        try {
          return (await records(runner, sql, params)) as T[];
        } finally {
          await runner.release();
        }
      }),
    );
  }

  private message(raw: Raw): OutboxMessage {
    const c = this.statements().c;
    return outboxMessageOf((property) => raw[c(property)]);
  }

  private statements(): OutboxStatements {
    return (this.sql ??= new OutboxStatements(this.dataSource));
  }
}

/** The rows a statement returned (`RETURNING`), the same on PostgreSQL and SQLite. */
async function records(runner: QueryRunner, sql: string, params: unknown[]): Promise<unknown[]> {
  const result = await runner.query(sql, params, true);
  return (result.records as unknown[] | undefined) ?? [];
}

/** The outbox's SQL, built once from the entities' metadata (column names, quoting, placeholders). */
class OutboxStatements {
  readonly claim: string;
  readonly keep: string;
  readonly delete: string;
  readonly fail: string;
  readonly list: string;
  readonly redrive: string;
  readonly purge: string;
  readonly handled: string;
  private readonly table: string;
  private readonly names: Map<string, string>;
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.options.type === 'postgres';
    const meta = dataSource.getMetadata(TransitionOutboxEntry);
    this.names = new Map(meta.columns.map((col) => [col.propertyName, col.databaseName]));
    this.table = this.tableOf(TransitionOutboxEntry);
    const q = (p: string) => this.q(p);
    const p = (n: number) => (this.postgres ? `$${n}` : '?');
    const mine = `${q('id')} = ${p(1)} AND ${q('claim')} = ${p(2)}`;
    const lock = this.postgres ? ' FOR UPDATE SKIP LOCKED' : '';
    this.claim =
      `UPDATE ${this.table} SET ${q('claim')} = ${p(1)}, ${q('lockedUntilMs')} = ${p(2)}, ${q('attempts')} = ${q('attempts')} + 1 ` +
      `WHERE ${q('id')} IN (SELECT ${q('id')} FROM ${this.table} WHERE ${q('status')} = 'pending' AND ${q('availableAtMs')} <= ${p(3)} ` +
      `AND ${q('lockedUntilMs')} <= ${p(4)} ORDER BY ${q('id')} LIMIT ${p(5)}${lock}) RETURNING *`;
    this.keep =
      `UPDATE ${this.table} SET ${q('status')} = 'delivered', ${q('claim')} = NULL, ${q('lockedUntilMs')} = 0, ${q('availableAtMs')} = ${p(1)} ` +
      `WHERE ${q('id')} = ${p(2)} AND ${q('claim')} = ${p(3)} RETURNING ${q('id')}`;
    this.delete = `DELETE FROM ${this.table} WHERE ${mine} RETURNING ${q('id')}`;
    this.fail =
      `UPDATE ${this.table} SET ${q('status')} = ${p(1)}, ${q('availableAtMs')} = ${p(2)}, ${q('lastError')} = ${p(3)}, ` +
      `${q('claim')} = NULL, ${q('lockedUntilMs')} = 0 WHERE ${q('id')} = ${p(4)} AND ${q('claim')} = ${p(5)} RETURNING ${q('id')}`;
    this.list = `SELECT * FROM ${this.table} WHERE ${q('status')} = ${p(1)} ORDER BY ${q('id')} LIMIT ${p(2)}`;
    this.redrive =
      `UPDATE ${this.table} SET ${q('status')} = 'pending', ${q('attempts')} = 0, ${q('availableAtMs')} = ${p(1)}, ${q('lastError')} = NULL ` +
      `WHERE ${q('id')} = ${p(2)} AND ${q('status')} = 'dead' RETURNING ${q('id')}`;
    this.purge = `DELETE FROM ${this.table} WHERE ${q('status')} = 'delivered' AND ${q('availableAtMs')} < ${p(1)} RETURNING ${q('id')}`;
    const handled = dataSource.getMetadata(HandledTransitionEntry);
    const h = (prop: string) =>
      this.dataSource.driver.escape(
        handled.columns.find((col) => col.propertyName === prop)?.databaseName ?? prop,
      );
    this.handled =
      `INSERT INTO ${this.tableOf(HandledTransitionEntry)} (${h('transitionId')}, ${h('handler')}, ${h('handledAtMs')}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}) ON CONFLICT DO NOTHING RETURNING ${h('transitionId')}`;
  }

  /** The INSERT of `n` messages. */
  insert(n: number): string {
    const columns = OUTBOX_INSERTED;
    let i = 0;
    const values = Array.from(
      { length: n },
      () => `(${columns.map(() => (this.postgres ? `$${++i}` : '?')).join(', ')})`,
    );
    return `INSERT INTO ${this.table} (${columns.map((c) => this.q(c)).join(', ')}) VALUES ${values.join(', ')}`;
  }

  /** A property's column name, as raw rows key it. */
  c = (property: string): string => this.names.get(property) ?? property;

  private q(property: string): string {
    return this.dataSource.driver.escape(this.c(property));
  }

  private tableOf(entity: EntityTarget<object>): string {
    return this.dataSource
      .getMetadata(entity)
      .tablePath.split('.')
      .map((part) => this.dataSource.driver.escape(part))
      .join('.');
  }
}
