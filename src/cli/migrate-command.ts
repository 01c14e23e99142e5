import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MachineLock } from '../core/index.js';
import { stateMoveStatements, type StateMoveStatements } from '../store/sql/state-move.js';
import { diffForCli, parseMapping } from './lock-command.js';
import { CliInputError } from './load-machine-file.js';
import { tableOfCli, triggerStatementsOfCli, type TableCliOptions } from './trigger-command.js';

/** The ORMs whose migration format `migrate` writes. */
export const MIGRATION_ORMS = ['typeorm', 'prisma', 'drizzle', 'mikro-orm'] as const;
export type MigrationOrm = (typeof MIGRATION_ORMS)[number];

/** The options of `transition-guard migrate`, as commander parses them. */
export interface MigrateCliOptions extends TableCliOptions {
  readonly map: readonly string[];
  readonly orm: MigrationOrm;
  /** Rows per batch (TypeORM and MikroORM migrations). */
  readonly batch: string;
  /** Regenerate the trigger (`transition-guard trigger`) from the new machine. */
  readonly trigger?: boolean;
  /** The migrations folder (default: the ORM's usual one). */
  readonly out?: string;
  readonly name?: string;
}

/** A file `migrate` writes. */
export interface MigrationFile {
  readonly path: string;
  readonly text: string;
}

/** Where each ORM keeps its migrations unless told otherwise. */
const DEFAULT_FOLDER: Record<MigrationOrm, string> = {
  typeorm: 'src/migrations',
  prisma: 'prisma/migrations',
  drizzle: 'drizzle',
  'mikro-orm': 'src/migrations',
};

/** What a migration runs: the trigger dropped, each state's rows moved, the new trigger. */
interface MigrationPlan {
  readonly title: string;
  readonly before: readonly string[];
  readonly moves: readonly (StateMoveStatements & { from: string; to: string })[];
  readonly after: readonly string[];
}

/**
 * The migration files that move the rows of the states the new machine removed, in the ORM's
 * own format, for `transition-guard migrate`. Refuses (bad input) while a removed state has no
 * mapping. TypeORM and MikroORM migrations move rows in batches, each batch its own
 * transaction when the ORM runs the migration outside one (else a savepoint); Prisma and
 * Drizzle migrations are SQL files, which move every row in the migration's transaction.
 */
export function migrationFiles(
  before: MachineLock,
  after: MachineLock,
  opts: MigrateCliOptions,
  now: Date = new Date(),
): MigrationFile[] {
  const diff = diffForCli(before, after, parseMapping(opts.map));
  if (diff.unmapped.length) {
    throw new CliInputError(
      `removed state(s) without a mapping: ${diff.unmapped.join(', ')}; say where their rows go with --map ${diff.unmapped[0]}=<state>`,
    );
  }
  if (!diff.states.renamed.length && !opts.trigger) {
    throw new CliInputError(
      'nothing to migrate: no removed state is mapped (and no --trigger to regenerate)',
    );
  }
  const batchSize = Number(opts.batch);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new CliInputError(`--batch ${opts.batch}: expected a positive integer`);
  }
  const table = tableOfCli(after, opts);
  const trigger = opts.trigger ? triggerStatementsOfCli(after, opts) : undefined;
  const plan: MigrationPlan = {
    title:
      `${table.resource}: ${diff.states.renamed.map((m) => `${m.from} -> ${m.to}`).join(', ') || 'trigger'}` +
      ` (machine ${after.hash})`,
    before: trigger?.uninstall ?? [],
    moves: diff.states.renamed.map((m) => ({
      ...stateMoveStatements(opts.dialect, table, m, { batchSize }),
      ...m,
    })),
    after: trigger?.install ?? [],
  };
  const name = (opts.name ?? `${table.resource}_state_move`).replace(/\W+/g, '_');
  const folder = opts.out ?? DEFAULT_FOLDER[opts.orm];
  switch (opts.orm) {
    case 'typeorm':
      return [typeorm({ plan, folder, name, now, batchSize, mysql: opts.dialect === 'mysql' })];
    case 'mikro-orm':
      return [mikroOrm({ plan, folder, name, now, batchSize, mysql: opts.dialect === 'mysql' })];
    case 'prisma':
      // Prisma runs a SQL file as it is, with no transaction of its own: the moves get one
      // (on PostgreSQL each move is one statement, and the script one implicit transaction).
      return [
        {
          path: join(folder, `${stamp(now)}_${name}`, 'migration.sql'),
          text: sqlFile(plan, ';\n\n', ';\n', opts.dialect !== 'postgres'),
        },
      ];
    case 'drizzle':
      return drizzle(plan, folder, name, now, opts.dialect);
  }
}

