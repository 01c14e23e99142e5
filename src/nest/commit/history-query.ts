import type { HistoryQuery } from '../../store/index.js';
import { InvalidTransitionRequestException } from '../errors/request.exceptions.js';

/** A page of history as a client asks for it (query string values accepted as they come). */
export interface HistoryRequest {
  /** 1 to 100; default 20. */
  readonly limit?: number | string;
  /** The `next` cursor of the previous page. */
  readonly before?: string;
}

export const HISTORY_LIMITS = { default: 20, max: 100 };

/** The query checked: 400 `INVALID_HISTORY_QUERY` for a limit or a cursor out of shape. */
export function readHistoryQuery(resource: string, request: HistoryRequest): HistoryQuery {
  const bad = (message: string) =>
    InvalidTransitionRequestException.of('INVALID_HISTORY_QUERY', resource, message);
  const raw = request.limit;
  let limit = HISTORY_LIMITS.default;
  if (raw !== undefined && raw !== '') {
    limit = typeof raw === 'number' ? raw : /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_LIMITS.max) {
      throw bad(`limit must be an integer from 1 to ${HISTORY_LIMITS.max}`);
    }
  }
  const { before } = request;
  if (before === undefined || before === '') return { limit };
  if (typeof before !== 'string' || !/^[1-9][0-9]{0,15}$/.test(before)) {
    throw bad('before must be the next cursor of a previous page');
  }
  return { limit, before };
}
