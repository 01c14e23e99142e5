export { TransitionGuardModule } from './module/transition-guard.module.js';
export {
  TRANSITION_GUARD_MODULE_OPTIONS,
  TRANSITION_GUARD_OPTIONS,
} from './module/module-definition.js';
export {
  resolveOptions,
  type TransitionGuardOptions,
  type ResolvedTransitionGuardOptions,
} from './module/options.js';
export {
  defineResource,
  type TransitionResource,
  type PayloadSchemas,
} from './module/resource-definition.js';
export type {
  StateLoader,
  LoadedState,
  StateLoadContext,
} from './module/state-loader.interface.js';
export { TransitionRegistry, type RegisteredResource } from './module/transition-registry.js';
export { Transition, type TransitionDecoratorOptions } from './decorators/transition.decorator.js';
export { CurrentTransition } from './decorators/current-transition.decorator.js';
export type { UnreadCommit, LockedCommit } from './decorators/transition-metadata.js';
export type { IdSource } from './decorators/transition-metadata.js';
export { TransitionGuard } from './guard/transition.guard.js';
export { ResourceIdPipe } from './guard/resource-id.pipe.js';
export type { GuardRequest } from './guard/guard-request.js';
export type { RequestedEvent } from './guard/request-readers.js';
export { TransitionInterceptor } from './response/transition.interceptor.js';
export { VersionETag, VersionETagInterceptor } from './response/version-etag.decorator.js';
export { TransitionService } from './commit/transition.service.js';
export type {
  CheckedTransition,
  TransitionOf,
  PayloadOf,
  ChangesOf,
} from './commit/checked-transition.js';
export { systemActor } from './commit/system-transition.js';
export type { HistoryRequest } from './commit/history-query.js';
export type { TransitionAudit } from './guard/audit-fields.js';
export {
  OnTransition,
  type OnTransitionFilter,
  type OnTransitionMetadata,
} from './outbox/on-transition.decorator.js';
export { TransitionOutbox, type RegisteredHandler } from './outbox/transition-outbox.js';
export { CommittedTransition } from './decorators/committed-transition.decorator.js';
export type {
  CommitOptions,
  SendOptions,
  TransitionChanges,
  TransitionListener,
  CommitBase,
  ResourceInspection,
} from './commit/commit.types.js';
export {
  TransitionHttpException,
  type TransitionErrorBody,
  type TransitionErrorCode,
} from './errors/transition-http.exception.js';
export {
  IllegalTransitionException,
  type IllegalTransitionBody,
  type IllegalTransitionReason,
  type CurrentPosition,
} from './errors/illegal-transition.exception.js';
export {
  InvalidTransitionRequestException,
  RoleRequiredException,
  ResourceNotFoundException,
  UnsupportedContentTypeException,
  type UnsupportedContentTypeBody,
  type InvalidTransitionRequestBody,
  type InvalidTransitionRequestCode,
  type RoleRequiredBody,
  type ResourceNotFoundBody,
} from './errors/request.exceptions.js';
export {
  PreconditionFailedException,
  PreconditionRequiredException,
  type PreconditionFailedBody,
  type PreconditionRequiredBody,
} from './errors/precondition.exceptions.js';
export {
  IdempotencyKeyReusedException,
  RequestInProgressException,
  type IdempotencyKeyReusedBody,
  type RequestInProgressBody,
} from './errors/idempotency.exceptions.js';
export {
  StoreUnavailableException,
  type StoreUnavailableBody,
} from './errors/store-unavailable.exception.js';
export { TransitionExceptionFilter } from './errors/transition-exception.filter.js';
export { AppErrorFilter } from './errors/app-error.filter.js';
export { toProblemDetails, type ProblemDetails } from './errors/problem-details.js';
export { describeTransitions, type OpenApiDocument } from './openapi/transition-openapi.js';
