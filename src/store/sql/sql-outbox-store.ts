import { randomUUID } from 'node:crypto';
import { classifyDatabaseError } from '../database-failures.js';
import { callSql } from './sqlite-file.js';
import type {
  ClaimedMessage,
  NewOutboxMessage,
  OutboxMessage,
  OutboxStatus,
  OutboxStore,
} from '../outbox-store.interface.js';
import { outboxInsertValues, outboxMessageOf } from '../outbox-rows.js';
import { libraryNames } from './library-tables.js';
import { OutboxStatements } from './outbox-statements.js';
import {
  plainRow,
  type SqlConnection,
  type SqlQueries,
  type SqlRow,
  type TableNames,
} from './sql-connection.js';

/**
 * The transactional outbox in SQL, on any ORM's connection (`SqlConnection`) and dialect
 * (SQLite, PostgreSQL, MySQL), in the tables `transition_outbox` and `transition_handled`:
 * the store under `TypeOrmOutboxStore`, `PrismaOutboxStore`, `DrizzleOutboxStore` and
 * `MikroOrmOutboxStore`. Messages are inserted in the transition's own transaction (by the
 * transition store, in its compare-and-set's statement on PostgreSQL); relays claim them as
 * `OutboxStatements` says, so that relays in several processes never hold one message at once.
 *
 * @example
 * const outbox = new SqlOutboxStore(connection, 'MyOutboxStore'); // transition_outbox, transition_handled
 */
export class SqlOutboxStore implements OutboxStore {
  private statementsOf: OutboxStatements | undefined;
  private namesOf: TableNames | undefined;

  constructor(
    protected readonly connection: SqlConnection,
    private readonly storeName: string,
  ) {}

  /** The statements, built on first use (an ORM's table names are known once it has started). */
  private get sql(): OutboxStatements {
    return (this.statementsOf ??= new OutboxStatements(
      this.connection.dialect,
      this.names,
      libraryNames(this.connection, 'transition_handled'),
    ));
  }

  private get names(): TableNames {
    return (this.namesOf ??= libraryNames(this.connection, 'transition_outbox'));
  }

  /** A message from a row of `transition_outbox`, its columns read by property. */
  private message(raw: SqlRow): OutboxMessage {
    const row = plainRow(raw);
    return outboxMessageOf((property) => row[this.names.column(property)]);
  }

  /** The transition stores on the same connection commit with this store's messages. */
  transactionScope(): unknown {
    return this.connection.scope;
  }

  async enqueue(tx: unknown, messages: readonly NewOutboxMessage[]): Promise<void> {
    if (!messages.length) return;
    const q = this.connection.queriesOf(tx);
    if (!q) {
      throw new Error(
        `${this.storeName}.enqueue() needs the transaction of a transition store on the same client ` +
          '(outbox messages commit with the transition). Give the resource such a store.',
      );
    }
    await q.execute(this.sql.insert(messages.length), outboxInsertValues(messages, Date.now()));
  }

  async claim(options: { limit: number; leaseMs: number; now: Date }): Promise<ClaimedMessage[]> {
    const claim = randomUUID();
    const now = options.now.getTime();
    const until = now + options.leaseMs;
    const { returning } = this.connection.dialect;
    const rows = await this.call(returning ? 'plain' : 'transaction', async (q) => {
      if (returning) {
        return q.query(this.sql.claim, [claim, until, now, now, options.limit]);
      }
      const id = this.names.column('id');
      const ids = (await q.query(this.sql.claimIds, [now, now, options.limit])).map((r) => r[id]);
      if (!ids.length) return [];
      await q.execute(this.sql.claimUpdate(ids.length), [claim, until, ...ids]);
      return q.query(this.sql.claimed, [claim]);
    });
    return rows
      .map((r) => ({ ...this.message(r), claim }))
      .sort((a, b) => Number(a.id) - Number(b.id));
  }

  async complete(
    messages: readonly ClaimedMessage[],
    options: { keep: boolean; now: Date },
  ): Promise<number> {
    let changed = 0;
    // One statement per claim: a relay completes the messages of the claim it made.
    for (const [claim, ids] of byClaim(messages)) {
      changed += options.keep
        ? await this.execute(this.sql.keepDelivered(ids.length), [
            options.now.getTime(),
            claim,
            ...ids,
          ])
        : await this.execute(this.sql.deleteDelivered(ids.length), [claim, ...ids]);
    }
    return changed;
  }

  async fail(
    message: ClaimedMessage,
    failure: { error: string; retryAt: Date | null; now: Date },
  ): Promise<boolean> {
    const changed = await this.execute(this.sql.fail, [
      failure.retryAt ? 'pending' : 'dead',
      (failure.retryAt ?? failure.now).getTime(),
      failure.error.slice(0, 2000),
      Number(message.id),
      message.claim,
    ]);
    return changed === 1;
  }

  /** `work` in a transaction with the record that it ran: at most once per transition and handler. */
  once<T>(
    transitionId: string,
    handler: string,
    work: (tx: unknown) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    return this.call('transaction', async (q) => {
      if (!(await this.recordHandled(q, transitionId, handler))) return { done: false as const };
      return { done: true as const, value: await work(q.handle) };
    });
  }

  async markHandled(tx: unknown, transitionId: string, handler: string): Promise<boolean> {
    const q = this.connection.queriesOf(tx);
    if (!q) {
      throw new Error(
        `${this.storeName}.markHandled() needs a transaction of its own ORM on the same database ` +
          '(the record commits with your writes). Pass the transaction your unit of work runs in.',
      );
    }
    return this.recordHandled(q, transitionId, handler);
  }

  async list(query: { status: OutboxStatus; limit: number }): Promise<OutboxMessage[]> {
    const rows = await this.call('plain', (q) =>
      q.query(this.sql.list, [query.status, query.limit]),
    );
    return rows.map((r) => this.message(r));
  }

  async redrive(id: string, now: Date): Promise<boolean> {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) return false;
    return (await this.execute(this.sql.redrive, [now.getTime(), Number(id)])) === 1;
  }

  async purge(before: Date): Promise<number> {
    return this.execute(this.sql.purge, [before.getTime()]);
  }

  /**
   * The row saying this handler handled this transition: true when this call wrote it. A
   * duplicate is a no-op (`ON CONFLICT DO NOTHING`, or the duplicate-key error on MySQL).
   */
  private async recordHandled(q: SqlQueries, transitionId: string, handler: string) {
    try {
      return (await q.execute(this.sql.handled, [transitionId, handler, Date.now()])) === 1;
    } catch (err) {
      if (classifyDatabaseError(err) === 'duplicate') return false;
      throw err;
    }
  }

  private execute(sql: string, params: readonly unknown[]): Promise<number> {
    return this.call('plain', (q) => q.execute(sql, params));
  }

  private call<T>(mode: 'plain' | 'transaction', work: (q: SqlQueries) => Promise<T>): Promise<T> {
    return callSql(this.connection, 'outbox', mode, work);
  }
}

/** The messages' ids by the claim that holds them. */
function byClaim(messages: readonly ClaimedMessage[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const m of messages) {
    const ids = groups.get(m.claim);
    if (ids) ids.push(Number(m.id));
    else groups.set(m.claim, [Number(m.id)]);
  }
  return groups;
}
