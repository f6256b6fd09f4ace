import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresCollector } from '../src/collectors/postgres/index.js';
import { collectOnce, memoryLogger, postgresConfig, seriesOf, startPostgres, valueOf, type TestPostgres } from './helpers/postgres.js';

/** Declarative SQL metrics against a real server: each query fails alone. */
describe('declarative SQL metrics', () => {
  let db: TestPostgres;
  let collector: PostgresCollector;
  const logs: string[] = [];
  const log = memoryLogger(logs);

  before(async () => {
    db = await startPostgres();
    await db.exec(`
      CREATE TABLE jobs (id serial, status text, cost numeric);
      INSERT INTO jobs (status, cost) VALUES ('done', 1.5), ('done', 2), ('open', NULL);
    `);
    collector = new PostgresCollector(
      postgresConfig(`
postgres:
  url: ${db.adminUrl}
  timeout_seconds: 5
  metrics:
    - name: fleet_jobs
      help: Jobs by status
      query: SELECT status, count(*) AS n, sum(cost) AS cost FROM jobs GROUP BY status
      labels: [status]
      values: [n, cost]
    - name: fleet_jobs_total_cost
      help: Same query text, shared execution
      query: SELECT status, count(*) AS n, sum(cost) AS cost FROM jobs GROUP BY status
      labels: [status]
      values: [cost]
    - name: fleet_jobs_cached
      help: Cached for a minute
      query: SELECT count(*) AS n FROM jobs
      values: [n]
      min_interval_seconds: 60
    - name: fleet_slow
      help: Sleeps past its timeout
      query: SELECT 1 AS v FROM pg_sleep(3)
      values: [v]
      timeout_seconds: 0.3
    - name: fleet_delete
      help: Tries to write
      query: WITH d AS (DELETE FROM jobs RETURNING 1) SELECT count(*) AS n FROM d
      values: [n]
    - name: fleet_smuggle
      help: Tries to end the read-only transaction and write
      query: "SELECT 1 AS n; COMMIT; DELETE FROM jobs"
      values: [n]
    - name: fleet_sequence
      help: nextval writes too
      query: SELECT nextval('jobs_id_seq') AS n
      values: [n]
    - name: fleet_text
      help: A non-numeric value
      query: SELECT 'abc'::text AS v
      values: [v]
    - name: fleet_missing
      help: A missing table
      query: SELECT count(*) AS n FROM no_such_table
      values: [n]
    - name: fleet_missing_column
      help: A value column the query does not return
      query: SELECT 1 AS a
      values: [b]
    - name: fleet_bool
      help: Booleans are 1 and 0
      query: SELECT true AS yes, false AS no
      values: ["yes", "no"]
`),
    );
    collector.start(log);
  });
  after(async () => {
    await collector?.close();
    db?.destroy();
  });

  test('several value columns become <name>_<column>, and NULL values are skipped', async () => {
    const r = await collectOnce(collector, log);
    assert.ok(r.ok);
    assert.deepEqual(seriesOf(r.families, 'fleet_jobs_n'), { 'status=done': 2, 'status=open': 1 });
    assert.deepEqual(seriesOf(r.families, 'fleet_jobs_cost'), { 'status=done': 3.5 }, 'the NULL sum of open jobs is not exported as 0');
    assert.deepEqual(seriesOf(r.families, 'fleet_jobs_total_cost'), { 'status=done': 3.5 });
    assert.equal(valueOf(r.families, 'fleet_bool_yes'), 1);
    assert.equal(valueOf(r.families, 'fleet_bool_no'), 0);
  });

  test('failing queries count their own errors and leave every other metric intact', async () => {
    const r = await collectOnce(collector, log);
    assert.ok(r.ok, 'the collector itself stays up');
    const errors = seriesOf(r.families, 'fleet_sql_query_errors_total');
    for (const q of ['fleet_slow', 'fleet_delete', 'fleet_smuggle', 'fleet_sequence', 'fleet_text', 'fleet_missing', 'fleet_missing_column']) {
      assert.equal(errors[`query=${q}`], 2, `${q} failed on both scrapes`);
      assert.equal(valueOf(r.families, q) ?? valueOf(r.families, `${q}_n`), undefined, `${q} exports nothing`);
    }
    for (const q of ['fleet_jobs', 'fleet_jobs_total_cost', 'fleet_jobs_cached', 'fleet_bool']) assert.equal(errors[`query=${q}`], 0, q);
    assert.equal(valueOf(r.families, 'fleet_postgres_up'), 1);
  });

  test('a query past its timeout is cancelled by statement_timeout, not waited for', async () => {
    const t0 = performance.now();
    const r = await collectOnce(collector, log);
    assert.ok(performance.now() - t0 < 2000, 'the scrape did not wait for pg_sleep(3)');
    const slow = valueOf(r.families, 'fleet_sql_query_duration_seconds', { query: 'fleet_slow' })!;
    assert.ok(slow >= 0.3 && slow < 1.5, `fleet_slow ran ${slow}s`);
    assert.ok(logs.some((l) => l.includes('canceling statement due to statement timeout')));
  });

  test('queries that write are refused and the table is untouched', async () => {
    const c = await import('pg').then((pg) => new pg.default.Client(db.adminUrl));
    await c.connect();
    const { rows } = await c.query('SELECT count(*)::int AS n FROM jobs');
    const { rows: seq } = await c.query('SELECT last_value::int AS v, is_called FROM jobs_id_seq');
    await c.end();
    assert.equal(rows[0].n, 3);
    assert.deepEqual(seq[0], { v: 3, is_called: true }, 'nextval never advanced the sequence');
    const refused = (q: string) => logs.some((l) => l.includes(`"query":"${q}"`) && l.includes('in a read-only transaction'));
    assert.ok(refused('fleet_delete'), 'a data-modifying CTE is refused');
    assert.ok(refused('fleet_sequence'), 'nextval is refused');
    assert.ok(logs.some((l) => l.includes('cannot insert multiple commands into a prepared statement')));
  });

  test('errors are logged once per change, not on every scrape', () => {
    const lines = logs.filter((l) => l.includes('"query":"fleet_missing"'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /relation \\"no_such_table\\" does not exist/);
  });

  test('non-numeric values are an error for that query only', () => {
    assert.ok(logs.some((l) => l.includes('"query":"fleet_text"') && l.includes('non-numeric value')));
  });

  test('a query with min_interval_seconds serves its last result between runs', async () => {
    await db.exec(`INSERT INTO jobs (status) VALUES ('open')`);
    const r = await collectOnce(collector, log);
    assert.equal(valueOf(r.families, 'fleet_jobs_cached'), 3, 'cached count from before the insert');
    assert.deepEqual(seriesOf(r.families, 'fleet_jobs_n'), { 'status=done': 2, 'status=open': 2 }, 'uncached queries see it');
  });
});
