/**
 * Postgres collector benchmark (docs/benchmarks.md, Postgres):
 *   1. preset collection time on 1,000,000-row tables, without and with sql/indexes.sql;
 *   2. the built-in health metrics, scraped over HTTP, against Debian's
 *      prometheus-postgres-exporter on the same database in the same run.
 * Run: npx tsc -p tsconfig.json && node dist/bench/postgres-bench.js [--runs N] [--plans]
 * Uses a throwaway cluster (or DATABASE_URL; its tables are dropped and recreated).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { PostgresCollector } from '../src/collectors/postgres/index.js';
import { presetQueries, type PresetName } from '../src/collectors/postgres/presets/index.js';
import { freePort, loadSeedSchemas, memoryLogger, postgresConfig, psqlFile, startPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { median } from './stats.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '30' }, plans: { type: 'boolean', default: false } } });
const RUNS = Number(args.runs);
const PRESETS: PresetName[] = ['shepherd', 'tasks', 'operations', 'sandbox_events'];
const POSTGRES_EXPORTER = '/usr/bin/prometheus-postgres-exporter';

/** Synthetic fleet: 1M rows in each big table, a few hundred of them in active states. */
const DROP = 'DROP TABLE IF EXISTS callbacks, shepherd_brain, tasks, worker_heartbeats, operations, sandbox_events CASCADE';
const FILL = `
INSERT INTO shepherd_brain (qid, state, status, start_time, domain)
SELECT 'q' || i,
  CASE WHEN i <= 200 THEN 'QUEUED' WHEN i <= 700 THEN 'RUNNING' WHEN i % 50 = 0 THEN 'ERROR' ELSE 'COMPLETED' END,
  'OK', now() - (i * interval '2.6 seconds'), (ARRAY['aragorn','arax','bte','sipr'])[1 + i % 4]
FROM generate_series(1, 1000000) i;
-- Outstanding callbacks of running queries, plus leaked ones of completed queries.
INSERT INTO callbacks (query_id, callback_id) SELECT 'q' || (201 + i % 500), 'c' || i FROM generate_series(1, 8000) i;
INSERT INTO callbacks (query_id, callback_id) SELECT 'q' || (1000 + i * 37), 'l' || i FROM generate_series(1, 2000) i;

INSERT INTO tasks (status, created_at, updated_at)
SELECT CASE WHEN i <= 1000 THEN 'pending' WHEN i <= 1200 THEN 'assigned' WHEN i <= 1700 THEN 'running' WHEN i % 20 = 0 THEN 'failed' ELSE 'completed' END,
  now() - (i * interval '2 seconds'), now() - (i * interval '1 second')
FROM generate_series(1, 1000000) i;

INSERT INTO worker_heartbeats (worker_type, worker_id, last_heartbeat, status)
SELECT (ARRAY['orchestrator','sandbox','lookup'])[1 + i % 3], 'w' || i, now() - (i % 400) * interval '1 second', 'healthy'
FROM generate_series(1, 1000) i;

INSERT INTO operations (status, created_at, last_state_update_timestamp)
SELECT CASE WHEN i <= 100 THEN 'PENDING' WHEN i <= 400 THEN 'RUNNING' WHEN i % 30 = 0 THEN 'FAILED' ELSE 'COMPLETED' END,
  now() - i * interval '3 seconds', now() - i * interval '3 seconds'
FROM generate_series(1, 1000000) i;

-- 2,000 sandboxes x 500 events over two days.
INSERT INTO sandbox_events (sandbox_id, event_type, created_at)
SELECT 'sb-' || (i % 2000), 'heartbeat', now() - (i * interval '0.17 seconds')
FROM generate_series(1, 1000000) i;
`;

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))]!;
}
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Median collection time of the presets, and each query's median duration. */
async function benchPresets(db: TestPostgres, otherInterval: number): Promise<{ total: number[]; perQuery: Map<string, number[]>; errors: Map<string, number> }> {
  // The presets' default timeouts (2 s per query), as a user runs them.
  const collector = new PostgresCollector(
    postgresConfig(`
postgres:
  url: ${db.adminUrl}
  timeout_seconds: 30
  presets: [${PRESETS.join(', ')}]
  preset_options:
    shepherd: { other_statuses_min_interval_seconds: ${otherInterval} }
    tasks: { other_statuses_min_interval_seconds: ${otherInterval} }
    operations: { other_statuses_min_interval_seconds: ${otherInterval} }
`),
  );
  const logs: string[] = [];
  const log = memoryLogger(logs);
  collector.start(log);
  const total: number[] = [];
  const perQuery = new Map<string, number[]>();
  const errors = new Map<string, number>();
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const r = await collector.collect({ signal: new AbortController().signal, deadlineMs: Date.now() + collector.timeoutSeconds * 1000, log });
    const elapsed = performance.now() - t0;
    if (i === 0) continue; // the first scrape opens connections and runs the cached queries too
    total.push(elapsed);
    for (const f of r.families) {
      if (f.name === 'fleet_sql_query_errors_total') for (const s of f.samples) errors.set(s.labelValues[0]!, s.value);
      if (f.name !== 'fleet_sql_query_duration_seconds') continue;
      for (const s of f.samples) {
        const list = perQuery.get(s.labelValues[0]!) ?? [];
        list.push(s.value * 1000);
        perQuery.set(s.labelValues[0]!, list);
      }
    }
  }
  await collector.close();
  return { total, perQuery, errors };
}

