import type { StoredState } from '../../core/index.js';
import type { IfMatch } from '../../http/index.js';
import type { CheckedTransition } from '../commit/checked-transition.js';
import { TransitionExchange } from '../commit/transition-exchange.js';
import type { TransitionService } from '../commit/transition.service.js';
import type { LockedCommit, UnreadCommit } from '../decorators/transition-metadata.js';
import type { IdempotencySession } from '../idempotency/idempotency-session.js';
import type { LoadedState } from '../module/state-loader.interface.js';
import type { RegisteredResource } from '../module/transition-registry.js';
import type { TransitionAudit } from './audit-fields.js';
import { invalidPayload } from './check-transition.js';
import type { GuardRequest } from './guard-request.js';
import type { RequestedEvent } from './request-readers.js';
import { unreadPreconditions } from './unread-commit.js';

/** What one request asks, read and parsed before anything is loaded. */
export interface Asked {
  readonly request: GuardRequest;
  readonly entry: RegisteredResource;
  readonly id: string;
  readonly requested: RequestedEvent;
  readonly ifMatch: IfMatch | undefined;
  readonly opened: IdempotencySession | undefined;
  readonly audit: TransitionAudit | undefined;
  readonly actor: string | null;
  readonly correlationId: string | null;
}

/** The guard's own steps that a commit in the guard runs (they use its overridable readers). */
export interface GuardSteps {
  readonly service: TransitionService;
  /** Steps 5b to 8 against a row: the checked transition, on the request's exchange. */
  checkRow(asked: Asked, row: LoadedState): { transition: CheckedTransition };
  /** 403 unless the caller has one of `roles`. */
  requireRoles(asked: Asked, event: string, roles: readonly string[]): void;
}

/**
 * The guard's commit without a read (`commit` on an event no guard and no context decides): one
 * conditional write per state the event leaves from. False when none matched (or the
 * preconditions need the row): the row is then read, to explain the refusal or to commit.
 */
export async function commitUnread(
  asked: Asked,
  commit: UnreadCommit,
  steps: GuardSteps,
): Promise<boolean> {
  const { request, entry, id } = asked;
  const free = entry.contextFree(asked.requested.type);
  const pre = unreadPreconditions(asked.requested, asked.ifMatch);
  if ('why' in free || !pre) return false;
  const { event } = pre;
  const issues = entry.validator.payloadIssues({ ...event.payload, type: event.type });
  if (issues) throw invalidPayload(entry.resource, id, event.type, issues);
  const roles = free.roles.length ? free.roles : undefined;
  if (roles) steps.requireRoles(asked, event.type, roles);
  const changes = commit.changes?.(event.payload);
  const returning = commit.returning === true;
  for (const { from, to } of free.transitions) {
    // The row is not read: its context is unknown, its version the one pinned, if any.
    const transition = checkedTransition(asked, event, { from, to }, { version: pre.version });
    const exchange = TransitionExchange.checked(
      request,
      transition,
      pre.pinned,
      asked.opened,
      roles,
    );
    const done = await steps.service.commitUnread(transition, changes, { returning });
    if (done) {
      exchange.committed = done;
      return true;
    }
  }
  return false;
}

/**
 * The guard's commit under a row lock (`commitLocked`): in one transaction, the row locked and
 * read, steps 5b to 8 against it (a refusal rolls back and answers as always), the write.
 */
export async function commitLocked(
  asked: Asked,
  commit: LockedCommit,
  steps: GuardSteps,
): Promise<void> {
  const done = await steps.service.commitUnderLock(
    asked.entry.resource,
    asked.id,
    (row) => {
      const { transition } = steps.checkRow(asked, row);
      const base = { state: transition.from, context: row.context, version: row.version };
      return { transition, changes: commit.changes?.(transition.payload, base) };
    },
    { returning: commit.returning === true },
  );
  const exchange = TransitionExchange.ofRequest(asked.request);
  if (exchange) exchange.committed = done;
}

/** The transition handed to the handler and the commit: what was asked, from where to where. */
export function checkedTransition(
  asked: Asked,
  event: RequestedEvent,
  move: { readonly from: StoredState; readonly to: StoredState },
  row: { readonly context?: unknown; readonly version?: number },
): CheckedTransition {
  return {
    resource: asked.entry.resource,
    id: asked.id,
    event: event.type,
    from: move.from,
    to: move.to,
    payload: event.payload,
    context: row.context,
    version: row.version,
    actor: asked.actor,
    audit: asked.audit,
    correlationId: asked.correlationId,
  };
}
