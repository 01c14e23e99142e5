import type { DataSource } from 'typeorm';
import { serially } from '../serial-queue.js';

/**
 * Runs store work one call at a time per SQLite DataSource. TypeORM's SQLite drivers have one
 * connection: a statement run while another request's transaction is open there joins that
 * transaction (and is rolled back with it), and a second `BEGIN` fails. PostgreSQL pools
 * connections: work runs at once.
 */
export function onConnection<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  if (!/sqlite/.test(dataSource.options.type)) return work();
  return serially(dataSource, work);
}
