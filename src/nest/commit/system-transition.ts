import type { Logger } from '@nestjs/common';
import { messages } from '../errors/messages.js';
import { InvalidTransitionRequestException } from '../errors/request.exceptions.js';
import { checkTransition, loadResource, refusal } from '../checks/check-transition.js';
import { validId } from '../request/request-readers.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import type { CheckedTransition } from '../definition/checked-transition.js';

/**
 * Who made a transition that no caller asked for: `system:<name>` (a timer, a relay, a script).
 *
 * @example
 * await transitions.send(order, id, 'CANCEL', { actor: systemActor('expiry') }); // logged as system:expiry
 */
export const systemActor = (name: string): string => `system:${name}`;

/**
 * A transition asked by code rather than a request, checked as the guard would (id, resource,
 * machine, payload) except roles: the same 400, 404, 409 and 503 exceptions.
 */
export async function checkSystemTransition(
  entry: RegisteredResource,
  rawId: string,
  event: { readonly type: string; readonly [key: string]: unknown },
  who: { actor: string; correlationId: string | null; idPattern: RegExp | undefined },
  logger: Logger,
): Promise<CheckedTransition> {
  const { resource } = entry;
  if (!entry.store) throw new Error(messages.noStore(resource));
  const id = validId(entry, rawId, who.idPattern);
  const { type, ...payload } = event;
  if (!entry.validator.hasEvent(type)) {
    const { events } = entry.validator;
    throw InvalidTransitionRequestException.of(
      'UNKNOWN_EVENT',
      resource,
      messages.unknownEvent(resource, type, events),
      { event: type.slice(0, 256), events },
    );
  }
  const loaded = await loadResource(entry, id, type, undefined, logger);
  const result = checkTransition(entry, id, loaded, { type, payload }, logger);
  if (!result.allowed) throw refusal(resource, id, type, result);
  return {
    resource,
    id,
    event: type,
    from: result.from,
    to: result.to,
    payload,
    context: loaded.context,
    version: loaded.version,
    actor: who.actor,
    correlationId: who.correlationId,
  };
}
