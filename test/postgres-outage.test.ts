import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PostgresCollector } from '../src/collectors/postgres/index.js';
import { ScrapeEngine } from '../src/scrape.js';
import { loadSeedSchemas, memoryLogger, postgresConfig, startPostgres, valueOf, type TestPostgres } from './helpers/postgres.js';

/** The collector under the real scrape engine, while the server goes away and comes back. */
describe('postgres outages and stuck sessions', () => {
  let db: TestPostgres;
  let engine: ScrapeEngine;
  const logs: string[] = [];

  before(async () => {
    db = await startPostgres();
    await loadSeedSchemas(db);
    const collector = new PostgresCollector(
      postgresConfig(`
postgres:
  url: ${db.adminUrl}
  timeout_seconds: 1.5
  connect_timeout_seconds: 1
  presets: [tasks]
  preset_options: { tasks: { timeout_seconds: 1 } }
  metrics:
    - name: fleet_hang
      help: Outlives the time the collection has left once the others ran
      query: SELECT 1 AS v FROM pg_sleep(CASE WHEN EXISTS (SELECT 1 FROM pg_class WHERE relname = 'hang_now') THEN 30 ELSE 0 END)
      values: [v]
      timeout_seconds: 1.4
`),
    );
    engine = new ScrapeEngine([collector], memoryLogger(logs), 10);
    engine.start();
  });
  after(async () => {
    await engine?.close();
    db?.destroy();
  });

  const up = async () => {
    const t0 = performance.now();
    const { families, statuses } = await engine.scrape();
    return {
      pg: valueOf(families, 'fleet_postgres_up'),
      collector: valueOf(families, 'fleet_collector_up', { collector: 'postgres' }),
      tasks: valueOf(families, 'fleet_tasks', { status: 'pending' }),
      error: statuses[0]!.lastError,
      ms: performance.now() - t0,
    };
  };

  test('a healthy server reports up', async () => {
    const s = await up();
    assert.deepEqual([s.pg, s.collector, s.tasks], [1, 1, 0]);
  });

  test('postgres stopped mid-run: the scrape still answers, with fleet_postgres_up 0', { skip: process.env.DATABASE_URL ? 'needs a throwaway cluster' : false }, async () => {
    db.stop();
    const s = await up();
    assert.deepEqual([s.pg, s.collector], [0, 0]);
    assert.equal(s.tasks, undefined, 'no stale preset values while down');
    assert.ok(s.ms < 2000, `scrape took ${s.ms}ms`);
    assert.match(s.error ?? '', /ECONNREFUSED|terminat|connect/i);
    const again = await up();
    assert.deepEqual([again.pg, again.collector], [0, 0]);
  });

  test('postgres restarted: the next scrape recovers', { skip: process.env.DATABASE_URL ? 'needs a throwaway cluster' : false }, async () => {
    db.start();
    const s = await up();
    assert.deepEqual([s.pg, s.collector, s.tasks], [1, 1, 0]);
    assert.equal(logs.filter((l) => l.includes('collector failed')).length, 1, 'the outage is logged once');
  });

  test('a query that outlives the collection is cut at its deadline and loses only its own series; the next scrape works', async () => {
    await db.exec('CREATE TABLE hang_now ()');
    const engineTimeout = await engine.scrape(1); // Prometheus's deadline, shorter than the query's timeout
    assert.equal(valueOf(engineTimeout.families, 'fleet_collector_up', { collector: 'postgres' }), 1, engineTimeout.statuses[0]!.lastError);
    const s = await up();
    assert.deepEqual([s.pg, s.collector, s.tasks], [1, 1, 0], 'the other queries still report');
    assert.ok(s.ms < 2000, `scrape took ${s.ms}ms`);
    const { families } = await engine.scrape();
    assert.equal(valueOf(families, 'fleet_hang'), undefined);
    assert.ok(valueOf(families, 'fleet_sql_query_errors_total', { query: 'fleet_hang' })! >= 3);
    await db.exec('DROP TABLE hang_now');
    const next = await engine.scrape();
    assert.equal(valueOf(next.families, 'fleet_hang'), 1);
  });

  test('idle-in-transaction sessions and lock waits show up', async () => {
    await db.exec('CREATE TABLE lockme (x int)');
    const holder = new pg.Client(db.adminUrl);
    const waiter = new pg.Client(db.adminUrl);
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE lockme IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(1.1)');
      const blocked = waiter.query('SELECT count(*) FROM lockme').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      const { families } = await engine.scrape();
      assert.equal(valueOf(families, 'fleet_postgres_lock_waiting_queries'), 1);
      assert.ok(valueOf(families, 'fleet_postgres_oldest_transaction_age_seconds')! >= 1);
      assert.ok(valueOf(families, 'fleet_postgres_connections', { state: 'idle in transaction' })! >= 1);
      await holder.query('ROLLBACK');
      await blocked;
    } finally {
      await holder.end();
      await waiter.end();
    }
  });
});
