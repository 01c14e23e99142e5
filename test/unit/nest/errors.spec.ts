import { InternalServerErrorException, Logger } from '@nestjs/common';
import {
  IdempotencyKeyReusedException,
  IllegalTransitionException,
  InvalidTransitionRequestException,
  PreconditionFailedException,
  PreconditionRequiredException,
  RequestInProgressException,
  ResourceNotFoundException,
  RoleRequiredException,
  StoreUnavailableException,
  TransitionHttpException,
} from '../../../src/index.js';
import {
  ForbiddenChangesError,
  IdempotencyKeyLostError,
  StoreUnavailableError,
} from '../../../src/store/index.js';
import { toProblemDetails } from '../../../src/nest/errors/problem-details.js';
import { IdempotencyKeyLostException } from '../../../src/nest/errors/idempotency.exceptions.js';
import { storeFailure } from '../../../src/nest/errors/store-failure.js';

const at = {
  resource: 'order',
  id: '7',
  event: 'SHIP',
  currentState: 'cancelled',
  allowedEvents: [],
};

describe('the error family', () => {
  it.each([
    [
      IllegalTransitionException.stale(at, { kind: 'became' }),
      409,
      'ILLEGAL_TRANSITION',
      'Illegal transition',
    ],
    [
      InvalidTransitionRequestException.of('UNKNOWN_EVENT', 'order', 'x'),
      400,
      'UNKNOWN_EVENT',
      'Unknown event',
    ],
    [
      new RoleRequiredException('order', '7', 'REFUND', ['support']),
      403,
      'ROLE_REQUIRED',
      'Role required',
    ],
    [new ResourceNotFoundException('order', '7'), 404, 'RESOURCE_NOT_FOUND', 'Resource not found'],
    [
      new PreconditionFailedException('order', '7', 'paid', '"v2"'),
      412,
      'PRECONDITION_FAILED',
      'Precondition failed',
    ],
    [
      new PreconditionRequiredException('order', '7'),
      428,
      'PRECONDITION_REQUIRED',
      'Precondition required',
    ],
    [
      new IdempotencyKeyReusedException('order', 'k'),
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'Idempotency key reused',
    ],
    [
      new RequestInProgressException('order', 'k'),
      409,
      'REQUEST_IN_PROGRESS',
      'Request in progress',
    ],
    [new StoreUnavailableException('order'), 503, 'STORE_UNAVAILABLE', 'Store unavailable'],
  ])('%s: one base, a status, a code, a title', (error, status, code, title) => {
    expect(error).toBeInstanceOf(TransitionHttpException);
    expect(error.getStatus()).toBe(status);
    expect(error.code).toBe(code);
    expect(error.title).toBe(title);
    expect(error.getResponse()).toMatchObject({ statusCode: status, code, resource: 'order' });
  });

  it('carries the headers of its answer: ETag on 412, Retry-After on 503', () => {
    expect(new PreconditionFailedException('order', '7', 'paid', '"v2"').headers).toEqual({
      ETag: '"v2"',
    });
    expect(new StoreUnavailableException('order').headers).toEqual({ 'Retry-After': '1' });
  });

  it('builds the 409 messages of a lost race from where the resource is', () => {
    expect(IllegalTransitionException.stale(at, { kind: 'became' }).body.message).toBe(
      'Cannot SHIP order 7: it became cancelled while this request was being checked',
    );
    expect(
      IllegalTransitionException.stale(at, { kind: 'kept-changing', attempts: 4 }).body,
    ).toMatchObject({
      reason: 'stale-state',
      message: 'Cannot SHIP order 7: it kept changing (4 attempts); refetch and retry',
    });
    expect(
      IllegalTransitionException.versionMismatch(at, { expected: 1, actual: 3 }).body,
    ).toMatchObject({
      reason: 'version-mismatch',
      message: 'Cannot SHIP order 7: expected version 1, it is at version 3; refetch and retry',
    });
  });

  it('renders RFC 9457 problem details from a body', () => {
    const error = new ResourceNotFoundException('order', '9');
    expect(
      toProblemDetails(error.body as never, {
        title: error.title,
        typeBase: 'urn:x:',
        instance: '/orders/9',
      }),
    ).toEqual({
      type: 'urn:x:resource-not-found',
      title: 'Resource not found',
      status: 404,
      detail: 'order 9 does not exist',
      instance: '/orders/9',
      code: 'RESOURCE_NOT_FOUND',
      resource: 'order',
      id: '9',
    });
  });
});

describe('storeFailure: one mapping for every store call', () => {
  const logged: string[] = [];
  const logger = {
    warn: (m: string) => logged.push(`warn ${m}`),
    error: (m: string) => logged.push(`error ${m}`),
  } as unknown as Logger;
  beforeEach(() => (logged.length = 0));

  it('answers 503 to an unavailable store, logging a warning', () => {
    const err = storeFailure(
      logger,
      'order',
      'Committing SHIP',
      new StoreUnavailableError('order', { cause: new Error('ECONNREFUSED') }),
    );
    expect(err).toBeInstanceOf(StoreUnavailableException);
    expect(logged).toEqual([
      'warn Committing SHIP failed (order store): The order store is unavailable: ECONNREFUSED',
    ]);
  });

  it('answers 409 IDEMPOTENCY_KEY_LOST when the attempt lost its idempotency key', () => {
    const answer = storeFailure(logger, 'order', 'x', new IdempotencyKeyLostError('k'));
    expect(answer).toBeInstanceOf(IdempotencyKeyLostException);
    expect((answer as IdempotencyKeyLostException).getResponse()).toMatchObject({
      statusCode: 409,
      code: 'IDEMPOTENCY_KEY_LOST',
    });
  });

  it('passes HTTP answers and caller bugs through as they are', () => {
    const notFound = new ResourceNotFoundException('order', '1');
    expect(storeFailure(logger, 'order', 'x', notFound)).toBe(notFound);
    const bug = new ForbiddenChangesError(['status'], ['status', 'id']);
    expect(storeFailure(logger, 'order', 'x', bug)).toBe(bug);
    expect(logged).toEqual([]);
  });

  it('answers anything else with a generic 500 and the cause in the log', () => {
    const err = storeFailure(
      logger,
      'order',
      'Loading order 1',
      new Error('syntax error at or near "FORM"'),
    );
    expect(err).toBeInstanceOf(InternalServerErrorException);
    expect(JSON.stringify((err as InternalServerErrorException).getResponse())).not.toContain(
      'FORM',
    );
    expect(logged).toEqual([
      'error Loading order 1 failed (order store): syntax error at or near "FORM"',
    ]);
  });
});
