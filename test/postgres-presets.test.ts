import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresCollector } from '../src/collectors/postgres/index.js';
import { collectOnce, loadSeedSchemas, memoryLogger, postgresConfig, seriesOf, startPostgres, valueOf, type TestPostgres } from './helpers/postgres.js';

/** Ages come from rows inserted `now() - X` ago; a scrape a moment later reads X plus a little. */
function assertAge(actual: number | undefined, expected: number, name: string): void {
  assert.ok(actual !== undefined, `${name} is exported`);
  assert.ok(actual >= expected - 1 && actual <= expected + 10, `${name} = ${actual}, expected about ${expected}`);
}

const ROWS = `
INSERT INTO shepherd_brain (qid, state, status, start_time, domain) VALUES
  ('q1', 'QUEUED',    'OK',    now() - interval '10 seconds',  NULL),
  ('q2', 'RUNNING',   'OK',    now() - interval '100 seconds', 'aragorn'),
  ('q3', 'RUNNING',   'OK',    now() - interval '50 seconds',  'arax'),
  ('q4', 'COMPLETED', 'OK',    now() - interval '2 hours',     'aragorn'),
  ('q5', 'COMPLETED', 'OK',    now() - interval '30 minutes',  'bte'),
  ('q6', 'ERROR',     'ERROR', now() - interval '20 minutes',  NULL);
INSERT INTO callbacks (query_id, callback_id) VALUES ('q2', 'c1'), ('q2', 'c2'), ('q3', 'c3'), ('q4', 'c4'), ('q5', 'c5'), ('q6', 'c6');

INSERT INTO tasks (status, created_at, updated_at) VALUES
  ('pending',   now() - interval '300 seconds',  now() - interval '300 seconds'),
  ('pending',   now() - interval '60 seconds',   now() - interval '60 seconds'),
  ('assigned',  now() - interval '1300 seconds', now() - interval '1200 seconds'),
  ('assigned',  now() - interval '200 seconds',  now() - interval '100 seconds'),
  ('running',   now() - interval '8000 seconds', now() - interval '7200 seconds'),
  ('running',   now() - interval '100 seconds',  now() - interval '60 seconds'),
  ('completed', now() - interval '1 day', now()), ('completed', now() - interval '1 day', now()),
  ('completed', now() - interval '1 day', now()), ('failed', now() - interval '1 day', now());

INSERT INTO worker_heartbeats (worker_type, worker_id, last_heartbeat, status) VALUES
  ('orchestrator', 'o1', now() - interval '10 seconds',  'healthy'),
  ('orchestrator', 'o2', now() - interval '120 seconds', 'healthy'),
  ('sandbox', 's1', now() - interval '5 seconds',   'healthy'),
  ('sandbox', 's2', now() - interval '30 seconds',  'healthy'),
  ('sandbox', 's3', now() - interval '600 seconds', 'healthy'),
  ('sandbox', 's4', now() - interval '2 days',      'down'),
  ('retired', 'r1', now() - interval '3 days',      'down');

INSERT INTO operations (status, last_state_update_timestamp) VALUES
  ('RUNNING', now() - interval '1200 seconds'), ('RUNNING', now() - interval '10 seconds'),
  ('PENDING', now()), ('COMPLETED', now()), ('COMPLETED', now()), ('FAILED', now());

INSERT INTO sandbox_events (sandbox_id, event_type, created_at) VALUES
  ('sb-a', 'tool_call', now() - interval '3000 seconds'),
  ('sb-a', 'heartbeat', now() - interval '30 seconds'),
  ('sb-b', 'heartbeat', now() - interval '900 seconds'),
  ('sb-c', 'heartbeat', now() - interval '2 days');
`;

