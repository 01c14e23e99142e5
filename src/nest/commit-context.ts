import type { IdempotencyStore } from '../http/index.js';
import type { CurrentTransition } from './current-transition.decorator.js';

/**
 * What the guard tells `TransitionService.commit()` about a request besides the transition itself,
 * kept off the public object: the version the client pinned (If-Match or expectedVersion, so a
 * lost race is a 412 / version-mismatch instead of a retry), the idempotency key to mark committed
 * in the same transaction, and how to set the response's ETag.
 */
export interface CommitContext {
  readonly pinned?: 'if-match' | 'expected-version';
  readonly idempotency?: {
    readonly store: IdempotencyStore;
    readonly caller: string;
    readonly key: string;
  };
  readonly setEtag?: (etag: string) => void;
}

const contexts = new WeakMap<object, CommitContext>();

export function attachCommitContext(t: CurrentTransition<any, any>, context: CommitContext): void {
  contexts.set(t, context);
}

export function commitContextOf(t: CurrentTransition<any, any>): CommitContext | undefined {
  return contexts.get(t);
}
