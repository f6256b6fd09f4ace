import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import pg from 'pg';
import { PostgresCollector } from '../src/collectors/postgres/index.js';
import { CLI, ExporterProcess } from './helpers/exporter.js';
import { sleep } from './helpers/net.js';
import { memoryLogger, postgresConfig, startPostgres, valueOf, type TestPostgres } from './helpers/postgres.js';

function checkConfig(config: object) {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-pg-')), 'fleet.yml');
  writeFileSync(file, yaml.dump(config));
  return spawnSync(CLI, ['--check-config', '--config', file], { encoding: 'utf8', timeout: 60_000 });
}

const metric = (name: string, query: string, timeout_seconds: number) => ({ name, help: name, query, values: ['v'], timeout_seconds });

test('--check-config refuses a query timeout the collection budget never allows, and says what to change', () => {
  const url = 'postgres://fleet@127.0.0.1:5433/db';
  const slow = checkConfig({ postgres: { url, timeout_seconds: 4, metrics: [metric('fleet_ok', 'SELECT 1 AS v', 2), metric('fleet_slow', 'SELECT 1 AS v', 10)] } });
  assert.equal(slow.status, 1, slow.stdout);
  assert.match(slow.stderr, /^postgres\.metrics\[1\]\.timeout_seconds: must be below postgres\.timeout_seconds \(4 s\).*raise postgres\.timeout_seconds or lower this timeout$/m);
  assert.doesNotMatch(slow.stderr, /metrics\[0\]/);
  const preset = checkConfig({ postgres: { url, timeout_seconds: 2, presets: ['tasks'], preset_options: { tasks: { timeout_seconds: 2 } } } });
  assert.match(preset.stderr, /^postgres\.preset_options\.tasks\.timeout_seconds: must be below postgres\.timeout_seconds \(2 s\)/m);
  const scrape = checkConfig({ scrape_timeout_seconds: 3, postgres: { url, timeout_seconds: 5, metrics: [metric('fleet_slow', 'SELECT 1 AS v', 4)] } });
  assert.match(scrape.stderr, /^postgres\.metrics\[0\]\.timeout_seconds: must be below scrape_timeout_seconds \(3 s\).*raise scrape_timeout_seconds or lower this timeout$/m);
  const fine = checkConfig({ postgres: { url, timeout_seconds: 4, metrics: [metric('fleet_slow', 'SELECT 1 AS v', 3.5)] } });
  assert.equal(fine.status, 0, fine.stderr);
});

/** Active sessions of the exporter on the server, sampled until stop() (max seen). */
function watchActiveSessions(url: string) {
  const client = new pg.Client({ connectionString: url, application_name: 'watcher' });
  let max = 0;
  let running = true;
  const done = (async () => {
    await client.connect();
    while (running) {
      const r = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'fleet-exporter' AND state = 'active'");
      max = Math.max(max, r.rows[0].n as number);
      await sleep(25);
    }
    await client.end();
  })();
  return {
    now: async () => (await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'fleet-exporter' AND state = 'active'")).rows[0].n as number,
    stop: async () => {
      running = false;
      await done;
      return max;
    },
  };
}

describe('a slow SQL metric', () => {
  let db: TestPostgres;
  before(async () => {
    db = await startPostgres();
  });
  after(() => db?.destroy());

  test('cut short by the scrape deadline, it loses only its own series, and the exporter never keeps more than pool_size sessions busy', async () => {
    const exporter = await ExporterProcess.start({
      postgres: {
        url: db.adminUrl,
        pool_size: 2,
        timeout_seconds: 4,
        metrics: [
          metric('fleet_test_fast', 'SELECT 1 AS v', 2),
          metric('fleet_test_slow', 'SELECT 1 AS v FROM pg_sleep(3)', 3),
          metric('fleet_test_slower', 'SELECT 1 AS v FROM pg_sleep(3.5)', 3.5),
        ],
      },
    });
    const watcher = watchActiveSessions(db.adminUrl);
    try {
      for (let i = 0; i < 8; i++) {
        // Prometheus with a 1.5 s scrape timeout: the collection has about a second.
        const { status, body } = await exporter.text('/metrics', { 'X-Prometheus-Scrape-Timeout-Seconds': '1.5' });
        assert.equal(status, 200);
        assert.match(body, /^fleet_collector_up\{collector="postgres"\} 1$/m, `scrape ${i}: the collection itself succeeds`);
        assert.match(body, /^fleet_postgres_up 1$/m);
        assert.match(body, /^fleet_test_fast 1$/m, `scrape ${i}: the fast query still reports`);
        assert.doesNotMatch(body, /^fleet_test_slow(er)? /m);
        assert.match(body, new RegExp(`^fleet_sql_query_errors_total\\{query="fleet_test_slow"\\} ${i + 1}$`, 'm'));
      }
    } finally {
      const max = await watcher.stop();
      await exporter.stop();
      assert.ok(max <= 2, `at most pool_size (2) active exporter sessions, saw ${max}`);
    }
  });

  test('a collection abandoned mid-query cancels the statement on the server', async () => {
    const collector = new PostgresCollector(
      postgresConfig(`
postgres:
  url: ${db.adminUrl}
  timeout_seconds: 10
  metrics:
    - { name: fleet_test_sleepy, help: x, query: "SELECT 1 AS v FROM pg_sleep(8)", values: [v], timeout_seconds: 9 }
`),
    );
    const logs: string[] = [];
    collector.start(memoryLogger(logs));
    const watcher = watchActiveSessions(db.adminUrl);
    try {
      // The engine gives up early (e.g. a shorter scrape deadline came in): its signal aborts.
      const controller = new AbortController();
      const collection = collector.collect({ signal: controller.signal, deadlineMs: Date.now() + 10_000, log: memoryLogger(logs) });
      await sleep(800);
      assert.equal(await watcher.now(), 1, 'the query runs');
      controller.abort();
      const result = await collection;
      assert.equal(valueOf(result.families, 'fleet_test_sleepy'), undefined);
      assert.equal(valueOf(result.families, 'fleet_sql_query_errors_total', { query: 'fleet_test_sleepy' }), 1);
      let active = 1;
      for (let i = 0; i < 20 && active > 0; i++) {
        await sleep(50);
        active = await watcher.now();
      }
      assert.equal(active, 0, 'the server stopped the abandoned statement within a second, not after its 8 s');
    } finally {
      await watcher.stop();
      await collector.close();
    }
  });
});
