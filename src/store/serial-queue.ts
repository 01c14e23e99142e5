const queues = new WeakMap<object, Promise<unknown>>();

/**
 * Runs `work` after every earlier call queued on `key` has settled: one call at a time per key.
 * The SQLite stores queue their calls per connection (TypeORM's DataSource, a Drizzle database,
 * a Prisma client): better-sqlite3 has one connection, and a statement run while another call's
 * transaction is open there would join that transaction (and roll back with it).
 */
export function serially<T>(key: object, work: () => Promise<T>): Promise<T> {
  const result = (queues.get(key) ?? Promise.resolve()).then(work, work);
  queues.set(
    key,
    result.catch(() => undefined),
  );
  return result;
}
