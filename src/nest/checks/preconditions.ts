import { ifMatchHolds, etagFor, parseIfMatch, type IfMatch } from '../../http/index.js';
import { InvalidTransitionRequestException } from '../errors/request.exceptions.js';
import { IllegalTransitionException } from '../errors/illegal-transition.exception.js';
import { messages } from '../errors/messages.js';
import {
  PreconditionFailedException,
  PreconditionRequiredException,
} from '../errors/precondition.exceptions.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import type { LoadedState } from '../definition/state-loader.interface.js';
import type { RequestedEvent } from '../definition/guard-request.js';

/** What the client pinned: a commit that loses a race on it answers instead of retrying. */
export type Pinned = 'if-match' | 'expected-version' | undefined;

/**
 * `If-Match`, parsed before anything is loaded: 400 `INVALID_PRECONDITION` when malformed, 428
 * when the route requires it and it is missing.
 */
export function readIfMatch(
  header: unknown,
  required: boolean,
  resource: string,
  id: string,
): IfMatch | undefined {
  if (header === undefined) {
    if (required) throw new PreconditionRequiredException(resource, id);
    return undefined;
  }
  const parsed = parseIfMatch(header);
  if (!parsed) {
    throw InvalidTransitionRequestException.of(
      'INVALID_PRECONDITION',
      resource,
      messages.invalidIfMatch(),
    );
  }
  return parsed;
}

/**
 * The preconditions against the loaded resource: `If-Match` (412) and a body's
 * `expectedVersion` (409 `version-mismatch`). Returns the event without `expectedVersion` and
 * what the client pinned.
 */
export function checkPreconditions(
  entry: RegisteredResource,
  id: string,
  loaded: LoadedState,
  event: RequestedEvent,
  ifMatch: IfMatch | undefined,
): { event: RequestedEvent; pinned: Pinned } {
  if (ifMatch && !ifMatchHolds(ifMatch, etagFor(loaded.version))) {
    throw new PreconditionFailedException(
      entry.resource,
      id,
      loaded.state,
      etagFor(loaded.version),
    );
  }
  if (!Object.hasOwn(event.payload, 'expectedVersion')) {
    return { event, pinned: ifMatch && !ifMatch.any ? 'if-match' : undefined };
  }
  const { expectedVersion, ...payload } = event.payload;
  if (String(expectedVersion) !== String(loaded.version)) {
    throw IllegalTransitionException.versionMismatch(where(entry, id, event.type, loaded), {
      expected: expectedVersion,
      actual: loaded.version,
    });
  }
  return {
    event: { type: event.type, payload },
    pinned: ifMatch && !ifMatch.any ? 'if-match' : 'expected-version',
  };
}

/** Where the resource is, for a 409: its normalized state and the events allowed now. */
function where(entry: RegisteredResource, id: string, event: string, loaded: LoadedState) {
  let currentState = loaded.state;
  let allowedEvents: readonly string[] = [];
  try {
    currentState = entry.validator.normalizeState(loaded.state);
    allowedEvents = entry.validator.allowedEvents({ state: loaded.state, context: loaded.context });
  } catch {
    // A stored state the machine does not have: the version mismatch is the answer here; the
    // state is reported (and logged) by the check when the version matches.
  }
  return { resource: entry.resource, id, event, currentState, allowedEvents };
}
