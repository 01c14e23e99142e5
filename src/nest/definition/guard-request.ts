/**
 * What the guard and the options' functions read of a request. Express and Fastify requests both
 * fit; `user` is whatever your authentication guard left there.
 */
export interface GuardRequest {
  readonly method?: string;
  readonly url?: string;
  readonly originalUrl?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  readonly user?: unknown;
}

/** The event a request asks for: its type and its payload (the body without `type`). */
export interface RequestedEvent {
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Tells the caller the version a commit wrote (over HTTP, the `ETag` header). */
export type VersionTag = (version: number) => void;
