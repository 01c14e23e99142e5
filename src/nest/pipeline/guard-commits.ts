import type { Logger } from '@nestjs/common';
import { TransitionExchange } from '../commit/transition-exchange.js';
import type { TransitionService } from '../commit/transition.service.js';
import type { LockedCommit, UnreadCommit } from '../definition/transition-metadata.js';
import { checkedTransition, checkRow, requireRoles, type Asked } from '../checks/check-row.js';
import { invalidPayload } from '../checks/check-transition.js';
import { unreadPreconditions } from '../checks/unread-preconditions.js';

/**
 * The guard's commit without a read (`commit` on an event no guard and no context decides): one
 * conditional write per state the event leaves from. False when none matched (or the
 * preconditions need the row): the row is then read, to explain the refusal or to commit.
 */
export async function commitUnread(
  asked: Asked,
  commit: UnreadCommit,
  service: TransitionService,
): Promise<boolean> {
  const { entry, id } = asked;
  const free = entry.contextFree(asked.requested.type);
  const pre = unreadPreconditions(asked.requested, asked.ifMatch);
  if ('why' in free || !pre) return false;
  const { event } = pre;
  const issues = entry.validator.payloadIssues({ ...event.payload, type: event.type });
  if (issues) throw invalidPayload(entry.resource, id, event.type, issues);
  const roles = free.roles.length ? free.roles : undefined;
  if (roles) requireRoles(asked, event.type, roles);
  const changes = commit.changes?.(event.payload);
  const returning = commit.returning === true;
  for (const { from, to } of free.transitions) {
    // The row is not read: its context is unknown, its version the one pinned, if any.
    const transition = checkedTransition(asked, event, { from, to }, { version: pre.version });
    const exchange = TransitionExchange.checked(asked, transition, pre.pinned, roles);
    const done = await service.commitUnread(transition, changes, { returning });
    if (done) {
      exchange.committed = done;
      return true;
    }
  }
  return false;
}

/**
 * The guard's commit under a row lock (`commitLocked`): in one transaction, the row locked and
 * read, the checks against it (a refusal rolls back and answers as always), the write.
 */
export async function commitUnderRowLock(
  asked: Asked,
  commit: LockedCommit,
  service: TransitionService,
  logger: Logger,
): Promise<void> {
  let exchange: TransitionExchange | undefined;
  const done = await service.commitUnderLock(
    asked.entry.resource,
    asked.id,
    (row) => {
      const { transition, pinned, roles } = checkRow(asked, row, logger);
      exchange = TransitionExchange.checked(asked, transition, pinned, roles);
      const base = { state: transition.from, context: row.context, version: row.version };
      return { transition, changes: commit.changes?.(transition.payload, base) };
    },
    { returning: commit.returning === true },
  );
  if (exchange) exchange.committed = done;
}
