import type { RegisteredResource } from '../definition/transition-registry.js';
import type { JsonSchema } from './error-schemas.js';

const REASONS = [
  'no-transition',
  'final-state',
  'guard-rejected',
  'forbidden',
  'unknown-event',
  'invalid-payload',
  'role-required',
];

/**
 * The schema of `TransitionService.inspect()`'s `transitions` for one resource: every event of
 * its machine, whether THIS caller may send it now, why not, and the route that sends it.
 * Registered as `TransitionAllowedEvents.<resource>`, for a read route to reference.
 */
export function callerEventsSchema(entry: RegisteredResource): JsonSchema {
  return {
    type: 'array',
    description: `The ${entry.resource} events this caller may send now, and why not (answers differ per caller: Vary on the identity header)`,
    items: {
      type: 'object',
      required: ['event', 'allowed'],
      properties: {
        event: { type: 'string', enum: [...entry.validator.events] },
        allowed: { type: 'boolean' },
        reason: { type: 'string', enum: REASONS },
        requiredRoles: { type: 'array', items: { type: 'string' } },
        blockedBy: { type: 'array', items: { type: 'string' } },
        to: { description: 'Where it leads (a state; absent when it depends on the payload)' },
        roles: { type: 'array', items: { type: 'string' } },
        method: { type: 'string' },
        href: { type: 'string' },
      },
    },
  };
}
