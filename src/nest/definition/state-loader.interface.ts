import type { StoredState } from '../../core/index.js';

/** A resource's state as a loader read it from the application's database. */
export interface LoadedState<TContext = unknown> {
  /** The stored state: `'paid'`, `'shipping.in_transit'`, or a state value object. */
  readonly state: StoredState;
  /** What the machine's guards read (the row's fields). */
  readonly context?: TContext;
  /** The row's version, a non-negative integer, when it has one (for ETags and compare-and-set). */
  readonly version?: number;
}

/** What a loader is told about the request it loads for. */
export interface StateLoadContext {
  readonly resource: string;
  readonly event: string;
  /** The platform request (Express or Fastify). */
  readonly request: unknown;
}

/**
 * Loads a resource's current state, for resources the guard checks without committing
 * (check-only). Implement it as an injectable class: it gets dependency injection like any
 * provider. A resource with a `store` needs no loader: the store loads.
 *
 * @example
 * @Injectable()
 * export class UserStateLoader implements StateLoader<UserContext> {
 *   constructor(@InjectRepository(User) private readonly users: Repository<User>) {}
 *   async load(id: string) {
 *     const row = await this.users.findOneBy({ id: Number(id) });
 *     return row && { state: row.status, context: { strikes: row.strikes }, version: row.version };
 *   }
 * }
 */
export interface StateLoader<TContext = unknown> {
  /** The state of resource `id`, or null when there is no such resource (the guard answers 404). */
  load(id: string, context: StateLoadContext): Promise<LoadedState<TContext> | null>;
}
