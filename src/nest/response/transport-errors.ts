import type { TransitionErrorBody } from '../errors/error-body.js';
import type { TransitionHttpException } from '../errors/transition-http.exception.js';

/**
 * The `extensions.code` of a refusal answered over GraphQL: `TRANSITION_REFUSED` for a move the
 * machine refuses, `STALE_STATE` for a row that moved (a lost race, a version that no longer
 * matches), else the body's own code (`PRECONDITION_FAILED`, `ROLE_REQUIRED`, `INVALID_PAYLOAD`,
 * `RESOURCE_NOT_FOUND`, `STORE_UNAVAILABLE`, ...).
 */
export function graphqlCodeOf(body: TransitionErrorBody): string {
  if (body.code !== 'ILLEGAL_TRANSITION') return body.code;
  return body.reason === 'stale-state' || body.reason === 'version-mismatch'
    ? 'STALE_STATE'
    : 'TRANSITION_REFUSED';
}

/**
 * A refusal as a GraphQL error: the message, `extensions.code` (see `graphqlCodeOf`),
 * `extensions.statusCode` (what HTTP would answer) and `extensions.body`, the same body a 409
 * carries. GraphQL servers take a resolver's error's `extensions` as they are (graphql-js wraps it
 * in a `GraphQLError`), so this package does not import `graphql`; Apollo and Mercurius keep
 * them, unlike an `HttpException` (Apollo answers a 409 as `INTERNAL_SERVER_ERROR`).
 *
 * @example
 * // What a GraphQL client reads of a refused mutation:
 * const [error] = result.errors ?? [];
 * if (error?.extensions?.code === 'STALE_STATE') await reloadAndRetry();
 * else if (error?.extensions?.code === 'TRANSITION_REFUSED') show(error.extensions.body.allowedEvents);
 */
export class TransitionGraphQLError extends Error {
  readonly extensions: {
    readonly code: string;
    readonly statusCode: number;
    readonly body: TransitionErrorBody;
  };

  constructor(exception: TransitionHttpException) {
    super(exception.body.message);
    this.name = 'TransitionGraphQLError';
    this.extensions = {
      code: graphqlCodeOf(exception.body),
      statusCode: exception.body.statusCode,
      body: exception.body,
    };
  }
}