/** Writes the files (folders created; an existing file other than Drizzle's journal refused). */
export function writeMigrationFiles(files: readonly MigrationFile[]): void {
  for (const f of files) {
    if (existsSync(f.path) && !f.path.endsWith('_journal.json')) {
      throw new CliInputError(`${f.path}: already exists; pick another --name`);
    }
  }
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.text);
  }
}

/** `20261203081500`: the UTC time stamp Prisma and MikroORM name migrations by. */
function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/\D/g, '');
}

const pascal = (name: string) =>
  name
    .split('_')
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/**
 * Every statement in order, all rows at once: the body of a SQL migration file (`transaction`:
 * the moves between `BEGIN` and `COMMIT`, for a runner that adds none).
 */
function sqlFile(plan: MigrationPlan, separator: string, end: string, transaction = false): string {
  const moves = plan.moves.flatMap((m) => m.whole);
  const statements = [
    ...plan.before,
    ...(transaction && moves.length ? ['BEGIN', ...moves, 'COMMIT'] : moves),
    ...plan.after,
  ];
  return (
    `-- Generated by transition-guard migrate: ${plan.title}.\n` +
    `-- Each moved row gets version + 1 and a transition_log row (actor system:migration).\n` +
    `${statements.join(separator)}${end}`
  );
}

/** The statements a TypeScript migration runs, as constants after its class. */
function statementConstants(plan: MigrationPlan): string {
  const moves = plan.moves.map(({ from, to, remaining, batch }) => ({
    from,
    to,
    remaining,
    batch,
  }));
  return (
    `/** Run first: the old trigger, if any, is dropped (it would refuse the move). */\n` +
    `const BEFORE: readonly string[] = ${JSON.stringify(plan.before, null, 2)};\n\n` +
    `/** Per state: one batch's statements, repeated while \`remaining\` returns a row. */\n` +
    `const MOVES: readonly { from: string; to: string; remaining: string; batch: readonly string[] }[] = ${JSON.stringify(moves, null, 2)};\n\n` +
    `/** Run last: the trigger of the new machine, if asked for. */\n` +
    `const AFTER: readonly string[] = ${JSON.stringify(plan.after, null, 2)};\n`
  );
}

/** A TypeScript migration to write (TypeORM, MikroORM). */
interface TsMigration {
  readonly plan: MigrationPlan;
  readonly folder: string;
  readonly name: string;
  readonly now: Date;
  readonly batchSize: number;
  /** MySQL/MariaDB: DDL commits, so the migration runs outside the ORM's transaction. */
  readonly mysql: boolean;
}

/** The class comment of a TypeScript migration: what it does, and when a batch commits. */
function classComment(m: TsMigration, outside: string, inside: string): string {
  return `/**
 * Generated by \`transition-guard migrate\`: ${m.plan.title}.
 * Moves the rows in batches of ${String(m.batchSize)}; each moved row gets version + 1 and a log row
 * (actor system:migration). Each batch commits on its own when ${outside}, so that rows stay
 * locked for one batch; inside ${inside} each batch is a savepoint.
 */`;
}

