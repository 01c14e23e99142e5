import {
  describeRefusal,
  type PayloadIssue,
  type RefusedTransition,
  type StoredState,
} from '../../core/index.js';
import { formatState } from '../../core/state-value.js';

/**
 * Every sentence the NestJS layer says, in one place: what happened, with the values, and what
 * to do. Exceptions and log lines take their text from here.
 */
export const messages = {
  invalidId: (resource: string, id: unknown, expected: string) =>
    `Invalid ${resource} id ${typeof id === 'string' ? JSON.stringify(id.slice(0, 40)) : typeof id}: expected ${expected}`,
  bodyNotObject: () => 'The request body must be a JSON object',
  bodyNotJson: (detail: string) =>
    `The request body is not valid JSON (${detail.slice(0, 120)}). Send a JSON object with Content-Type application/json.`,
  bodyUnreadable: (detail: string) =>
    `The request body could not be read (${detail.slice(0, 120)}). Send it again, uncompressed or gzip/deflate, with a correct Content-Length.`,
  bodyTooLarge: (limit: number | undefined) =>
    `The request body is larger than this server accepts${limit ? ` (${limit} bytes)` : ''}. Send a smaller body.`,
  bodyEncoding: (detail: string) =>
    `The request body's encoding is not supported (${detail.slice(0, 120)}). Send UTF-8 JSON, uncompressed or gzip/deflate.`,
  bodyTooDeep: (maxDepth: number) =>
    `The request body is nested deeper than ${maxDepth} levels; send a flatter JSON object`,
  typeContradictsRoute: (event: string, type: unknown) =>
    `This route sends ${event}; the body's type ${JSON.stringify(type)} contradicts it. Remove it or use the events route.`,
  typeMissing: (events: readonly string[]) =>
    `The body needs a string "type", one of: ${events.join(', ')}`,
  unknownEvent: (resource: string, type: string, events: readonly string[]) =>
    `'${type.slice(0, 100)}' is not an event of ${resource} (events: ${events.join(', ')})`,
  invalidPayload: (event: string, issues: readonly PayloadIssue[]) =>
    `Invalid payload for ${event}: ${issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ')}`,
  unsupportedContentType: (received: string) =>
    `Transition requests take a JSON body: Content-Type application/json (UTF-8), not compressed; got ${JSON.stringify(received.slice(0, 100))}`,
  callerTooLong: (length: number, max: number) =>
    `The caller's identity (the getActor option) is ${length} characters; at most ${max} are kept, and a cut one could be another caller's. Return a shorter id from getActor (a user id, or a hash of a long identity).`,
  callerRequired: () =>
    'Idempotency-Key needs a caller identity (the getActor option found none): authenticate the request, or send it without the key',
  invalidIfMatch: () => 'If-Match must be * or a list of quoted entity tags ("v3")',
  invalidIdempotencyKey: (max: number) =>
    `Idempotency-Key must be 1 to ${max} letters, digits or -_.: characters`,
  roleRequired: (resource: string, event: string, roles: readonly string[]) =>
    `${event} on ${resource} needs one of the roles: ${roles.join(', ')}`,
  notFound: (resource: string, id: string) => `${resource} ${id} does not exist`,
  refused: (resource: string, id: string, result: RefusedTransition) =>
    result.reason === 'final-state'
      ? `Cannot ${result.event} ${resource} ${id}: it is ${formatState(result.from, { quote: false })}`
      : describeRefusal(result, `${resource} ${id}`),
  versionMismatch: (
    resource: string,
    id: string,
    event: string,
    expected: unknown,
    actual: unknown,
  ) =>
    `Cannot ${event} ${resource} ${id}: expected version ${String(expected)}, it is at version ${String(actual)}; refetch and retry`,
  versionMoved: (resource: string, id: string, event: string, version: number | undefined) =>
    `Cannot ${event} ${resource} ${id}: it moved to version ${String(version)} while this request was being checked; refetch and retry`,
  becameIllegal: (resource: string, id: string, event: string, state: StoredState) =>
    `Cannot ${event} ${resource} ${id}: it became ${formatState(state, { quote: false })} while this request was being checked`,
  movedOn: (resource: string, id: string, event: string, state: StoredState) =>
    `Cannot ${event} ${resource} ${id}: it moved to ${formatState(state, { quote: false })} while this request was being checked; refetch and retry`,
  keptChanging: (resource: string, id: string, event: string, attempts: number) =>
    `Cannot ${event} ${resource} ${id}: it kept changing (${attempts} attempts); refetch and retry`,
  preconditionFailed: (resource: string, id: string, etag: string | undefined) =>
    `${resource} ${id} is no longer at the version If-Match names (now ${etag ?? 'unversioned'}); refetch and retry`,
  preconditionRequired: (resource: string, id: string) =>
    `Send If-Match with the ETag of ${resource} ${id} (GET it first), or If-Match: * for any version`,
  keyReused: (key: string) =>
    `Idempotency-Key '${key}' was already used for a different request; use a new key for a new request`,
  keyInProgress: (key: string) =>
    `A request with Idempotency-Key '${key}' is still in progress; retry after it completes`,
  keyLost: (key: string, resource: string) =>
    `This request lost its hold on Idempotency-Key '${key}' of ${resource} (its lease could not be renewed in time and another attempt took the key over); this request changed nothing. Send the same request again with the same key to get the other attempt's answer`,
  storeUnavailable: (resource: string) =>
    `The ${resource} store is unavailable; nothing was changed. Retry later.`,
  storeOutcomeUnknown: (resource: string) =>
    `The ${resource} store failed after the change was sent, and whether it was applied is unknown. ` +
    'Send the same request again with an Idempotency-Key, or read the resource before retrying.',

  // Log lines and bootstrap errors (never sent to clients).
  unknownStoredState: (
    resource: string,
    id: string,
    state: unknown,
    machine: string,
    valid: readonly string[],
  ) =>
    `${resource} ${id} has stored state ${formatState(state)} which machine '${machine}' does not have ` +
    `(valid: ${valid.join(', ')}). Move the row to a state the machine has (docs/changing-machines.md) or add the state.`,
  refusedByDatabase: (resource: string, id: string, event: string, from: unknown, to: unknown) =>
    `Cannot ${event} ${resource} ${id}: the database's trigger for machine of '${resource}' does not allow ${formatState(from)} -> ${formatState(to)}; it was installed from another version of the machine (reinstall it: transition-guard trigger).`,
  triggerRefused: (resource: string, id: string, event: string) =>
    `${resource} ${id}: the database's machine trigger refused ${event}, which this app's machine allows: the trigger and the machine differ (install the trigger from the current lock: transition-guard trigger).`,
  inUnknownState: (resource: string, id: string, event: string, state: unknown) =>
    `Cannot ${event} ${resource} ${id}: it is in state ${formatState(state)}, which this version of the machine does not have; it cannot change until it is migrated.`,
  unknownStoredStates: (
    resource: string,
    machine: string,
    unknown: readonly { state: unknown; count: number }[],
    refuse: boolean,
  ) => {
    const rows = unknown.reduce((n, u) => n + u.count, 0);
    const each = unknown
      .map(
        (u) =>
          `${formatState(u.state)} (${u.count.toLocaleString('en-US')} row${u.count === 1 ? '' : 's'})`,
      )
      .join(', ');
    const map = unknown.map((u) => `${formatState(u.state, { quote: false })}=<state>`).join(',');
    const first = formatState(unknown[0].state);
    return (
      `${resource}: ${rows.toLocaleString('en-US')} row${rows === 1 ? ' is' : 's are'} in states machine '${machine}' does not have: ${each}. ` +
      `Requests on them answer 409 unknown-state until they move: map each to a state the machine has ` +
      `(review with: npx transition-guard diff <old lock> <machine file> --map ${map}) and move the rows in a migration ` +
      `(UPDATE ... SET state = <state>, version = version + 1 WHERE state = ${first}, in batches; docs/changing-machines.md), or add the states back.` +
      (refuse ? ` To start anyway: TransitionGuardModule.forRoot({ storedStates: 'warn' }).` : '')
    );
  },
  staleTrigger: (resource: string, machine: string, installed: string, current: string) =>
    `${resource}: the database's trigger was built from another version of machine '${machine}' (its hash ${installed.slice(0, 19)}..., the machine's ${current.slice(0, 19)}...): it may refuse moves the machine now allows, or allow ones it refuses. Install it again: npx transition-guard trigger <machine file> ... (docs/changing-machines.md).`,
  storedStatesUncounted: (resource: string, cause: string) =>
    `${resource}: could not count the rows per state at bootstrap (${cause}); the stored-state check was skipped.`,
  badVersion: (resource: string, id: string, version: unknown) =>
    `${resource} ${id}: the loader returned version ${JSON.stringify(version)}; a version is a non-negative integer or absent. Fix the loader.`,
  checkFailed: (resource: string, id: string, event: string, cause: string) =>
    `Checking ${event} on ${resource} ${id} failed: ${cause}`,
  storeFailed: (resource: string, action: string, cause: string) =>
    `${action} failed (${resource} store): ${cause}`,
  noStore: (resource: string) =>
    `TransitionService.commit(): resource '${resource}' has no store. Register it with ` +
    `TransitionGuardModule.forFeature([{ resource: '${resource}', machine, store: YourStore }]).`,
  noHistory: (resource: string) =>
    `TransitionService.history(): the store of '${resource}' keeps no transition log. ` +
    `Use a store with history(), such as TypeOrmTransitionStore with log: true.`,
  unregisteredAtRuntime: (resource: string) =>
    `@Transition('${resource}'): no such resource is registered (checked at bootstrap; was the registry replaced?)`,
  committedTwice: (resource: string, id: string, event: string) =>
    `TransitionService.commit(): ${event} on ${resource} ${id} was committed already, by the guard ` +
    `(the route's @Transition() has commit). Take @CommittedTransition() in the handler instead of committing again.`,
  noLocking: (resource: string) =>
    `commitLocked: the store of '${resource}' cannot lock rows (it has no commitLocked). ` +
    `Use a store that has it (every shipped store does), or commit in the handler.`,
  guardWithoutService: (guard: string) =>
    `${guard} commits for a route with @Transition(..., { commit }), but was built without TransitionService: ` +
    `pass it on as the fifth argument of super(reflector, registry, options, idempotencyStore, transitions).`,
  noForRoot: (what: string) =>
    `${what} needs TransitionGuardModule.forRoot() (or forRootAsync()) imported once, in the application's root module.`,
};