describe("postgres presets read the seeds' schemas", () => {
  let db: TestPostgres;
  let families: Awaited<ReturnType<typeof collectOnce>>['families'];

  before(async () => {
    db = await startPostgres();
    await loadSeedSchemas(db);
    await db.exec(ROWS);
    const collector = new PostgresCollector(postgresConfig(`postgres:\n  url: ${db.adminUrl}\n  presets: [shepherd, tasks, operations, sandbox_events]\n`));
    const log = memoryLogger([]);
    collector.start(log);
    const result = await collectOnce(collector, log);
    await collector.close();
    assert.ok(result.ok, result.ok ? '' : result.error);
    families = result.families;
  });
  after(() => db?.destroy());

  test('shepherd counts queries by state, including cached terminal states', () => {
    assert.deepEqual(seriesOf(families, 'fleet_queries'), {
      'status=QUEUED': 1,
      'status=RUNNING': 2,
      'status=COMPLETED': 2,
      'status=ERROR': 1,
    });
  });

  test('shepherd reports the oldest running query and the callback backlog', () => {
    assertAge(valueOf(families, 'fleet_queries_oldest_running_age_seconds'), 100, 'oldest running');
    assert.equal(valueOf(families, 'fleet_callbacks_pending'), 6);
    assertAge(valueOf(families, 'fleet_callbacks_oldest_age_seconds'), 100, 'oldest callback of an active query (q2)');
    assert.equal(valueOf(families, 'fleet_callbacks_orphaned'), 3, 'callbacks of finished queries q4, q5 (COMPLETED) and q6 (ERROR)');
  });

  test('shepherd counts queries per target started in the last hour', () => {
    assert.deepEqual(seriesOf(families, 'fleet_queries_by_target'), {
      'target=aragorn': 1,
      'target=arax': 1,
      'target=bte': 1,
      'target=unknown': 2,
    });
  });

  test('tasks counts tasks by status, stuck tasks and the oldest pending task', () => {
    assert.deepEqual(seriesOf(families, 'fleet_tasks'), {
      'status=pending': 2,
      'status=assigned': 2,
      'status=running': 2,
      'status=completed': 3,
      'status=failed': 1,
    });
    assert.deepEqual(seriesOf(families, 'fleet_tasks_stuck'), { 'status=assigned': 1, 'status=running': 1 });
    assertAge(valueOf(families, 'fleet_tasks_oldest_pending_age_seconds'), 300, 'oldest pending');
  });

  test('tasks turns worker_heartbeats into alive workers and heartbeat states', () => {
    assert.deepEqual(seriesOf(families, 'fleet_workers_alive'), { 'worker_type=orchestrator': 1, 'worker_type=sandbox': 2 });
    assertAge(valueOf(families, 'fleet_worker_heartbeat_max_age_seconds', { worker_type: 'orchestrator' }), 10, 'orchestrator max age');
    assertAge(valueOf(families, 'fleet_worker_heartbeat_max_age_seconds', { worker_type: 'sandbox' }), 30, 'sandbox max age');
    assert.deepEqual(seriesOf(families, 'fleet_worker_heartbeats'), {
      'worker_type=orchestrator,state=healthy': 1,
      'worker_type=orchestrator,state=stale': 1,
      'worker_type=orchestrator,state=down': 0,
      'worker_type=sandbox,state=healthy': 2,
      'worker_type=sandbox,state=stale': 0,
      'worker_type=sandbox,state=down': 1,
    });
  });

  test('operations counts operations by status and RUNNING ones that stopped updating', () => {
    assert.deepEqual(seriesOf(families, 'fleet_operations'), {
      'status=PENDING': 1,
      'status=RUNNING': 2,
      'status=COMPLETED': 2,
      'status=FAILED': 1,
    });
    assert.equal(valueOf(families, 'fleet_operations_stale'), 1);
  });

  test("sandbox_events reports each recent sandbox's last event age, stalest first", () => {
    const ages = seriesOf(families, 'fleet_sandbox_last_event_age_seconds');
    assert.deepEqual(Object.keys(ages), ['sandbox_id=sb-b', 'sandbox_id=sb-a'], 'sb-c is older than the lookback');
    assertAge(ages['sandbox_id=sb-a'], 30, 'sb-a');
    assertAge(ages['sandbox_id=sb-b'], 900, 'sb-b');
  });

  test('every preset query reports a duration and no errors', () => {
    const errors = seriesOf(families, 'fleet_sql_query_errors_total');
    assert.ok(Object.keys(errors).length >= 12, `one error series per query: ${Object.keys(errors)}`);
    assert.ok(
      Object.values(errors).every((v) => v === 0),
      JSON.stringify(errors),
    );
    assert.deepEqual(Object.keys(seriesOf(families, 'fleet_sql_query_duration_seconds')).sort(), Object.keys(errors).sort());
  });

  test('database health is built in', () => {
    assert.equal(valueOf(families, 'fleet_postgres_up'), 1);
    assert.ok(valueOf(families, 'fleet_postgres_probe_duration_seconds')! > 0);
    assert.equal(valueOf(families, 'fleet_postgres_max_connections'), 100);
    assert.ok(valueOf(families, 'fleet_postgres_database_size_bytes')! > 1_000_000);
    assert.ok(valueOf(families, 'fleet_postgres_connections', { state: 'active' })! >= 1, 'the exporter itself is active');
    assert.equal(valueOf(families, 'fleet_postgres_connections', { state: 'idle in transaction (aborted)' }), 0, 'known states are zero-filled');
    assert.equal(valueOf(families, 'fleet_postgres_lock_waiting_queries'), 0);
  });
});

describe('preset table and column names can be overridden', () => {
  let db: TestPostgres;
  before(async () => {
    db = await startPostgres();
    await db.exec(`
      CREATE SCHEMA app;
      CREATE TABLE app.jobs (state text, enqueued timestamptz, state_since timestamptz);
      INSERT INTO app.jobs VALUES ('waiting', now() - interval '42 seconds', now() - interval '42 seconds'),
                                  ('done', now(), now());
      CREATE TABLE beats (kind text, seen_at timestamptz);
      INSERT INTO beats VALUES ('crawler', now() - interval '3 seconds');
    `);
  });
  after(() => db?.destroy());

  test('the tasks preset reads a renamed table, columns and statuses', async () => {
    const collector = new PostgresCollector(
      postgresConfig(`
postgres:
  url: ${db.adminUrl}
  presets: [tasks]
  preset_options:
    tasks:
      table: app.jobs
      status_column: state
      created_column: enqueued
      status_since_column: state_since
      active_statuses: [waiting, working]
      pending_status: waiting
      stuck_after_seconds: { working: 60 }
      heartbeats: { table: beats, worker_type_column: kind, last_heartbeat_column: seen_at }
`),
    );
    const log = memoryLogger([]);
    collector.start(log);
    const r = await collectOnce(collector, log);
    await collector.close();
    assert.ok(r.ok);
    assert.deepEqual(seriesOf(r.families, 'fleet_tasks'), { 'status=waiting': 1, 'status=working': 0, 'status=done': 1 });
    assert.deepEqual(seriesOf(r.families, 'fleet_tasks_stuck'), { 'status=working': 0 });
    assertAge(valueOf(r.families, 'fleet_tasks_oldest_pending_age_seconds'), 42, 'oldest waiting job');
    assert.deepEqual(seriesOf(r.families, 'fleet_workers_alive'), { 'worker_type=crawler': 1 });
  });
});
