import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  Column,
  DataSource,
  Entity,
  PrimaryGeneratedColumn,
  type QueryRunner,
  type Repository,
} from 'typeorm';
import { orderMachine } from '../../machines/order.machine.js';
import { Order } from '../../examples/orders-api/src/orders/order.entity.js';

type Pay = { amount: number };

/** (d3o)'s messages: what a hand-written transactional outbox keeps per message. */
@Entity({ name: 'hand_outbox' })
export class HandOutboxMessage {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  topic!: string;

  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'bigint' })
  createdAtMs!: string;
}
export type Track = { carrier: string; trackingNumber: string };

/**
 * What careful engineers write by hand instead of the library, for the benchmark's baselines,
 * each on the same table and database as the guarded routes:
 *   (b)  load, `if (status !== 'pending') 409`, plain UPDATE: loses updates across processes;
 *   (c)  XState in the controller: load, `resolveState().can()`, plain UPDATE;
 *   (d1) one conditional UPDATE: `... SET paid = paid + $1 ... WHERE id = $2 AND status = 'pending'`;
 *   (d2) a transaction: `SELECT ... FOR UPDATE` (SQLite: BEGIN IMMEDIATE), check, UPDATE;
 *   (d3) read, check, then compare-and-set by version: `UPDATE ... WHERE id AND version`;
 *   (d3o) (d3) writing an outbox message (`hand_outbox`) with the compare-and-set: one
 *        statement on PostgreSQL (a CTE), a transaction elsewhere. Nothing delivers it: what
 *        writing a message costs any outbox, before a relay claims and removes it.
 * Statements are parameterized raw SQL, prepared once, as a careful engineer would write them.
 * On MySQL, which has no `RETURNING`, the written version comes back in the UPDATE's own answer
 * (`version = LAST_INSERT_ID(version + 1)`): still one statement.
 */
