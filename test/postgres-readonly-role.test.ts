import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PostgresCollector } from '../src/collectors/postgres/index.js';
import { collectOnce, loadSeedSchemas, memoryLogger, postgresConfig, psqlFile, seriesOf, startPostgres, valueOf, type TestPostgres } from './helpers/postgres.js';

/** The collector as the least-privilege role that sql/grant-readonly.sql creates. */
describe('the fleet_exporter role from sql/grant-readonly.sql', () => {
  let db: TestPostgres;
  let url: string;
  const PASSWORD = 'ro-Pa55word';

  before(async () => {
    db = await startPostgres();
    await loadSeedSchemas(db);
    await db.exec(`
      CREATE TABLE private_notes (n int); INSERT INTO private_notes VALUES (1);
      INSERT INTO tasks (status) VALUES ('pending'), ('completed');
      INSERT INTO shepherd_brain (qid, state, start_time) VALUES ('q1', 'RUNNING', now());
    `);
    psqlFile(db.adminUrl, 'grant-readonly.sql', { password: PASSWORD });
    psqlFile(db.adminUrl, 'grant-readonly.sql', { password: PASSWORD }); // re-runnable
    psqlFile(db.adminUrl, 'indexes.sql');
    psqlFile(db.adminUrl, 'indexes.sql'); // re-runnable
    url = db.url({ user: 'fleet_exporter', password: PASSWORD });
  });
  after(() => db?.destroy());

  test("reads every preset and sees other roles' sessions, but not other tables", async () => {
    const holder = new pg.Client(db.adminUrl);
    await holder.connect();
    await holder.query('BEGIN; SELECT 1');
    const collector = new PostgresCollector(
      postgresConfig(`
postgres:
  url: ${url}
  presets: [shepherd, tasks, operations, sandbox_events]
  metrics:
    - { name: fleet_private_notes, help: not granted, query: "SELECT count(*) AS n FROM private_notes", values: [n] }
`),
    );
    const logs: string[] = [];
    const log = memoryLogger(logs);
    collector.start(log);
    try {
      await new Promise((r) => setTimeout(r, 1100));
      const r = await collectOnce(collector, log);
      assert.ok(r.ok, r.ok ? '' : r.error);
      const errors = seriesOf(r.families, 'fleet_sql_query_errors_total');
      for (const [q, n] of Object.entries(errors)) assert.equal(n, q === 'query=fleet_private_notes' ? 1 : 0, q);
      assert.ok(logs.some((l) => l.includes('permission denied for table private_notes')));
      assert.equal(valueOf(r.families, 'fleet_tasks', { status: 'pending' }), 1);
      assert.equal(valueOf(r.families, 'fleet_queries', { status: 'RUNNING' }), 1);
      assert.equal(valueOf(r.families, 'fleet_postgres_connections', { state: 'idle in transaction' }), 1, "the postgres role's session");
      assert.ok(valueOf(r.families, 'fleet_postgres_oldest_transaction_age_seconds')! >= 1);
    } finally {
      await collector.close();
      await holder.end();
    }
  });

  test('cannot write, even when it turns read-only off for its session', async () => {
    const c = new pg.Client(url);
    await c.connect();
    try {
      await assert.rejects(c.query("INSERT INTO tasks (status) VALUES ('x')"), /read-only transaction/);
      await c.query('SET default_transaction_read_only = off');
      await assert.rejects(c.query("INSERT INTO tasks (status) VALUES ('x')"), /permission denied for table tasks/);
      await assert.rejects(c.query('DELETE FROM callbacks'), /permission denied for table callbacks/);
    } finally {
      await c.end();
    }
  });
});
