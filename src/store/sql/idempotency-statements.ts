import { quotePath, type SqlDialect } from './dialect.js';
import type { TableNames } from './sql-connection.js';

/**
 * Every statement of the Idempotency-Key store (table `idempotency_keys`, keyed by caller and
 * key), in one dialect. Taking a key is one conditional UPDATE over an expired key or an
 * in-progress one whose lease ended, else an INSERT that does nothing on a duplicate; the other
 * writes compare the attempt's token, so an attempt whose key was taken over writes nothing.
 */
export class IdempotencyStatements {
  readonly get: string;
  readonly takeOver: string;
  readonly insert: string;
  readonly commit: string;
  readonly complete: string;
  readonly release: string;
  /** Extends an in-progress key's lease, for the attempt holding it (its token). */
  readonly renew: string;
  /** Deletes at most `limit` expired keys (a literal: it is the store's own number). */
  readonly purge: (limit: number) => string;

  constructor(dialect: SqlDialect, names: TableNames) {
    const p = (n: number) => dialect.placeholder(n);
    const c = (property: string) => dialect.quote(names.column(property));
    const t = quotePath(dialect, names.table);
    const key = (a: number, b: number) => `${c('caller')} = ${p(a)} AND ${c('key')} = ${p(b)}`;
    this.get = `SELECT * FROM ${t} WHERE ${key(1, 2)}`;
    this.takeOver =
      `UPDATE ${t} SET ${c('fingerprint')} = ${p(1)}, ${c('token')} = ${p(2)}, ${c('status')} = 'in-progress', ` +
      `${c('response')} = NULL, ${c('committed')} = NULL, ${c('leaseUntilMs')} = ${p(3)}, ${c('expiresAtMs')} = ${p(4)} ` +
      `WHERE ${key(5, 6)} AND (${c('expiresAtMs')} <= ${p(7)} OR (${c('status')} = 'in-progress' AND ${c('leaseUntilMs')} <= ${p(8)}))`;
    this.insert =
      `INSERT INTO ${t} (${['caller', 'key', 'fingerprint', 'token', 'status', 'leaseUntilMs', 'expiresAtMs'].map(c).join(', ')}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 'in-progress', ${p(5)}, ${p(6)})` +
      (dialect.onConflictDoNothing ? ` ${dialect.onConflictDoNothing}` : '');
    this.commit =
      `UPDATE ${t} SET ${c('status')} = 'committed', ${c('committed')} = ${p(1)} ` +
      `WHERE ${key(2, 3)} AND ${c('token')} = ${p(4)} AND ${c('status')} = 'in-progress'`;
    this.complete =
      `UPDATE ${t} SET ${c('status')} = 'completed', ${c('response')} = ${p(1)} ` +
      `WHERE ${key(2, 3)} AND ${c('token')} = ${p(4)}`;
    this.release = `DELETE FROM ${t} WHERE ${key(1, 2)} AND ${c('token')} = ${p(3)} AND ${c('status')} = 'in-progress'`;
    this.renew =
      `UPDATE ${t} SET ${c('leaseUntilMs')} = ${p(1)} ` +
      `WHERE ${key(2, 3)} AND ${c('token')} = ${p(4)} AND ${c('status')} = 'in-progress'`;
    const expired = `${c('expiresAtMs')} <= ${p(1)}`;
    this.purge = (limit: number) => {
      const n = Math.max(1, Math.floor(limit));
      return dialect.deleteLimit
        ? `DELETE FROM ${t} WHERE ${expired} LIMIT ${n}`
        : `DELETE FROM ${t} WHERE (${c('caller')}, ${c('key')}) IN ` +
            `(SELECT ${c('caller')}, ${c('key')} FROM ${t} WHERE ${expired} LIMIT ${n})`;
    };
  }
}
