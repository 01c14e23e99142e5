import type { RelayLog } from './outbox-relay.js';

/** What a wake-up needs of `pg`'s Client (the `pg` package, loaded when asked for). */
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (n: { channel: string }) => void): unknown;
  on(event: 'error' | 'end', listener: (err?: Error) => void): unknown;
}
type PgClientClass = new (config: { connectionString: string; keepAlive?: boolean }) => PgClient;

/** Where the wake-ups go: a PostgreSQL database and a channel on it. */
export interface WakeUpChannel {
  /** A PostgreSQL connection string; one connection of its own, besides the ORM's pool. */
  readonly url: string;
  /** The NOTIFY channel (an identifier). */
  readonly channel: string;
}

/**
 * How long a writer gathers commits before one NOTIFY: under load a NOTIFY per commit would
 * double the statements the database runs; the relay gathers as long before its round anyway.
 */
const NOTIFY_GATHER_MS = 10;

/** How long a lost LISTEN connection waits before it connects again, at most. */
const MAX_RECONNECT_MS = 5000;

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Wakes outbox relays in other processes through PostgreSQL's LISTEN/NOTIFY, so that a message
 * committed in one process is delivered within milliseconds by a relay in another, instead of at
 * its next poll. A process that writes messages without delivering them `notify()`s after its
 * commits (one NOTIFY per 10 ms at most, for the commits of that time); a relay process `listen()`s and
 * is nudged on each notification, and once more whenever its connection comes back (it may have
 * missed some). Polling stays on: a lost notification delays a message to the next poll, never
 * loses it. Each side holds one connection of its own.
 *
 * `outbox.notify` runs one in the module; a relay run by hand (a worker of its own) uses it so:
 *
 * @example
 * const wakeUp = await PostgresWakeUp.create({ url: process.env.DATABASE_URL!, channel: 'transition_outbox' }, console);
 * relay.start();
 * await wakeUp.listen(() => relay.nudge()); // the writers: wakeUp.notify() after a commit
 */
export class PostgresWakeUp {
  private listener: PgClient | undefined;
  private notifier: Promise<PgClient> | undefined;
  /** A NOTIFY is due within NOTIFY_GATHER_MS. */
  private queued: NodeJS.Timeout | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  private constructor(
    private readonly Client: PgClientClass,
    private readonly where: WakeUpChannel,
    private readonly log: RelayLog,
  ) {}

  /** Loads `pg`; fails naming the fix when it is not installed. */
  static async create(where: WakeUpChannel, log: RelayLog): Promise<PostgresWakeUp> {
    let pg: { Client?: PgClientClass; default?: { Client?: PgClientClass } };
    try {
      pg = (await import('pg')) as unknown as typeof pg;
    } catch (err) {
      throw new Error(`outbox.notify needs the 'pg' package (npm install pg): ${describe(err)}`, {
        cause: err,
      });
    }
    const Client = pg.default?.Client ?? pg.Client;
    if (!Client) throw new Error(`outbox.notify: the 'pg' package has no Client (pg 8 expected)`);
    return new PostgresWakeUp(Client, where, log);
  }

  /** Listens on the channel and calls `wake` on each notification, reconnecting when cut. */
  async listen(wake: () => void): Promise<void> {
    if (this.closed) return;
    // TCP keepalive: a peer gone without closing the connection is noticed, and replaced.
    const client = new this.Client({ connectionString: this.where.url, keepAlive: true });
    let lost = false;
    const reconnect = (err?: Error) => {
      if (lost || this.closed) return;
      lost = true;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      this.failures++;
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.log.warn(
          `outbox relay lost its LISTEN connection (${this.failures}x)${err ? `: ${describe(err)}` : ''}; polling until it is back`,
        );
      }
      const delay = Math.min(100 * 2 ** Math.min(this.failures, 6), MAX_RECONNECT_MS);
      this.reconnectTimer = setTimeout(() => void this.listen(wake), delay);
      this.reconnectTimer.unref();
    };
    client.on('error', reconnect);
    client.on('end', () => {
      reconnect();
    });
    client.on('notification', (n) => {
      if (n.channel === this.where.channel) wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.identifier()}`);
    } catch (err) {
      reconnect(err as Error);
      return;
    }
    if (this.isClosed()) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.failures = 0;
    // Back after a cut: what was committed meanwhile was not announced.
    wake();
  }

  /**
   * Announces committed messages to the listening relays, within `NOTIFY_GATHER_MS`: the commits
   * of a burst share one NOTIFY. Never fails the caller.
   */
  notify(): void {
    if (this.closed || this.queued) return;
    this.queued = setTimeout(() => {
      this.queued = undefined;
      void this.send();
    }, NOTIFY_GATHER_MS);
    this.queued.unref();
  }

  /** Ends both connections. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.queued);
    const listener = this.listener;
    this.listener = undefined;
    const notifier = this.notifier;
    this.notifier = undefined;
    await Promise.all([
      listener?.end().catch(() => undefined),
      notifier?.then((c) => c.end()).catch(() => undefined),
    ]);
  }

  private async send(): Promise<void> {
    try {
      const notifier = (this.notifier ??= this.connectNotifier());
      const client = await notifier;
      await client.query('SELECT pg_notify($1, $2)', [this.where.channel, '']);
    } catch (err) {
      // The relays poll: this message waits for their next round. Connect again next time.
      this.notifier = undefined;
      this.log.warn(`outbox could not notify the relays: ${describe(err)}`);
    }
  }

  private connectNotifier(): Promise<PgClient> {
    const client = new this.Client({ connectionString: this.where.url });
    const connected = client.connect().then(() => client);
    // A connection lost between two notifies: the next one opens another.
    client.on('error', () => {
      if (this.notifier === connected) this.notifier = undefined;
    });
    return connected;
  }

  /** Whether `close()` was called (it may have been while a connection opened). */
  private isClosed(): boolean {
    return this.closed;
  }

  private identifier(): string {
    return `"${this.where.channel.replaceAll('"', '""')}"`;
  }
}
