import { randomUUID } from 'node:crypto';
import { callDatabase } from '../database-failures.js';
import type {
  ClaimedMessage,
  NewOutboxMessage,
  OutboxMessage,
  OutboxStatus,
  OutboxStore,
} from '../outbox-store.interface.js';
import { OUTBOX_INSERTED, outboxInsertValues, outboxMessageOf } from '../outbox-rows.js';
import { plainRow, type SqlConnection, type SqlRow } from './sql-connection.js';

/**
 * The transactional outbox in raw SQL on an ORM's connection (`SqlConnection`), for SQLite and
 * PostgreSQL, in the tables `transition_outbox` and `transition_handled` (the same as
 * `TypeOrmOutboxStore`'s): the core of `PrismaOutboxStore` and `MikroOrmOutboxStore`. Messages
 * are inserted through the transition's own transaction; relays claim them with one `UPDATE ...
 * WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING *` (PostgreSQL; SQLite serializes
 * writes), so that relays in several processes never hold one message at once.
 *
 * @example
 * const outbox = new SqlOutboxStore(connection, 'MyOutboxStore'); // transition_outbox, transition_handled
 */
export class SqlOutboxStore implements OutboxStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    protected readonly connection: SqlConnection,
    private readonly storeName: string,
  ) {
    this.sql = statements(connection);
  }

  /** The transition stores on the same ORM handle commit with this store's messages. */
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
    const rows = await this.query(this.sql.claim, [
      claim,
      now + options.leaseMs,
      now,
      now,
      options.limit,
    ]);
    return rows.map((r) => ({ ...message(r), claim })).sort((a, b) => Number(a.id) - Number(b.id));
  }

  async complete(message: ClaimedMessage, options: { keep: boolean; now: Date }): Promise<boolean> {
    const rows = options.keep
      ? await this.query(this.sql.keep, [options.now.getTime(), Number(message.id), message.claim])
      : await this.query(this.sql.delete, [Number(message.id), message.claim]);
    return rows.length === 1;
  }

  async fail(
    message: ClaimedMessage,
    failure: { error: string; retryAt: Date | null; now: Date },
  ): Promise<boolean> {
    const rows = await this.query(this.sql.fail, [
      failure.retryAt ? 'pending' : 'dead',
      (failure.retryAt ?? failure.now).getTime(),
      failure.error.slice(0, 2000),
      Number(message.id),
      message.claim,
    ]);
    return rows.length === 1;
  }

  /** `work` in a transaction with the record that it ran: at most once per transition and handler. */
  once<T>(
    transitionId: string,
    handler: string,
    work: (tx: unknown) => Promise<T>,
  ): Promise<{ done: true; value: T } | { done: false }> {
    return callDatabase('outbox', () =>
      this.connection.run('transaction', async (q) => {
        const first = await q.query(this.sql.handled, [transitionId, handler, Date.now()]);
        if (!first.length) return { done: false as const };
        return { done: true as const, value: await work(q.handle) };
      }),
    );
  }

  async list(query: { status: OutboxStatus; limit: number }): Promise<OutboxMessage[]> {
    return (await this.query(this.sql.list, [query.status, query.limit])).map(message);
  }

  async redrive(id: string, now: Date): Promise<boolean> {
    if (!/^[1-9][0-9]{0,15}$/.test(id)) return false;
    return (await this.query(this.sql.redrive, [now.getTime(), Number(id)])).length === 1;
  }

  async purge(before: Date): Promise<number> {
    return (await this.query(this.sql.purge, [before.getTime()])).length;
  }

  private query(sql: string, params: unknown[]): Promise<SqlRow[]> {
    return callDatabase('outbox', () => this.connection.run('plain', (q) => q.query(sql, params)));
  }
}

function message(raw: SqlRow): OutboxMessage {
  const row = plainRow(raw);
  return outboxMessageOf((property) => row[property]);
}

/** The outbox's SQL for the connection's dialect, built once. */
function statements(connection: SqlConnection) {
  const p = (n: number) => connection.placeholder(n);
  const t = '"transition_outbox"';
  const mine = `"id" = ${p(2)} AND "claim" = ${p(3)}`;
  const lock = connection.postgres ? ' FOR UPDATE SKIP LOCKED' : '';
  return {
    insert: (n: number) => {
      let i = 0;
      const values = Array.from(
        { length: n },
        () => `(${OUTBOX_INSERTED.map(() => p(++i)).join(', ')})`,
      );
      return `INSERT INTO ${t} (${OUTBOX_INSERTED.map((c) => `"${c}"`).join(', ')}) VALUES ${values.join(', ')}`;
    },
    claim:
      `UPDATE ${t} SET "claim" = ${p(1)}, "lockedUntilMs" = ${p(2)}, "attempts" = "attempts" + 1 ` +
      `WHERE "id" IN (SELECT "id" FROM ${t} WHERE "status" = 'pending' AND "availableAtMs" <= ${p(3)} ` +
      `AND "lockedUntilMs" <= ${p(4)} ORDER BY "id" LIMIT ${p(5)}${lock}) RETURNING *`,
    keep:
      `UPDATE ${t} SET "status" = 'delivered', "claim" = NULL, "lockedUntilMs" = 0, "availableAtMs" = ${p(1)} ` +
      `WHERE ${mine} RETURNING "id"`,
    delete: `DELETE FROM ${t} WHERE "id" = ${p(1)} AND "claim" = ${p(2)} RETURNING "id"`,
    fail:
      `UPDATE ${t} SET "status" = ${p(1)}, "availableAtMs" = ${p(2)}, "lastError" = ${p(3)}, ` +
      `"claim" = NULL, "lockedUntilMs" = 0 WHERE "id" = ${p(4)} AND "claim" = ${p(5)} RETURNING "id"`,
    list: `SELECT * FROM ${t} WHERE "status" = ${p(1)} ORDER BY "id" LIMIT ${p(2)}`,
    redrive:
      `UPDATE ${t} SET "status" = 'pending', "attempts" = 0, "availableAtMs" = ${p(1)}, "lastError" = NULL ` +
      `WHERE "id" = ${p(2)} AND "status" = 'dead' RETURNING "id"`,
    purge: `DELETE FROM ${t} WHERE "status" = 'delivered' AND "availableAtMs" < ${p(1)} RETURNING "id"`,
    handled:
      `INSERT INTO "transition_handled" ("transitionId", "handler", "handledAtMs") ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}) ON CONFLICT DO NOTHING RETURNING "transitionId"`,
  };
}
