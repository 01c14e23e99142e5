import type { TransitionRecord } from '../store/transition-record.js';

/**
 * One delivery of a committed transition to one handler: at least once, so the same
 * `transitionId` can come again (after a crash, or a handler that failed after its effect).
 * `once()` makes a handler's database writes exactly-once.
 */
export interface TransitionDelivery<TTx = unknown> {
  /** The transition's own id: the key for idempotent handling. */
  readonly transitionId: string;
  /** This handler's name (`Class.method`). */
  readonly handler: string;
  /** 1 on the first delivery, then counting retries (and claims cut short by a crash). */
  readonly attempt: number;
  /** The transition as it was committed and logged: from, to, version, actor, audit fields. */
  readonly record: TransitionRecord;
  /** The event's payload, as the guard validated it. */
  readonly payload: Readonly<Record<string, unknown>>;
  /**
   * Runs `work` at most once for this transition and handler: in one transaction with a record
   * that it ran (`transition_handled`), so that `work`'s writes through `tx` (a TypeORM
   * `EntityManager` with `TypeOrmOutboxStore`) and the record commit together. Answers
   * `{ done: false }` when it already ran. Write only through `tx` inside `work`.
   */
  once<T>(work: (tx: TTx) => Promise<T>): Promise<{ done: true; value: T } | { done: false }>;
}

/** A handler of deliveries: throwing (or rejecting) means "retry later". */
export type TransitionHandler = (delivery: TransitionDelivery) => unknown;
