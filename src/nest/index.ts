export { TransitionGuardModule, TransitionGuardCoreModule } from './transition-guard.module.js';
export {
  TRANSITION_GUARD_MODULE_OPTIONS,
  TRANSITION_GUARD_OPTIONS,
} from './transition-guard.module-definition.js';
export type {
  TransitionGuardOptions,
  ResolvedTransitionGuardOptions,
} from './transition-guard.options.js';
export { Transition, type TransitionDecoratorOptions } from './transition.decorator.js';
export { CurrentTransition } from './current-transition.decorator.js';
export { TransitionGuard, type RequestedEvent } from './transition.guard.js';
export { TransitionExceptionFilter } from './transition-exception.filter.js';
export { TransitionRegistry, type RegisteredResource } from './transition-registry.js';
export { defineResource, type TransitionResource } from './resource-definition.js';
export type { StateLoader, LoadedState, StateLoadContext } from './state-loader.interface.js';
export type { IdSource, TransitionMetadata } from './transition-metadata.js';
export { TRANSITION_METADATA, CURRENT_TRANSITION } from './constants.js';
export {
  IllegalTransitionException,
  type IllegalTransitionBody,
} from './exceptions/illegal-transition.exception.js';
export {
  InvalidTransitionRequestException,
  type InvalidTransitionRequestBody,
  type InvalidTransitionRequestCode,
} from './exceptions/invalid-transition-request.exception.js';
export { ResourceNotFoundException } from './exceptions/resource-not-found.exception.js';
export { TransitionForbiddenException } from './exceptions/transition-forbidden.exception.js';
export { toProblemDetails } from './exceptions/problem-details.js';
export {
  TransitionService,
  type CommittedTransition,
  type TransitionChanges,
  type TransitionListener,
  type CommitBase,
} from './transition.service.js';
export { StoreUnavailableException } from './exceptions/store-unavailable.exception.js';
export { IdempotencyInterceptor } from './idempotency.interceptor.js';
export {
  PreconditionFailedException,
  PreconditionRequiredException,
} from './exceptions/precondition.exceptions.js';
export {
  IdempotencyKeyReusedException,
  RequestInProgressException,
} from './exceptions/idempotency.exceptions.js';
