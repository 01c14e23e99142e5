import type { StoredState } from '../core/index.js';

/** A resource's state as a loader read it from the application's database. */
export interface LoadedState<TContext = unknown> {
  /** The stored state: `'paid'`, `'shipping.in_transit'`, or a state value object. */
  readonly state: StoredState;
  /** What the machine's guards read (the row's fields). */
  readonly context?: TContext;
  /** The row's version, when it has one (for ETags and compare-and-set writes). */
  readonly version?: number | string;
}

/** What a loader is told about the request it loads for. */
export interface StateLoadContext {
  readonly resource: string;
  readonly event: string;
  /** The platform request (Express or Fastify). */
  readonly request: unknown;
}

/**
 * Loads a resource's current state. Implement it as an injectable class: it gets dependency
 * injection like any provider (a TypeORM repository, a database client).
 *
 * @example
 * @Injectable()
 * export class OrderStateLoader implements StateLoader<OrderContext> {
 *   constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}
 *   async load(id: string) {
 *     const row = await this.orders.findOneBy({ id: Number(id) });
 *     return row && { state: row.status, context: { total: row.total, paid: row.paid }, version: row.version };
 *   }
 * }
 */
export interface StateLoader<TContext = unknown> {
  /** The state of resource `id`, or null when there is no such resource (the guard answers 404). */
  load(id: string, context: StateLoadContext): Promise<LoadedState<TContext> | null>;
}
