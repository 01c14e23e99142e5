#!/usr/bin/env node
/**
 * `transition-guard`: check, draw and tabulate machine definition files (`*.machine.ts`,
 * `*.machine.json`); lock them, compare their versions, move rows and enforce them in the database. Exit codes: 0 fine, 1 errors (or warnings with --strict), 2 bad input.
 */
import { Command, CommanderError, Option } from 'commander';
import { createValidator, formatDiff, toDot, toMarkdownTable, toMermaid } from '../core/index.js';
import { checkMachines, formatReport } from './check-command.js';
import { CliInputError, loadMachineFile } from './load-machine-file.js';
import { CONFIG_FILE, readSeverities } from './severity-config.js';
import { diffForCli, lockOf, parseMapping, writeLocks } from './lock-command.js';
import { formatStatements, triggerForCli, type TriggerCliOptions } from './trigger-command.js';
import {
  MIGRATION_ORMS,
  migrationFiles,
  writeMigrationFiles,
  type MigrateCliOptions,
} from './migrate-command.js';

const program = new Command()
  .name('transition-guard')
  .description(
    'Check, draw and tabulate XState machine definition files (*.machine.ts, *.machine.json)',
  )
  .option('--verbose', 'print stack traces of unexpected errors')
  .showHelpAfterError()
  // Usage errors (a missing option, a choice not offered) are bad input too: exit 2, not 1.
  .exitOverride();

