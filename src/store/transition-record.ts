import type { StoredState } from '../core/index.js';

/** The transition to record, atomically with the state change, when the store keeps a log. */
export interface TransitionRecord {
  /** This transition's own id (a UUID): outbox deliveries carry it, for idempotent handlers. */
  readonly transitionId: string;
  readonly resource: string;
  readonly resourceId: string;
  readonly event: string;
  readonly from: StoredState;
  readonly to: StoredState;
  /** The version after this transition. */
  readonly version: number | undefined;
  /** Who: the caller (`getActor`), or `system:<name>` for a transition no caller made. */
  readonly actor: string | null;
  readonly at: Date;
  /** Why, in a word or a phrase, where the route takes it (`audit: true`) or the code gives it. */
  readonly reason: string | null;
  /** A free comment, where the route takes it or the code gives it. */
  readonly comment: string | null;
  /** Free JSON, where the route takes it or the code gives it. */
  readonly metadata: Readonly<Record<string, unknown>> | null;
  /** A hash of the machine's definition (12 hex digits): which machine judged the transition. */
  readonly machineVersion: string;
  /** The request's correlation id (`X-Request-Id` by default), to find its logs. */
  readonly correlationId: string | null;
}
