import net from 'node:net';

/**
 * What the proxy does to the first commit of a write to `table` it sees once armed:
 * - `drop-ack`: the commit reaches the server; its answer is dropped and both sockets closed
 *   (the write is applied, the client never hears so);
 * - `drop-commit`: the commit never reaches the server, both sockets are closed (the server
 *   rolls the transaction back);
 * - `drop-ack-and-refuse`: as `drop-ack`, then every connection is cut and new ones refused for
 *   `refuseMs` (the client cannot ask what happened).
 */
export type CommitFault = 'drop-ack' | 'drop-commit' | 'drop-ack-and-refuse';

/** A TCP proxy in front of a database server that can lose a commit's acknowledgement. */
export interface CommitProxy {
  /** The server's URL, through the proxy. */
  readonly url: string;
  /** Arms the proxy for the next commit of a write to its table; resolves once it struck. */
  arm(fault: CommitFault, refuseMs?: number): Promise<void>;
  /** What the proxy saw lately, one line per chunk from a client: for a failure's message. */
  readonly trace: string[];
  /** Cuts every connection (the pools open new ones). */
  cutAll(): void;
  close(): Promise<void>;
}

/**
 * Sits between a client and a PostgreSQL or MySQL server, reading the client's bytes to find
 * the commit of a write to `table`: the statement itself when it runs alone (PostgreSQL's one
 * statement, autocommitted), else the COMMIT after it on the same connection. It sees
 * statement texts (simple queries, and prepared statements when first prepared on a
 * connection, which `cutAll` forces) and nothing else of the protocols.
 */
export async function commitProxy(serverUrl: string, table: string): Promise<CommitProxy> {
  const target = new URL(serverUrl);
  const update = new RegExp(`UPDATE\\s+[\`"]?${table}[\`"]?\\s+SET`, 'i');
  const sockets = new Set<net.Socket>();
  const preparedUpdates = new Set<string>();
  let armed: { fault: CommitFault; refuseMs: number; struck: () => void } | undefined;
  let refuseUntil = 0;
  const trace: string[] = [];
  let connections = 0;

  const server = net.createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('error', cut);
    upstream.on('error', cut);
    const connection = ++connections;
    let inTransaction = false;
    let wroteTable = false;
    let swallowing = false;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      // A statement starts after a protocol byte (a length, a command, a NUL): a word at the start
      // of a statement, not in a parameter's text.
      const starts = (word: string) =>
        new RegExp(`(^|[^\\x20-\\x7e])\\s*(${word})\\b`, 'i').test(text);
      const begins = starts('BEGIN|START TRANSACTION');
      if (begins) {
        inTransaction = true;
        wroteTable = false;
      }
      let isCommit = false;
      if (update.test(text)) {
        wroteTable = true;
        // A PostgreSQL prepared statement's name: Parse ('P') names it before its text.
        for (const m of text.matchAll(/P[\s\S]{4}([A-Za-z0-9_]+)\0[^\0]*UPDATE/g)) {
          preparedUpdates.add(m[1]);
        }
        if (!inTransaction) isCommit = true;
      } else if (!inTransaction && [...preparedUpdates].some((n) => text.includes(`\0${n}\0`))) {
        isCommit = true;
      } else if (inTransaction && starts('COMMIT')) {
        inTransaction = false;
        isCommit = wroteTable;
      } else if (starts('ROLLBACK')) {
        inTransaction = false;
      }
      trace.push(
        `#${connection} tx=${String(inTransaction)} commit=${String(isCommit)} armed=${String(!!armed)}: ` +
          text.replace(/[^\x20-\x7e]+/g, '.').slice(0, 100),
      );
      if (trace.length > 60) trace.shift();
      if (isCommit && armed) {
        const { fault, refuseMs, struck } = armed;
        armed = undefined;
        if (fault === 'drop-commit') {
          cut();
          struck();
          return;
        }
        swallowing = true;
        upstream.write(chunk);
        upstream.once('data', () => {
          cut();
          if (fault === 'drop-ack-and-refuse') {
            refuseUntil = Date.now() + refuseMs;
            for (const s of sockets) s.destroy();
          }
          struck();
        });
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallowing) client.write(chunk);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    trace,
    arm: (fault, refuseMs = 0) =>
      new Promise<void>((struck) => {
        armed = { fault, refuseMs, struck };
      }),
    cutAll: () => {
      for (const s of sockets) s.destroy();
      preparedUpdates.clear();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A plain TCP proxy that can take a server off the network for its clients, and back. */
export interface Outage {
  /** Where clients connect (loopback). */
  readonly port: number;
  /** Cuts every connection and refuses new ones (each is closed as it opens). */
  down(): void;
  /** Lets connections through again. */
  up(): void;
  close(): Promise<void>;
}

/** Proxies to `host:port`: a server unreachable for the clients behind it while `down()`. */
export async function outageProxy(host: string, port: number): Promise<Outage> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', cut).on('error', cut);
    upstream.on('close', cut).on('error', cut);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    down: () => {
      refusing = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    up: () => {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