program
  .command('check')
  .description(
    'lint machines: schema, unknown targets, unreachable states, dead ends, unused events, missing implementations, duplicate ids, orphan payload schemas',
  )
  .argument('<paths...>', 'machine files or folders of them')
  .option('--strict', 'exit 1 on warnings too')
  .option('--require-lock', 'a machine without a lock file (transition-guard lock) is an error')
  .option(
    '--severity <finding=level>',
    "change a finding kind's severity: error, warning or off (e.g. unused-event=error); repeatable",
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option('--config <file>', `severities from a JSON file (default: ${CONFIG_FILE} if present)`)
  .addOption(
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
  )
  .action(
    async (
      paths: string[],
      opts: {
        strict?: boolean;
        requireLock?: boolean;
        format: string;
        severity?: string[];
        config?: string;
      },
    ) => {
      const severity = readSeverities({ config: opts.config, flags: opts.severity });
      const report = await checkMachines(paths, severity, { requireLock: opts.requireLock });
      console.log(opts.format === 'json' ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.errors > 0 || (opts.strict && report.warnings > 0) ? 1 : 0;
    },
  );

program
  .command('lock')
  .description(
    'write <id>.lock.json beside each machine file: its stored states, events and state changes, and a hash; commit it, and check fails when the machine changes without it',
  )
  .argument('<paths...>', 'machine files or folders of them')
  .action(async (paths: string[]) => {
    for (const o of await writeLocks(paths)) {
      console.log(
        `${o.file}: ${o.status} (${String(o.states)} states, ${String(o.edges)} state changes)`,
      );
      for (const p of o.problems) console.log(`  warning ${p}`);
    }
  });

program
  .command('diff')
  .description(
    'compare two versions of a machine: states, events and state changes added, removed, renamed; exit 1 when a removed state has no mapping',
  )
  .argument('<old>', 'the old version: a lock file (<id>.lock.json) or a machine file')
  .argument('<new>', 'the new version: a machine file or a lock file')
  .option(
    '--map <old=new>',
    'rows of a removed state go to this state, e.g. shipped=dispatched (comma-separated or repeated)',
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option('--machine <id>', 'the machine to compare when a file exports several')
  .addOption(
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
  )
  .action(
    async (
      before: string,
      after: string,
      opts: { map: string[]; machine?: string; format: string },
    ) => {
      const diff = diffForCli(
        await lockOf(before, opts.machine),
        await lockOf(after, opts.machine),
        parseMapping(opts.map),
      );
      console.log(opts.format === 'json' ? JSON.stringify(diff, null, 2) : formatDiff(diff));
      process.exitCode = diff.unmapped.length ? 1 : 0;
    },
  );

/** The resource table's options, shared by `trigger` and `migrate`. */
function withTableOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--dialect <dialect>', 'the database')
        .choices(['postgres', 'mysql', 'sqlite'])
        .makeOptionMandatory(),
    )
    .requiredOption('--table <table>', 'the resource table (schema.table allowed)')
    .requiredOption('--state <column>', 'the state column')
    .option('--id <column>', 'the key column', 'id')
    .option('--version <column>', 'the version column')
    .option(
      '--resource <name>',
      'the resource, as log rows and errors name it (default: the machine id)',
    )
    .option('--log <table>', 'the transition log table: a bypassed or moved row writes a row there')
    .option(
      '--version-must-grow',
      'trigger: refuse a state change that does not increase the version',
    )
    .option(
      '--any-insert',
      'trigger: let INSERTs in any state through (default: initial states only)',
    )
    .option('--machine <id>', 'the machine, when a file exports several');
}

withTableOptions(
  program
    .command('trigger')
    .description(
      'print the SQL of a database trigger that enforces the machine: an UPDATE of the state column along a pair that is not an edge is refused (also a non-initial INSERT, and with --version-must-grow a state change that keeps the version)',
    )
    .argument('<file>', 'a machine file or its lock file (<id>.lock.json)'),
)
  .option('--uninstall', 'print the statements that remove the trigger')
  .addOption(
    new Option('--format <format>', 'sql: statements to run in order; json: an array of them')
      .choices(['sql', 'json'])
      .default('sql'),
  )
  .action(async (file: string, opts: TriggerCliOptions & { machine?: string }) => {
    const lock = await lockOf(file, opts.machine);
    const statements = triggerForCli(lock, opts);
    console.log(
      opts.format === 'json'
        ? JSON.stringify(statements, null, 2)
        : formatStatements(opts.dialect, statements),
    );
  });

withTableOptions(
  program
    .command('migrate')
    .description(
      "write a migration in your ORM's format that moves the rows of removed states to the states they map to (batched, version + 1, a log row each), and with --trigger regenerates the trigger",
    )
    .argument('<old>', 'the deployed version: its lock file (<id>.lock.json) or machine file')
    .argument('<new>', 'the new version: a machine file or its lock file'),
)
  .option(
    '--map <old=new>',
    'rows of a removed state go to this state, e.g. shipped=dispatched (comma-separated or repeated)',
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .addOption(
    new Option('--orm <orm>', 'the migration format').choices(MIGRATION_ORMS).makeOptionMandatory(),
  )
  .option('--batch <rows>', 'rows moved per batch (TypeORM and MikroORM migrations)', '1000')
  .option('--trigger', "drop the trigger before the move and install the new machine's after")
  .option('--out <folder>', "the migrations folder (default: the ORM's usual one)")
  .option('--name <name>', 'the migration name (default: <resource>_state_move)')
  .action(async (before: string, after: string, opts: MigrateCliOptions & { machine?: string }) => {
    const files = migrationFiles(
      await lockOf(before, opts.machine),
      await lockOf(after, opts.machine),
      opts,
    );
    writeMigrationFiles(files);
    for (const f of files) console.log(`wrote ${f.path}`);
  });

async function describeFile(file: string) {
  const loaded = await loadMachineFile(file);
  if (!loaded.machines.length) {
    throw new CliInputError(
      `${file}: cannot be drawn, it has errors (run: transition-guard check ${file})`,
    );
  }
  return createValidator(loaded.machines[0]).describe();
}

program
  .command('graph')
  .description('draw a machine as a Mermaid stateDiagram-v2 or a Graphviz DOT graph')
  .argument('<file>', 'a machine file')
  .addOption(
    new Option('--format <format>', 'diagram format')
      .choices(['mermaid', 'dot'])
      .default('mermaid'),
  )
  .option('--exclude-event <event...>', 'leave out transitions on these events')
  .option('--highlight <state>', 'highlight a state (dotted path), e.g. where an order is now')
  .action(
    async (file: string, opts: { format: string; excludeEvent?: string[]; highlight?: string }) => {
      const description = await describeFile(file);
      if (opts.highlight && !description.states.some((s) => s.path === opts.highlight)) {
        throw new CliInputError(
          `--highlight ${opts.highlight}: not a state of '${description.id}' (states: ${description.states.map((s) => s.path).join(', ')})`,
        );
      }
      const options = { excludeEvents: opts.excludeEvent, highlight: opts.highlight };
      console.log(
        opts.format === 'dot' ? toDot(description, options) : toMermaid(description, options),
      );
    },
  );

program
  .command('table')
  .description('print a Markdown table, states by events, each cell the target')
  .argument('<file>', 'a machine file')
  .action(async (file: string) => {
    console.log(toMarkdownTable(await describeFile(file)));
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander printed the message (or the help) already.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
    process.exit();
  }
  const verbose = process.argv.includes('--verbose');
  if (err instanceof CliInputError) console.error(`transition-guard: ${err.message}`);
  else console.error(`transition-guard: ${err instanceof Error ? err.message : String(err)}`);
  if (verbose && err instanceof Error) console.error(err.stack);
  process.exitCode = 2;
}