async function explainAll(db: TestPostgres): Promise<string> {
  const pg = (await import('pg')).default;
  const client = new pg.Client(db.adminUrl);
  await client.connect();
  await client.query("SET statement_timeout = '10s'"); // the unindexed sandbox walk would run for minutes
  const cfg = postgresConfig(`postgres:\n  url: ${db.adminUrl}\n  presets: [${PRESETS.join(', ')}]\n`);
  let out = '';
  for (const p of PRESETS) {
    for (const spec of presetQueries(p, cfg.preset_options)) {
      try {
        const { rows } = await client.query(`EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) ${spec.sql}`);
        out += `-- ${spec.ids.join(', ')}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\n`;
      } catch (err) {
        const { rows } = await client.query(`EXPLAIN (COSTS OFF) ${spec.sql}`);
        out += `-- ${spec.ids.join(', ')}: ${(err as Error).message} (plan without ANALYZE)\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\n`;
      }
    }
  }
  await client.end();
  return out;
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** HTTP scrape times of fleet-exporter (health only) and prometheus-postgres-exporter, interleaved. */
async function benchHealth(db: TestPostgres): Promise<{ ours: number[]; theirs: number[] }> {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const cfg = join(dir, 'config.yml');
  writeFileSync(cfg, `postgres:\n  url: ${db.adminUrl}\n`);
  const [p1, p2] = [await freePort(), await freePort()];
  const children: ChildProcess[] = [
    spawn(process.execPath, [new URL('../src/main.js', import.meta.url).pathname, '--config', cfg, '--listen', `127.0.0.1:${p1}`, '--log-level', 'warn'], { stdio: 'ignore' }),
    spawn(POSTGRES_EXPORTER, [`--web.listen-address=127.0.0.1:${p2}`], {
      stdio: 'ignore',
      env: { ...process.env, DATA_SOURCE_NAME: `${db.adminUrl}?sslmode=disable` },
    }),
  ];
  try {
    const urls = [`http://127.0.0.1:${p1}/metrics`, `http://127.0.0.1:${p2}/metrics`];
    for (const u of urls) await waitHttp(u);
    const times: number[][] = [[], []];
    for (let i = 0; i <= RUNS; i++) {
      for (const [k, u] of urls.entries()) {
        const t0 = performance.now();
        const body = await (await fetch(u)).text();
        if (i > 0) times[k]!.push(performance.now() - t0);
        if (k === 0 && !/^fleet_postgres_up 1$/m.test(body)) throw new Error('fleet-exporter is not connected');
        if (k === 1 && !/^pg_up 1$/m.test(body)) throw new Error('postgres_exporter is not connected');
      }
    }
    return { ours: times[0]!, theirs: times[1]! };
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const db = await startPostgres();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      db.destroy();
      process.exit(130);
    });
  }
  try {
    await db.exec(DROP);
    await loadSeedSchemas(db);
    const t0 = performance.now();
    await db.exec(FILL);
    await db.exec('VACUUM ANALYZE'); // as autovacuum would have: visibility map set, statistics fresh
    console.log(`data: 1,000,000 rows each in shepherd_brain, tasks, operations, sandbox_events (${ms(performance.now() - t0)} to load)`);
    console.log(`runs per figure: ${RUNS} (medians; p90 in brackets)\n`);

    const rows: string[][] = [];
    const plans: Record<string, string> = {};
    const perQuery: Record<string, { perQuery: Map<string, number[]>; errors: Map<string, number> }> = {};
    for (const indexed of [false, true]) {
      if (indexed) {
        psqlFile(db.adminUrl, 'indexes.sql');
        await db.exec('ANALYZE');
      }
      const label = indexed ? 'with sql/indexes.sql' : 'without indexes';
      const steady = await benchPresets(db, 300);
      const uncached = await benchPresets(db, 0);
      rows.push([label, `${ms(median(steady.total))} (${ms(p90(steady.total))})`, `${ms(median(uncached.total))} (${ms(p90(uncached.total))})`]);
      perQuery[label] = uncached;
      if (args.plans) plans[label] = await explainAll(db);
    }
    console.log('| indexes | preset scrape, steady state | every query every scrape |\n|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    console.log('\n| query | without indexes | with indexes |\n|---|---|---|');
    const [a, b] = Object.values(perQuery);
    const cell = (r: (typeof perQuery)[string], q: string) => {
      const failed = r.errors.get(q) ?? 0;
      return `${ms(median(r.perQuery.get(q)!))}${failed > 0 ? ` (${failed} of ${RUNS + 1} runs failed)` : ''}`;
    };
    for (const q of a!.perQuery.keys()) console.log(`| ${q} | ${cell(a!, q)} | ${cell(b!, q)} |`);

    const health = await benchHealth(db);
    console.log('\n| exporter (HTTP GET /metrics, health only) | median | p90 |\n|---|---|---|');
    console.log(`| fleet-exporter (postgres health) | ${ms(median(health.ours))} | ${ms(p90(health.ours))} |`);
    console.log(`| prometheus-postgres-exporter (defaults) | ${ms(median(health.theirs))} | ${ms(p90(health.theirs))} |`);
    for (const [label, text] of Object.entries(plans)) console.log(`\n## plans ${label}\n\n${text}`);
  } finally {
    db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
