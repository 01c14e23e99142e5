import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a store finds the transaction the app has open: `@nestjs-cls/transactional`'s
 * `TransactionHost` (or anything with the same two members). The stores take it as their
 * `transactionHost` option and then write inside `host.tx` while `isTransactionActive()`.
 */
export interface TransactionHostLike<TTx> {
  isTransactionActive(): boolean;
  readonly tx: TTx;
}

/** A transaction of the app a commit joins: what runs once it has committed. */
export interface JoinedTransaction {
  /** Runs `fn` after the app's transaction commits; never when it rolls back. */
  afterCommit(fn: () => Promise<void>): void;
}

/** One open transaction of a wrapped adapter: its client, and what waits for its commit. */
interface Frame {
  client: unknown;
  readonly pending: (() => Promise<void>)[];
  readonly parent: Frame | undefined;
}

const frames = new AsyncLocalStorage<Frame>();

/** The app's open transaction, or undefined (no host, or no transaction active). */
export function ambientTransaction<TTx>(
  host: TransactionHostLike<TTx> | undefined,
): TTx | undefined {
  return host?.isTransactionActive() ? host.tx : undefined;
}

/**
 * The transaction `tx` (from a `TransactionHost`) as a joined transaction whose commit can be
 * waited for. Throws, before anything is written, when the transactional adapter was not wrapped
 * by `withTransitionHooks`: nothing would then know when the app's transaction commits.
 */
export function joinedTransaction(tx: object, store: string): JoinedTransaction {
  for (let frame = frames.getStore(); frame; frame = frame.parent) {
    if (frame.client === tx) return { afterCommit: (fn) => frame.pending.push(fn) };
  }
  throw new Error(
    `${store}: commit() joined the app's open transaction, but the transactional adapter does not say when it commits ` +
      `(afterCommit hooks, the Idempotency-Key's settlement and the ETag wait for it). Wrap the adapter: ` +
      `ClsPluginTransactional({ adapter: withTransitionHooks(new TransactionalAdapterTypeOrm({ ... })) }), ` +
      `with withTransitionHooks from 'nestjs-transition-guard'.`,
  );
}

type Open = (...args: unknown[]) => Promise<unknown>;
type SetTx = (client?: unknown) => void;

/** The part of a `@nestjs-cls/transactional` adapter's options that opens transactions. */
interface AdapterOptions {
  wrapWithTransaction(options: unknown, fn: Open, setTx: SetTx): Promise<unknown>;
  wrapWithNestedTransaction?(
    options: unknown,
    fn: Open,
    setTx: SetTx,
    tx: unknown,
  ): Promise<unknown>;
}

/** A `@nestjs-cls/transactional` adapter (`TransactionalAdapterTypeOrm`, `...Prisma`, `...DrizzleOrm`). */
export interface TransactionalAdapterLike {
  optionsFactory: (connection: never, extraProviders: never[]) => unknown;
}

/**
 * Wraps a `@nestjs-cls/transactional` adapter so that a `commit()` inside `@Transactional()`
 * knows when the app's transaction ends: its afterCommit hooks run after the outermost
 * transaction commits (a nested one's when the outer commits too), and never for one that rolled
 * back. Everything else is the adapter's.
 *
 * @example
 * ClsModule.forRoot({
 *   plugins: [new ClsPluginTransactional({
 *     imports: [TypeOrmModule],
 *     adapter: withTransitionHooks(new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource })),
 *   })],
 * })
 */
export function withTransitionHooks<A extends TransactionalAdapterLike>(adapter: A): A {
  const optionsFactory = (adapter.optionsFactory as (...args: unknown[]) => AdapterOptions).bind(
    adapter,
  );
  const wrapped = Object.create(adapter) as A & { optionsFactory: unknown };
  wrapped.optionsFactory = (...args: unknown[]): AdapterOptions => {
    const options = optionsFactory(...args);
    const nested = options.wrapWithNestedTransaction?.bind(options);
    return {
      ...options,
      wrapWithTransaction: (txOptions, fn, setTx) =>
        inFrame(false, setTx, (set) => options.wrapWithTransaction(txOptions, fn, set)),
      ...(nested && {
        wrapWithNestedTransaction: (txOptions: unknown, fn: Open, setTx: SetTx, tx: unknown) =>
          inFrame(true, setTx, (set) => nested(txOptions, fn, set, tx)),
      }),
    };
  };
  return wrapped;
}

/**
 * Runs `open` (which opens a transaction and runs the app's function in it) in a new frame; once
 * it resolves (committed), runs what waited for the commit, or hands it to the outer frame when
 * this one was nested (a savepoint: the outer transaction may still roll back).
 */
async function inFrame<T>(
  nested: boolean,
  setTx: SetTx,
  open: (setTx: SetTx) => Promise<T>,
): Promise<T> {
  const parent = frames.getStore();
  const frame: Frame = { client: undefined, pending: [], parent };
  const result = await frames.run(frame, () =>
    open((client) => {
      frame.client = client;
      setTx(client);
    }),
  );
  if (nested && parent) parent.pending.push(...frame.pending);
  else for (const fn of frame.pending) await fn();
  return result;
}
