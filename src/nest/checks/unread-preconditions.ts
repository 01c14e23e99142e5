import { versionOfEtag, type IfMatch } from '../../http/index.js';
import type { Pinned } from './preconditions.js';
import type { RequestedEvent } from '../definition/guard-request.js';

/** What a commit without reading the row compares besides the state: the version pinned, if any. */
export interface UnreadPreconditions {
  readonly version: number | undefined;
  readonly pinned: Pinned;
  /** The event without `expectedVersion`. */
  readonly event: RequestedEvent;
}

/**
 * The preconditions as one statement can compare them (`AND version = ?`): `If-Match` with one
 * `"v<n>"` tag (or `*`), a body's `expectedVersion` as an integer. Undefined when they cannot be
 * (several tags, another tag, a version of another shape, two versions that differ): the guard
 * then reads the row and answers as it always does (412, 409 `version-mismatch`).
 */
export function unreadPreconditions(
  event: RequestedEvent,
  ifMatch: IfMatch | undefined,
): UnreadPreconditions | undefined {
  let version: number | undefined;
  let pinned: Pinned;
  if (ifMatch && !ifMatch.any) {
    if (ifMatch.tags.length !== 1) return undefined;
    version = versionOfEtag(ifMatch.tags[0]);
    if (version === undefined) return undefined;
    pinned = 'if-match';
  }
  if (!Object.hasOwn(event.payload, 'expectedVersion')) return { version, pinned, event };
  const { expectedVersion, ...payload } = event.payload;
  const expected =
    typeof expectedVersion === 'number' || typeof expectedVersion === 'string'
      ? Number(expectedVersion)
      : NaN;
  const exact = Number.isSafeInteger(expected) && expected >= 0;
  if (!exact || String(expected) !== String(expectedVersion)) return undefined;
  if (version !== undefined && version !== expected) return undefined;
  return {
    version: expected,
    pinned: pinned ?? 'expected-version',
    event: { type: event.type, payload },
  };
}
