/**
 * The outbox claim's plan on PostgreSQL, without and with statistics. An outbox table is often
 * planned without statistics (a new table, or one analyzed while empty, its usual state). With
 * the earlier indexes (`status, availableAtMs` and `resourceKey, id`), PostgreSQL then checked
 * every pending message for an earlier one, at times through a bitmap AND with the whole due
 * index: work that grew with the square of the backlog (0.45 to 0.74 s per claim with 6,000
 * messages of 300 resources waiting, measured while fixing it). With statistics and retention,
 * it read the primary key through every delivered row. The partial indexes on pending messages
 * (`transition_outbox_pending`, `transition_outbox_order`) and the fenced check (OFFSET 0, see
 * OutboxStatements) bound both. Counted in rows the plan's nodes visit (EXPLAIN ANALYZE), not in
 * time: the counts do not depend on the machine.
 */
import pg from 'pg';
import { POSTGRES } from '../../src/store/sql/dialect.js';
import { OutboxStatements } from '../../src/store/sql/outbox-statements.js';
import { freshDatabase } from '../support/pg-database.js';
import { DDL, outboxLibraryTables } from '../support/store-tables.js';

const RESOURCES = 100;
const PER_RESOURCE = 30;
const PENDING = RESOURCES * PER_RESOURCE;
const DELIVERED = 3_000;
const BATCH = 50;

interface PlanNode {
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Node Type': string;
  Plans?: PlanNode[];
}

/** Rows every node of the plan produced or threw away, over all its loops. */
function rowsVisited(node: PlanNode): number {
  const own =
    (node['Actual Rows'] +
      (node['Rows Removed by Filter'] ?? 0) +
      (node['Rows Removed by Index Recheck'] ?? 0)) *
    node['Actual Loops'];
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsVisited(child), 0);
}

describe('the outbox claim on PostgreSQL: work bounded by the batch, not the backlog', () => {
  let database: { url: string; stop: () => Promise<void> };
  let client: pg.Client;
  const statements = new OutboxStatements(
    POSTGRES,
    { table: 'transition_outbox', column: (p) => p },
    { table: 'transition_handled', column: (p) => p },
  );

  beforeAll(async () => {
    database = await freshDatabase('outbox_claim_plan');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    for (const sql of outboxLibraryTables(DDL.postgres)) await client.query(sql);
    // No statistics until the test asks for them.
    await client.query('ALTER TABLE transition_outbox SET (autovacuum_enabled = false)');
    const now = Date.now();
    // Retention first (delivered rows keep the lowest ids), then each resource's messages.
    await client.query(
      `INSERT INTO transition_outbox ("transitionId", handler, "resourceKey", record, payload, status, attempts, "availableAtMs", "lockedUntilMs", "createdAtMs")
       SELECT md5(g::text), 'Mails.paid', 'order:' || (g % $1::int), '{}', '{}',
              CASE WHEN g <= $2::int THEN 'delivered' ELSE 'pending' END, 0, $3::bigint, 0, $3::bigint
       FROM generate_series(1, $2::int + $4::int) g`,
      [RESOURCES, DELIVERED, now, PENDING],
    );
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await database?.stop();
  });

  /** The claim of one batch, run and rolled back: what it claimed and the rows it visited. */
  async function claim(): Promise<{ claimed: number; visited: number }> {
    await client.query('BEGIN');
    try {
      const now = Date.now();
      const explain = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${statements.claim}`,
        ['claim-1', now + 30_000, now + 1, now + 1, BATCH],
      );
      const plan = explain.rows[0]['QUERY PLAN'][0].Plan;
      const claimed = await client.query(
        `SELECT count(*)::int AS n FROM transition_outbox WHERE claim = 'claim-1'`,
      );
      return { claimed: claimed.rows[0].n as number, visited: rowsVisited(plan) };
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('without statistics, visits rows in proportion to the backlog, not its square', async () => {
    const stats = await client.query(
      `SELECT reltuples FROM pg_class WHERE relname = 'transition_outbox'`,
    );
    expect(Number(stats.rows[0].reltuples)).toBe(-1); // never analyzed
    const { claimed, visited } = await claim();
    // Each resource's first message only: one per resource, at most a batch.
    expect(claimed).toBe(BATCH);
    // About 6,000 here (each pending message and its check); the earlier indexes made the plan
    // visit 96,400 rows, and the partial indexes without the fence 9.4 million.
    expect(visited).toBeLessThan(4 * (PENDING + DELIVERED));
  });

  it('with statistics, visits about a batch, however many delivered rows retention keeps', async () => {
    await client.query('ANALYZE transition_outbox');
    const { claimed, visited } = await claim();
    expect(claimed).toBe(BATCH);
    // The earlier indexes made the plan read the primary key through every delivered row (4,800
    // rows visited).
    expect(visited).toBeLessThan(20 * BATCH);
  });
});
