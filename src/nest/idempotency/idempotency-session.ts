import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import {
  IdempotencyKeyLostError,
  type IdempotencyRecord,
  type IdempotencyStore,
  type StoredResponse,
} from '../../store/index.js';
import {
  IdempotencyKeyReusedException,
  RequestInProgressException,
} from '../errors/idempotency.exceptions.js';
import { callStore } from '../errors/store-failure.js';
import { messages } from '../errors/messages.js';
import { RoleRequiredException } from '../errors/request.exceptions.js';

/** What identifies one idempotent request: whose key, which key, and what was asked. */
export interface IdempotentRequest {
  readonly caller: string;
  readonly key: string;
  readonly fingerprint: string;
  /** The caller's roles: a replay of a transition that needed a role needs it again. */
  readonly roles: readonly string[];
}

/** What a committed key keeps: the transition, and the roles the transition taken needed. */
interface CommittedRecord {
  readonly transition: unknown;
  readonly roles?: readonly string[];
}

/** How long an attempt holds a key, and how long a key is kept. */
export interface IdempotencyTiming {
  readonly leaseSeconds: number;
  readonly ttlSeconds: number;
}

/**
 * One attempt's hold on an `Idempotency-Key`, from lookup to settlement: it replays a settled
 * key, refuses a reused or busy one, takes a free one (or one whose lease ended), marks it
 * committed inside the state change's transaction, stores the response, or frees the key when the
 * attempt failed before committing. A committed key is never freed: a retry replays what was
 * committed.
 */
export class IdempotencySession {
  private heartbeat: NodeJS.Timeout | undefined;
  /** The key was found taken over or settled by another attempt while this one ran. */
  private lost = false;

  private constructor(
    private readonly store: IdempotencyStore,
    readonly request: IdempotentRequest,
    private readonly token: string,
    private readonly resource: string,
    private readonly logger: Logger,
    timing: IdempotencyTiming,
    expiresAt: number,
  ) {
    this.beat(timing.leaseSeconds * 1000, expiresAt);
  }

  /**
   * Renews the lease every third of it while the attempt runs, so that a handler slower than the
   * lease keeps its key (a retry meanwhile gets 409 `REQUEST_IN_PROGRESS`, not a second run).
   * A renewal that finds the key gone stops the heartbeat: the attempt cannot commit (the commit
   * compares the token) and its caller gets 409 `IDEMPOTENCY_KEY_LOST`. A renewal that fails
   * (store down) is retried at the next beat. The timer does not keep the process alive, and
   * stops when the key is committed, completed or released, or when it expires.
   */
  private beat(leaseMs: number, expiresAt: number): void {
    const { store } = this;
    if (!store.renew) return;
    const renew = store.renew.bind(store);
    const { caller, key } = this.request;
    this.heartbeat = setInterval(
      () => {
        if (Date.now() + leaseMs >= expiresAt) {
          this.stop();
          return;
        }
        renew(caller, key, this.token, new Date(Date.now() + leaseMs)).then(
          (held) => {
            if (held || !this.heartbeat) return;
            this.lost = true;
            this.stop();
            this.logger.warn(messages.keyLost(key, this.resource));
          },
          (err: unknown) => {
            this.logger.warn(
              `Renewing the lease of Idempotency-Key '${key}' of ${this.resource} failed (retried at the next beat): ${(err as Error).message}`,
            );
          },
        );
      },
      Math.max(Math.floor(leaseMs / 3), 50),
    );
    this.heartbeat.unref();
  }

  private stop(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /**
   * Looks the key up and takes it: a session to run the request under, or the response to replay.
   * Throws 422 (the key was used for another request), 409 (another attempt holds it), 503.
   */
  static async open(
    store: IdempotencyStore,
    request: IdempotentRequest,
    timing: IdempotencyTiming,
    resource: string,
    logger: Logger,
  ): Promise<IdempotencySession | { readonly replay: StoredResponse }> {
    const { caller, key } = request;
    const call = <T>(action: string, fn: () => Promise<T>) =>
      callStore(logger, resource, `Idempotency-Key ${action}`, fn);
    for (let attempt = 0; attempt < 2; attempt++) {
      const record = await call('lookup', () => store.get(caller, key));
      if (record) {
        const replay = settledResponse(record, request, resource);
        if (replay) return { replay };
        if (record.leaseUntil.getTime() > Date.now()) {
          throw new RequestInProgressException(resource, key);
        }
      }
      const now = Date.now();
      const token = randomUUID();
      const claimed = await call('claim', () =>
        store.claim(caller, key, {
          fingerprint: request.fingerprint,
          token,
          leaseUntil: new Date(now + timing.leaseSeconds * 1000),
          expiresAt: new Date(now + timing.ttlSeconds * 1000),
        }),
      );
      if (claimed) {
        const expiresAt = now + timing.ttlSeconds * 1000;
        return new IdempotencySession(store, request, token, resource, logger, timing, expiresAt);
      }
    }
    throw new RequestInProgressException(resource, key);
  }

  /**
   * Marks the key committed, inside the state change's transaction `tx`, with the transition and
   * the roles it needed (so that a replay asks for them again).
   */
  markCommitted(
    transition: unknown,
    roles: readonly string[] | undefined,
    tx: unknown,
  ): Promise<void> {
    const { caller, key } = this.request;
    const committed: CommittedRecord = roles?.length ? { transition, roles } : { transition };
    if (this.lost) return Promise.reject(new IdempotencyKeyLostError(key));
    return this.store.markCommitted(caller, key, this.token, committed, tx);
  }

  /** The key is committed: nothing can take it over now, the lease needs no renewal. */
  committed(): void {
    this.stop();
  }

  /** Stores the response for replays. A failure is logged: the answer is decided already. */
  async complete(response: StoredResponse): Promise<void> {
    this.stop();
    const { caller, key } = this.request;
    await this.store.complete(caller, key, this.token, response).catch((err: unknown) => {
      this.logger.warn(
        `Storing the response of Idempotency-Key '${key}' failed (a retry replays the committed transition or runs again): ${(err as Error).message}`,
      );
    });
  }

  /**
   * Frees the key of an attempt that failed before committing, so that a retry runs again. A
   * failure is logged: the lease bounds how long the key stays taken.
   */
  async abandon(): Promise<void> {
    this.stop();
    const { caller, key } = this.request;
    await this.store.release(caller, key, this.token).catch((err: unknown) => {
      this.logger.warn(
        `Releasing Idempotency-Key '${key}' of ${this.resource} failed; it frees itself when its lease ends: ${(err as Error).message}`,
      );
    });
  }
}

/**
 * The response a settled record replays; undefined while an attempt runs. Throws 422 on a reused
 * key, 403 when the transition it committed needed a role the caller does not have now.
 */
function settledResponse(
  record: IdempotencyRecord,
  request: IdempotentRequest,
  resource: string,
): StoredResponse | undefined {
  if (record.fingerprint !== request.fingerprint) {
    throw new IdempotencyKeyReusedException(resource, request.key);
  }
  if (record.status === 'in-progress') return undefined;
  const committed = record.committed as CommittedRecord | undefined;
  const roles = committed?.roles ?? [];
  if (roles.length && !roles.some((r) => request.roles.includes(r))) {
    const t = committed?.transition as { id?: string; event?: string } | undefined;
    throw new RoleRequiredException(resource, t?.id ?? '', t?.event ?? '', roles);
  }
  if (record.status === 'completed' && record.response) return record.response;
  return { status: 200, body: { transition: committed?.transition ?? null }, headers: {} };
}