function typeorm(m: TsMigration): MigrationFile {
  const { plan, folder, name, now, mysql } = m;
  const className = `${pascal(name)}${String(now.getTime())}`;
  const transaction = mysql
    ? `  /** MySQL/MariaDB commit at each DDL statement: this runs outside TypeORM's transaction. */
  transaction = false;`
    : `  // transaction = false; // each batch commits on its own (migrationsTransactionMode 'each')`;
  const text = `import type { MigrationInterface, QueryRunner } from 'typeorm';

${classComment(
  m,
  "TypeORM runs this migration outside a transaction (`transaction = false` with\n * `migrationsTransactionMode: 'each'`, or 'none')",
  "TypeORM's transaction",
)}
export class ${className} implements MigrationInterface {
  name = '${className}';
${transaction}

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of BEFORE) await queryRunner.query(sql);
    for (const move of MOVES) {
      while (((await queryRunner.query(move.remaining)) as unknown[]).length > 0) {
        await queryRunner.startTransaction();
        try {
          for (const sql of move.batch) await queryRunner.query(sql);
          await queryRunner.commitTransaction();
        } catch (err) {
          await queryRunner.rollbackTransaction();
          throw err;
        }
      }
    }
    for (const sql of AFTER) await queryRunner.query(sql);
  }

  async down(): Promise<void> {
    throw new Error('a state move is not reversed: map the states back in a new migration');
  }
}

${statementConstants(plan)}`;
  return { path: join(folder, `${String(now.getTime())}-${pascal(name)}.ts`), text };
}

function mikroOrm(m: TsMigration): MigrationFile {
  const { plan, folder, name, now, mysql } = m;
  const className = `Migration${stamp(now)}_${name}`;
  const transactional = mysql
    ? `  /** MySQL/MariaDB commit at each DDL statement: this runs outside the migrator's transaction. */
  override isTransactional(): boolean {
    return false;
  }

`
    : '';
  const text = `import { Migration } from '@mikro-orm/migrations';

${classComment(
  m,
  'the migrator runs outside a transaction (`migrations: { transactional: false }`)',
  "the migrator's transaction",
)}
export class ${className} extends Migration {
${transactional}  override async up(): Promise<void> {
    for (const sql of BEFORE) await this.execute(sql);
    for (const move of MOVES) {
      while ((await this.execute(move.remaining)).length > 0) {
        await this.getEntityManager().transactional(async (em) => {
          for (const sql of move.batch) await em.execute(sql);
        });
      }
    }
    for (const sql of AFTER) await this.execute(sql);
  }

  override down(): Promise<void> {
    throw new Error('a state move is not reversed: map the states back in a new migration');
  }
}

${statementConstants(plan)}`;
  return { path: join(folder, `${className}.ts`), text };
}

/** Drizzle's migration journal (`meta/_journal.json`), as drizzle-kit writes it. */
interface DrizzleJournal {
  version: string;
  dialect: string;
  entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
}

/** A Drizzle custom migration: the SQL file and its entry in the journal the migrator reads. */
function drizzle(
  plan: MigrationPlan,
  folder: string,
  name: string,
  now: Date,
  dialect: TableCliOptions['dialect'],
): MigrationFile[] {
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal: DrizzleJournal = existsSync(journalPath)
    ? (JSON.parse(readFileSync(journalPath, 'utf8')) as DrizzleJournal)
    : {
        version: '7',
        dialect: dialect === 'postgres' ? 'postgresql' : dialect,
        entries: [],
      };
  const idx = journal.entries.length;
  const tag = `${String(idx).padStart(4, '0')}_${name}`;
  journal.entries.push({
    idx,
    version: journal.version,
    when: now.getTime(),
    tag,
    breakpoints: true,
  });
  return [
    {
      path: join(folder, `${tag}.sql`),
      text: sqlFile(plan, ';\n--> statement-breakpoint\n', ';\n'),
    },
    { path: journalPath, text: `${JSON.stringify(journal, null, 2)}\n` },
  ];
}
