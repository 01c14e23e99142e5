/**
 * The databases a test tier runs on, and their servers. `npm test` (the fast tier) runs SQLite
 * only; `npm run test:all` runs SQLite, PostgreSQL and MariaDB, on servers that its global setup
 * started once for the whole run (`test/setup/servers.mjs`) or that the caller gave
 * (`TG_POSTGRES_URL`, `TG_MYSQL_URL`). A suite never skips a database of its tier: a missing
 * server fails it, naming the command that provides one.
 */
export type Database = 'sqlite' | 'postgres' | 'mysql';

const KNOWN: readonly Database[] = ['sqlite', 'postgres', 'mysql'];

/** The databases of this tier (`TG_DATABASES`, set by the tier's global setup; default SQLite). */
export function databases(): readonly Database[] {
  const listed = (process.env.TG_DATABASES ?? 'sqlite').split(',').map((d) => d.trim());
  for (const d of listed) {
    if (!(KNOWN as readonly string[]).includes(d)) {
      throw new Error(`TG_DATABASES names '${d}': use a list of ${KNOWN.join(', ')}`);
    }
  }
  return listed as Database[];
}

/** Whether this tier runs on `db`. */
export const runsOn = (db: Database): boolean => databases().includes(db);

/** The databases of this tier among `wanted`, for `describe.each`. */
export const tierDatabases = <D extends Database>(...wanted: D[]): D[] => wanted.filter(runsOn);

const SERVERS = {
  postgres: {
    env: 'TG_POSTGRES_URL',
    how: "npm run test:all (its global setup starts a throwaway cluster with scripts/pg-cluster.sh; install Debian's 'postgresql' first), or set TG_POSTGRES_URL=postgres://...",
  },
  mysql: {
    env: 'TG_MYSQL_URL',
    how: "npm run test:all (its global setup starts a throwaway server with scripts/mariadb-server.sh; install Debian's 'mariadb-server' first), or set TG_MYSQL_URL=mysql://...",
  },
} as const;

/** The server URL of `db`; throws, naming the command that provides one, when there is none. */
export function serverUrl(db: 'postgres' | 'mysql'): string {
  const { env, how } = SERVERS[db];
  const url = process.env[env];
  if (!url)
    throw new Error(`This suite needs a ${db} server and ${env} is unset. Run it with ${how}.`);
  return url;
}

/** Human names, as the suites print them. */
export const DATABASE_NAMES: Readonly<Record<Database, string>> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  mysql: 'MariaDB',
};
