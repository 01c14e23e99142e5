import { InternalServerErrorException, type Logger } from '@nestjs/common';
import {
  GuardEvaluationError,
  UnknownStateError,
  type PayloadIssue,
  type TransitionResult,
} from '../../core/index.js';
import { IllegalTransitionException } from '../errors/illegal-transition.exception.js';
import { messages } from '../errors/messages.js';
import {
  InvalidTransitionRequestException,
  ResourceNotFoundException,
} from '../errors/request.exceptions.js';
import { callStore } from '../errors/store-failure.js';
import type { LoadedState } from '../definition/state-loader.interface.js';
import type { RegisteredResource } from '../definition/transition-registry.js';
import type { RequestedEvent } from '../definition/guard-request.js';

/**
 * Loads the resource through its loader (or store): 404 when there is none, 503 when the store is
 * down, 500 (cause logged) when the loader fails or returns a version that is not an integer.
 */
export function loadResource(
  entry: RegisteredResource,
  id: string,
  event: string,
  request: unknown,
  logger: Logger,
): Promise<LoadedState> {
  return callStore(logger, entry.resource, `Loading ${entry.resource} ${id}`, () =>
    entry.loader.load(id, { resource: entry.resource, event, request }),
  ).then((loaded) => {
    if (!loaded) throw new ResourceNotFoundException(entry.resource, id);
    const version: unknown = loaded.version;
    if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
      logger.error(messages.badVersion(entry.resource, id, version));
      throw new InternalServerErrorException();
    }
    return loaded;
  });
}

/**
 * Checks the event against the machine. A stored state the machine does not have is a 409
 * `unknown-state` (nothing is allowed from it until the row is migrated; the cause is logged at
 * error, for the team); a guard that throws is a server fault: 500 with a generic body, the cause
 * in the log.
 */
export function checkTransition(
  entry: RegisteredResource,
  id: string,
  loaded: LoadedState,
  event: RequestedEvent,
  logger: Logger,
): TransitionResult {
  try {
    return entry.validator.check(
      { state: loaded.state, context: loaded.context },
      { ...event.payload, type: event.type },
    );
  } catch (err) {
    if (err instanceof UnknownStateError) {
      logger.error(
        messages.unknownStoredState(
          entry.resource,
          id,
          loaded.state,
          err.machineId,
          err.validStates,
        ),
      );
      throw IllegalTransitionException.unknownState(entry.resource, id, event.type, loaded.state);
    } else if (err instanceof GuardEvaluationError) {
      logger.error(
        `${entry.resource} ${id}: ${err.message}`,
        (err.cause as Error | undefined)?.stack,
      );
    } else {
      const cause = err instanceof Error ? err : new Error(String(err));
      logger.error(
        messages.checkFailed(entry.resource, id, event.type, cause.message),
        cause.stack,
      );
    }
    throw new InternalServerErrorException();
  }
}

/** The answer to a refused check: 400 `INVALID_PAYLOAD`, or 409 with the machine's reason. */
export function refusal(
  resource: string,
  id: string,
  event: string,
  result: Extract<TransitionResult, { allowed: false }>,
): Error {
  return result.reason === 'invalid-payload'
    ? invalidPayload(resource, id, event, result.issues ?? [])
    : IllegalTransitionException.refused(resource, id, result);
}

/** 400 `INVALID_PAYLOAD`, with the schema's issues. */
export function invalidPayload(
  resource: string,
  id: string,
  event: string,
  issues: readonly PayloadIssue[],
): Error {
  return InvalidTransitionRequestException.of(
    'INVALID_PAYLOAD',
    resource,
    messages.invalidPayload(event, issues),
    { id, event, issues },
  );
}
