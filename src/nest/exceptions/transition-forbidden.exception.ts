import { ForbiddenException } from '@nestjs/common';

/** 403: the event's transitions need a role the caller does not have. Says nothing about the state. */
export class TransitionForbiddenException extends ForbiddenException {
  constructor(
    readonly resource: string,
    readonly id: string,
    readonly event: string,
    readonly requiredRoles: readonly string[],
  ) {
    super({
      statusCode: 403,
      error: 'Forbidden',
      code: 'TRANSITION_FORBIDDEN',
      message: `${event} on ${resource} needs one of the roles: ${requiredRoles.join(', ')}`,
      resource,
      id,
      event,
      requiredRoles,
    });
  }
}
