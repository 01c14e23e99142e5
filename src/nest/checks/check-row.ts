import type { Logger } from '@nestjs/common';
import type { StoredState } from '../../core/index.js';
import type { IfMatch } from '../../http/index.js';
import type { TransitionAudit } from '../definition/audit-fields.js';
import type { CheckedTransition } from '../definition/checked-transition.js';
import type { GuardRequest, RequestedEvent, VersionTag } from '../definition/guard-request.js';
import type { LoadedState } from '../definition/state-loader.interface.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import { RoleRequiredException } from '../errors/request.exceptions.js';
import type { IdempotencySession } from '../idempotency/idempotency-session.js';
import { checkTransition, refusal } from './check-transition.js';
import { checkPreconditions, type Pinned } from './preconditions.js';

/** What one call asks, read and parsed before anything is loaded. */
export interface Asked {
  readonly request: GuardRequest;
  readonly entry: RegisteredResource;
  readonly id: string;
  readonly requested: RequestedEvent;
  readonly ifMatch: IfMatch | undefined;
  readonly opened: IdempotencySession | undefined;
  readonly audit: TransitionAudit | undefined;
  readonly actor: string | null;
  /** The caller's roles (`getRoles`). */
  readonly roles: readonly string[];
  readonly correlationId: string | null;
  /** What the transport answers with the version committed (HTTP: the ETag header). */
  readonly tagVersion?: VersionTag;
}

/** The outcome of the checks against a row: the transition, what the client pinned, the roles. */
export interface RowChecked {
  readonly transition: CheckedTransition;
  readonly pinned: Pinned;
  readonly roles: readonly string[] | undefined;
}

/** 403 `ROLE_REQUIRED` unless the caller has one of `required` (none required: passes). */
export function requireRoles(
  asked: Pick<Asked, 'entry' | 'id' | 'roles'>,
  event: string,
  required: readonly string[],
): void {
  if (!required.length || required.some((r) => asked.roles.includes(r))) return;
  throw new RoleRequiredException(asked.entry.resource, asked.id, event, required);
}

/**
 * The checks against the row (loaded, or read under a lock), in the documented order: the
 * preconditions (412, 409 version-mismatch), the machine (409, 400 payload), the roles of the
 * transition actually taken (403: an event may need a role from one state only).
 */
export function checkRow(asked: Asked, loaded: LoadedState, logger: Logger): RowChecked {
  const { entry, id } = asked;
  const { event, pinned } = checkPreconditions(entry, id, loaded, asked.requested, asked.ifMatch);
  const result = checkTransition(entry, id, loaded, event, logger);
  if (!result.allowed) throw refusal(entry.resource, id, event.type, result);
  if (result.roles) requireRoles(asked, event.type, result.roles);
  return {
    transition: checkedTransition(asked, event, result, loaded),
    pinned,
    roles: result.roles,
  };
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