@Injectable()
export class HandWritten {
  private readonly pg: boolean;
  private readonly mysql: boolean;

  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @Inject(DataSource) private readonly db: DataSource,
  ) {
    this.pg = db.options.type === 'postgres';
    this.mysql = db.options.type === 'mysql';
  }

  /** `$1` on PostgreSQL, `?` elsewhere; `"trackingNumber"` quoted as the database quotes. */
  private sql(text: string): string {
    const quoted = this.mysql ? text.replace(/"trackingNumber"/g, '`trackingNumber`') : text;
    return this.pg ? quoted : quoted.replace(/\$\d+/g, '?');
  }

  /**
   * An `UPDATE ... RETURNING version`, or on MySQL the same UPDATE with the version through
   * LAST_INSERT_ID: the version written, or undefined when no row matched.
   */
  private async writtenVersion(
    text: string,
    params: unknown[],
    on: DataSource | QueryRunner = this.db,
  ): Promise<number | undefined> {
    if (!this.mysql) return firstRow(await on.query(this.sql(text), params))?.version;
    const update = text
      .replace(' RETURNING version', '')
      .replace('version = version + 1', 'version = LAST_INSERT_ID(version + 1)');
    const result = (await on.query(this.sql(update), params)) as {
      affectedRows: number;
      insertId: number;
    };
    return result.affectedRows ? result.insertId : undefined;
  }

  async bPay(id: number, { amount }: Pay) {
    const row = await this.orders.findOneBy({ id });
    if (!row) throw new NotFoundException();
    if (row.status !== 'pending') throw new ConflictException(`order ${id} is ${row.status}`);
    await this.orders.update({ id }, { paid: row.paid + amount, version: row.version + 1 });
    return { id, state: row.status, version: row.version + 1 };
  }

  async cPay(id: number, { amount }: Pay) {
    const row = await this.orders.findOneBy({ id });
    if (!row) throw new NotFoundException();
    const snapshot = orderMachine.resolveState({
      value: row.status,
      context: { total: row.total, paid: row.paid },
    });
    if (!snapshot.can({ type: 'PAY', amount })) {
      throw new ConflictException(`cannot PAY order ${id}`);
    }
    await this.orders.update({ id }, { paid: row.paid + amount, version: row.version + 1 });
    return { id, state: row.status, version: row.version + 1 };
  }

  async d1Pay(id: number, { amount }: Pay) {
    const version = await this.writtenVersion(
      `UPDATE orders SET paid = paid + $1, version = version + 1 WHERE id = $2 AND status = 'pending' RETURNING version`,
      [amount, id],
    );
    if (version === undefined) throw new ConflictException(`order ${id} is not pending`);
    return { id, state: 'pending', version };
  }

  d2Pay(id: number, { amount }: Pay) {
    return this.inTransaction(async (runner, server) => {
      const [row] = (await runner.query(
        this.sql(
          `SELECT status, paid, version FROM orders WHERE id = $1${server ? ' FOR UPDATE' : ''}`,
        ),
        [id],
      )) as { status: string; paid: number; version: number }[];
      if (!row) throw new NotFoundException();
      if (row.status !== 'pending') throw new ConflictException(`order ${id} is ${row.status}`);
      await runner.query(this.sql(`UPDATE orders SET paid = $1, version = $2 WHERE id = $3`), [
        row.paid + amount,
        row.version + 1,
        id,
      ]);
      return { id, state: row.status, version: row.version + 1 };
    });
  }

  /**
   * `work` in a transaction of its own connection, committed when it returns, rolled back when
   * it throws; on SQLite (one connection in TypeORM) one transaction at a time (`BEGIN
   * IMMEDIATE`), or BEGIN fails.
   */
  private inTransaction<T>(work: (runner: QueryRunner, server: boolean) => Promise<T>): Promise<T> {
    const server = this.pg || this.mysql;
    const run = async () => {
      const runner = this.db.createQueryRunner();
      try {
        if (server) await runner.startTransaction();
        else await runner.query('BEGIN IMMEDIATE');
        try {
          const result = await work(runner, server);
          if (server) await runner.commitTransaction();
          else await runner.query('COMMIT');
          return result;
        } catch (err) {
          if (server) await runner.rollbackTransaction();
          else await runner.query('ROLLBACK');
          throw err;
        }
      } finally {
        await runner.release();
      }
    };
    if (server) return run();
    const queued = this.sqliteQueue.then(run);
    this.sqliteQueue = queued.catch(() => undefined);
    return queued;
  }

  private sqliteQueue: Promise<unknown> = Promise.resolve();

  /** (d3)'s read and check: the pending order's row, or the 404 or 409. */
  private async pendingOrder(id: number) {
    const [row] = (await this.db.query(
      this.sql(`SELECT status, paid, version FROM orders WHERE id = $1`),
      [id],
    )) as { status: string; paid: number; version: number }[];
    if (!row) throw new NotFoundException();
    if (row.status !== 'pending') throw new ConflictException(`order ${id} is ${row.status}`);
    return row;
  }

  async d3Pay(id: number, { amount }: Pay) {
    const row = await this.pendingOrder(id);
    const version = await this.writtenVersion(
      `UPDATE orders SET paid = paid + $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING version`,
      [amount, id, row.version],
    );
    if (version === undefined) throw new ConflictException(`order ${id} moved; refetch and retry`);
    return { id, state: row.status, version };
  }

  /** (d3o): (d3), its compare-and-set writing one outbox message (see the class). */
  async d3oPay(id: number, { amount }: Pay) {
    const row = await this.pendingOrder(id);
    const cas = `UPDATE orders SET paid = paid + $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING version`;
    const message = (version: number) =>
      JSON.stringify({ type: 'order.paid', id, amount, version, at: new Date().toISOString() });
    const version = this.pg
      ? firstRow(
          await this.db.query(
            `WITH w AS (${cas}), o AS (INSERT INTO hand_outbox (topic, payload, "createdAtMs") ` +
              `SELECT 'order.paid', $4, $5 FROM w) SELECT version FROM w`,
            [amount, id, row.version, message(row.version + 1), Date.now()],
          ),
        )?.version
      : await this.inTransaction(async (runner) => {
          const written = await this.writtenVersion(cas, [amount, id, row.version], runner);
          if (written !== undefined) {
            await runner.query(
              this.sql(
                `INSERT INTO hand_outbox (topic, payload, createdAtMs) VALUES ('order.paid', $1, $2)`,
              ),
              [message(written), Date.now()],
            );
          }
          return written;
        });
    if (version === undefined) throw new ConflictException(`order ${id} moved; refetch and retry`);
    return { id, state: row.status, version };
  }

  /**
   * (ah): the compare-and-set of (d3) after the guard read and checked the row: the version the
   * guard read, the new `paid` computed in SQL.
   */
  async casPay(id: number, version: number, amount: number) {
    const written = await this.writtenVersion(
      `UPDATE orders SET paid = paid + $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING version`,
      [amount, id, version],
    );
    if (written === undefined) throw new ConflictException(`order ${id} moved; refetch and retry`);
    return { id, state: 'pending', version: written };
  }

  /** TRACK, (d1): one conditional UPDATE of a shipped order's carrier and tracking number. */
  async d1Track(id: number, { carrier, trackingNumber }: Track) {
    const version = await this.writtenVersion(
      `UPDATE orders SET status = 'shipped', version = version + 1, carrier = $1, "trackingNumber" = $2 WHERE id = $3 AND status = 'shipped' RETURNING version`,
      [carrier, trackingNumber, id],
    );
    if (version === undefined) throw new ConflictException(`order ${id} is not shipped`);
    return { id, state: 'shipped', version };
  }

  /** TRACK, (d3): read, check, compare-and-set by version. */
  async d3Track(id: number, { carrier, trackingNumber }: Track) {
    const [row] = (await this.db.query(
      this.sql(`SELECT status, version FROM orders WHERE id = $1`),
      [id],
    )) as { status: string; version: number }[];
    if (!row) throw new NotFoundException();
    if (row.status !== 'shipped') throw new ConflictException(`order ${id} is ${row.status}`);
    const version = await this.writtenVersion(
      `UPDATE orders SET version = version + 1, carrier = $1, "trackingNumber" = $2 WHERE id = $3 AND version = $4 RETURNING version`,
      [carrier, trackingNumber, id, row.version],
    );
    if (version === undefined) throw new ConflictException(`order ${id} moved; refetch and retry`);
    return { id, state: row.status, version };
  }

  /** The hand-written refusal: SHIP only from paid, one conditional UPDATE (409 otherwise). */
  async ship(id: number) {
    const version = await this.writtenVersion(
      `UPDATE orders SET status = 'shipped', version = version + 1 WHERE id = $1 AND status = 'paid' RETURNING version`,
      [id],
    );
    if (version === undefined) throw new ConflictException(`cannot SHIP order ${id}`);
    return { id, state: 'shipped', version };
  }
}

/** The first row an UPDATE ... RETURNING gave (TypeORM returns [rows, count] on PostgreSQL). */
function firstRow(result: unknown): { version: number } | undefined {
  const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as
    { version: number }[] | undefined;
  return rows?.[0];
}
