/**
 * `nestjs-transition-guard`: what a NestJS app uses. The module and `defineResource`, the
 * decorators, the guard, `TransitionService`, the errors and their filters, the outbox,
 * OpenAPI, the in-memory stores. Writing a store of your own: `nestjs-transition-guard/store`.
 * The framework-free validator: `nestjs-transition-guard/core`.
 *
 * @module nestjs-transition-guard
 */

// The module, and a resource declared once.
export {
  TransitionGuardModule,
  type TransitionGuardAsyncOptions,
} from './nest/module/transition-guard.module.js';
export type { TransitionGuardOptions } from './nest/definition/options.js';
export {
  defineResource,
  type TransitionResource,
  type PayloadSchemas,
} from './nest/definition/resource-definition.js';
export type {
  StateLoader,
  LoadedState,
  StateLoadContext,
} from './nest/definition/state-loader.interface.js';

// Routes.
export {
  Transition,
  type TransitionDecoratorOptions,
} from './nest/decorators/transition.decorator.js';
export type {
  IdSource,
  UnreadCommit,
  LockedCommit,
  TransitionMetadata,
  GuardCommit,
} from './nest/definition/transition-metadata.js';
export { CurrentTransition } from './nest/decorators/current-transition.decorator.js';
export { TransitionCaller } from './nest/decorators/transition-caller.decorator.js';
export { CommittedTransition } from './nest/decorators/committed-transition.decorator.js';
export { VersionETag } from './nest/response/version-etag.decorator.js';
export { ResourceIdPipe } from './nest/request/resource-id.pipe.js';
export { TransitionGuard } from './nest/pipeline/transition.guard.js';
export type { GuardRequest } from './nest/definition/guard-request.js';
export type { TransportCall, TransitionTransport } from './nest/request/transport-call.js';
export type { RequestedEvent } from './nest/request/request-readers.js';

// Commits.
export { TransitionService } from './nest/commit/transition.service.js';
export type {
  CheckedTransition,
  TransitionOf,
  PayloadOf,
  ChangesOf,
} from './nest/definition/checked-transition.js';
export type {
  CommitBase,
  CommitOptions,
  CommitResult,
  SendOptions,
  TransitionChanges,
  TransitionListener,
  ResourceInspection,
  CallerEvent,
  RowOf,
} from './nest/definition/commit.types.js';
export type { HistoryRequest } from './nest/commit/history-query.js';
export type { TransitionAudit } from './nest/definition/audit-fields.js';
export { systemActor } from './nest/commit/system-transition.js';
export { withTransitionHooks } from './store/ambient-transaction.js';

// After the commit: the outbox.
export { OnTransition, type OnTransitionFilter } from './nest/outbox/on-transition.decorator.js';
export type { TransitionDelivery } from './outbox/transition-delivery.js';
export { TransitionOutbox } from './nest/outbox/transition-outbox.js';
export { TransitionTimers } from './nest/timers/transition-timers.js';
export { TransitionInbox } from './outbox/transition-inbox.js';
export { transitionEnvelope, type TransitionEnvelope } from './outbox/transition-envelope.js';

// Errors: one body union keyed by `code`, an exception per kind, the filters that render them.
export type {
  TransitionErrorBody,
  TransitionErrorCode,
  ErrorBodyOf,
  InvalidTransitionRequestCode,
} from './nest/errors/error-body.js';
export { TransitionHttpException } from './nest/errors/transition-http.exception.js';
export {
  IllegalTransitionException,
  type IllegalTransitionReason,
} from './nest/errors/illegal-transition.exception.js';
export {
  InvalidTransitionRequestException,
  RoleRequiredException,
  ResourceNotFoundException,
  UnsupportedContentTypeException,
} from './nest/errors/request.exceptions.js';
export {
  PreconditionFailedException,
  PreconditionRequiredException,
} from './nest/errors/precondition.exceptions.js';
export {
  IdempotencyKeyReusedException,
  RequestInProgressException,
} from './nest/errors/idempotency.exceptions.js';
export { StoreUnavailableException } from './nest/errors/store-unavailable.exception.js';
export { TransitionExceptionFilter } from './nest/response/transition-exception.filter.js';
export { TransitionGraphQLError } from './nest/response/transport-errors.js';
export { AppErrorFilter } from './nest/response/app-error.filter.js';
export type { ProblemDetails } from './nest/errors/problem-details.js';

// OpenAPI.
export { describeTransitions, type OpenApiDocument } from './nest/openapi/transition-openapi.js';

// Stores without a database: tests, examples, a single process.
export { MemoryTransitionStore, type MemoryRow } from './store/memory-transition-store.js';
export { MemoryIdempotencyStore } from './store/memory-idempotency-store.js';
export { MemoryOutboxStore } from './store/memory-outbox-store.js';
export { MemoryTimerStore } from './store/memory-timer-store.js';
