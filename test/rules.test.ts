// Prometheus rules: the example thresholds, promtool check/test, the alert
// contract, the metric contract of alert expressions, runbook anchors and
// the rule_files layout. Needs promtool (Prometheus 2.x or 3.x) on PATH or in
// $PROMTOOL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import type { RuleGroup } from '../rules/src/build.js';

const ROOT = process.env.FLEET_REPO_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(ROOT, 'rules');
const TESTS = join(RULES, 'tests');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const GENERATE = join(ROOT, 'dist', 'scripts', 'generate.js');

// prettier-ignore
const CONTRACT_ALERTS = [
  'FleetExporterDown', 'FleetCollectorFailing', 'FleetWorkerTypeDown', 'FleetWorkersBelowMinimum',
  'FleetStreamBacklogHigh', 'FleetStreamBacklogGrowing', 'FleetPendingStuck', 'FleetStrandedMessages',
  'FleetPoisonMessage', 'FleetPhantomConsumers', 'FleetStreamUnbounded', 'FleetRedisDown',
  'FleetRedisMemoryHigh', 'FleetPostgresDown', 'FleetPostgresConnectionsHigh', 'FleetCallbacksStale',
  'FleetCallbacksOrphaned', 'FleetQueriesStuck', 'FleetTasksStuck', 'FleetOperationStuck',
  'FleetSandboxZombie', 'FleetSandboxErrored', 'FleetSandboxLongLived', 'FleetInstanceCPUHigh',
  'FleetInstanceMemoryHigh', 'FleetInstanceStatusCheckFailed', 'FleetCloudWatchStale', 'FleetHostCPUHigh',
  'FleetHostMemoryHigh', 'FleetHostDiskFull', 'FleetEndpointDown', 'FleetExporterShardMissing',
  'FleetTaskFailureRateHigh', 'FleetTaskLatencyHigh', 'FleetTaskQueueWaitHigh',
];

/** Metric names of the contract (shared/design.md), packed as there. */
// prettier-ignore
const CONTRACT_METRICS = new Set([
  'fleet_exporter_build_info', 'fleet_collector_up', 'fleet_collector_duration_seconds',
  'fleet_collector_last_success_timestamp_seconds', 'fleet_collector_errors_total', 'fleet_series_dropped_total',
  'fleet_redis_up', 'fleet_redis_used_memory_bytes', 'fleet_redis_maxmemory_bytes', 'fleet_redis_connected_clients',
  'fleet_stream_length', 'fleet_stream_entries_added_total', 'fleet_stream_group_entries_read_total',
  'fleet_stream_oldest_entry_age_seconds', 'fleet_stream_last_entry_age_seconds', 'fleet_stream_group_lag',
  'fleet_stream_group_pending', 'fleet_stream_group_oldest_pending_idle_seconds',
  'fleet_stream_group_oldest_pending_deliveries', 'fleet_stream_group_consumers', 'fleet_stream_group_orphaned_pending',
  'fleet_stream_consumer_pending', 'fleet_stream_consumer_idle_seconds',
  'fleet_workers_alive', 'fleet_worker_shutdown_markers', 'fleet_worker_min_alive', 'fleet_worker_concurrency',
  'fleet_worker_heartbeat_max_age_seconds',
  'fleet_postgres_up', 'fleet_postgres_probe_duration_seconds', 'fleet_postgres_connections',
  'fleet_postgres_max_connections', 'fleet_postgres_database_size_bytes', 'fleet_postgres_oldest_transaction_age_seconds',
  'fleet_sql_query_duration_seconds', 'fleet_sql_query_errors_total', 'fleet_queries',
  'fleet_queries_oldest_running_age_seconds', 'fleet_callbacks_pending', 'fleet_callbacks_oldest_age_seconds',
  'fleet_callbacks_orphaned', 'fleet_tasks', 'fleet_tasks_stuck', 'fleet_operations', 'fleet_operations_stale',
  'fleet_sandbox_last_event_age_seconds',
  'fleet_daytona_sandboxes', 'fleet_daytona_sandbox_cpu_cores', 'fleet_daytona_sandbox_memory_bytes',
  'fleet_daytona_sandbox_disk_bytes', 'fleet_daytona_sandbox_gpus', 'fleet_daytona_sandbox_info',
  'fleet_daytona_sandbox_age_seconds', 'fleet_daytona_sandbox_idle_seconds',
  'fleet_ec2_instances', 'fleet_ec2_instance_info', 'fleet_ec2_instance_state', 'fleet_ec2_instance_status_check_ok',
  'fleet_ec2_cpu_utilization_ratio', 'fleet_ec2_memory_utilization_ratio', 'fleet_cloudwatch_datapoint_age_seconds',
  'fleet_aws_requests_total', 'fleet_cloudwatch_metrics_requested_total',
  'fleet_tasks_total', 'fleet_task_duration_seconds', 'fleet_task_queue_wait_seconds',
  'fleet_exporter_shard_info',
]);
/** A contract metric, or a histogram's series (_bucket, _sum, _count) of one. */
const isContractMetric = (m: string) => CONTRACT_METRICS.has(m) || CONTRACT_METRICS.has(m.replace(/_(bucket|sum|count)$/, ''));
/** Series from outside the exporter that alerts may use. */
const isExternalMetric = (m: string) => m === 'up' || m === 'probe_success' || m.startsWith('process_') || m.startsWith('node_');

interface RuleFile {
  groups: RuleGroup[];
}
interface ExpAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface TestFile {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: ExpAlert[] }[] }[];
}

function run(cmd: string, args: string[], cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message} (set $PROMTOOL to its path)`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const ruleFiles = () =>
  readdirSync(RULES)
    .filter((f) => f.endsWith('.rules.yml'))
    .sort()
    .map((f) => join(RULES, f));
const testFiles = () =>
  readdirSync(TESTS)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((f) => join(TESTS, f));
/** Cases for the example thresholds (rules/tests/example): where alerts that are off by default fire. */
const exampleTestFiles = () =>
  readdirSync(join(TESTS, 'example'))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => join(TESTS, 'example', f));
const readYaml = <T>(path: string) => load(readFileSync(path, 'utf8')) as T;
const allRules = () => ruleFiles().flatMap((f) => readYaml<RuleFile>(f).groups.flatMap((g) => g.rules));

test('the example thresholds give per-stream rules that promtool checks and tests (rules/tests/example)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-rules-'));
  try {
    const r = run(process.execPath, [GENERATE, '--thresholds', join(RULES, 'thresholds.example.yml'), '--out', dir]);
    assert.equal(r.status, 0, r.out);
    const rules = join(dir, 'rules');
    const streams = readFileSync(join(rules, 'streams.rules.yml'), 'utf8');
    assert.match(streams, /fleet_stream_group_oldest_pending_idle_seconds\{job="fleet-exporter",stream=~"aragorn\\\\.lookup\|[^"]*"\} > 600/);
    assert.match(streams, /fleet_stream_group_oldest_pending_idle_seconds\{job="fleet-exporter",stream!~"aragorn\\\\.lookup\|[^"]*"\} > 300/);
    const files = readdirSync(rules)
      .filter((f) => f.endsWith('.rules.yml'))
      .map((f) => join(rules, f));
    const check = run(PROMTOOL, ['check', 'rules', ...files]);
    assert.equal(check.status, 0, check.out);

    const examples = readdirSync(join(TESTS, 'example')).filter((f) => f.endsWith('.yml'));
    assert.ok(examples.length > 0);
    mkdirSync(join(rules, 'tests'));
    for (const f of examples) copyFileSync(join(TESTS, 'example', f), join(rules, 'tests', f));
    const t = run(PROMTOOL, ['test', 'rules', ...examples], join(rules, 'tests'));
    assert.equal(t.status, 0, t.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped defaults have no per-stream overrides', () => {
  const streams = readFileSync(join(RULES, 'streams.rules.yml'), 'utf8');
  assert.doesNotMatch(streams, /stream[=!]~/);
});

test('promtool check rules passes on every rule file', () => {
  const files = ruleFiles();
  assert.ok(files.length >= 8, 'expected one rule file per area');
  const r = run(PROMTOOL, ['check', 'rules', ...files]);
  assert.equal(r.status, 0, r.out);
});

test('promtool test rules passes on every file under rules/tests', () => {
  const files = testFiles();
  assert.ok(files.length > 0);
  const r = run(PROMTOOL, ['test', 'rules', ...files], TESTS);
  assert.equal(r.status, 0, r.out);
});

test('layout: rule files hold groups, test files hold tests, and rule_files cannot load tests', () => {
  for (const f of ruleFiles()) {
    const doc = readYaml<Record<string, unknown>>(f);
    assert.ok(Array.isArray(doc.groups), `${f} must have groups:`);
    assert.equal(doc.tests, undefined, `${f} must not have tests:`);
  }
  for (const f of testFiles()) {
    const doc = readYaml<Record<string, unknown>>(f);
    assert.ok(Array.isArray(doc.tests), `${f} must have tests:`);
    assert.equal(doc.groups, undefined, `${f} must not have groups:`);
  }
  const prom = readYaml<{ rule_files: string[] }>(join(ROOT, 'prometheus', 'prometheus.yml'));
  assert.ok(prom.rule_files.length > 0);
  for (const glob of prom.rule_files) {
    assert.match(glob, /^\/etc\/prometheus\/rules\/[^/]*$/, 'rule_files must glob the rules directory only, not rules/tests');
    const base = glob.slice('/etc/prometheus/rules/'.length);
    const re = new RegExp(
      `^${base
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')}$`,
    );
    const matched = readdirSync(RULES).filter((f) => re.test(f));
    assert.deepEqual(
      matched.sort(),
      ruleFiles().map((f) => f.slice(RULES.length + 1)),
      `${glob} must match exactly the rule files`,
    );
  }
});

test('promtool check config accepts prometheus/prometheus.yml with the repository rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-prom-'));
  try {
    const text = readFileSync(join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8')
      .replaceAll('/etc/prometheus/rules/', `${RULES}/`)
      .replaceAll('/etc/prometheus/targets/', `${join(ROOT, 'prometheus', 'targets')}/`);
    writeFileSync(join(dir, 'prometheus.yml'), text);
    const r = run(PROMTOOL, ['check', 'config', join(dir, 'prometheus.yml')]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS/);
    for (const f of ruleFiles()) assert.ok(r.out.includes(f), `prometheus.yml must load ${f}\n${r.out}`);
    for (const f of testFiles()) assert.ok(!r.out.includes(f), `prometheus.yml must not load ${f}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every contract alert exists, with severity, summary, description and runbook_url', () => {
  const rules = allRules().filter((r) => r.alert);
  const names = new Set(rules.map((r) => r.alert));
  assert.deepEqual([...names].sort(), [...CONTRACT_ALERTS].sort());
  const thresholds = readYaml<{ links: { runbook_base_url: string } }>(join(RULES, 'thresholds.yml'));
  const runbooks = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
  const anchors = new Set(
    [...runbooks.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  for (const r of rules) {
    assert.ok(['critical', 'warning', 'info'].includes(r.labels?.severity ?? ''), `${r.alert}: severity`);
    assert.ok(r.annotations?.summary, `${r.alert}: summary`);
    assert.ok(r.annotations?.description, `${r.alert}: description`);
    assert.doesNotMatch(r.annotations.summary, /\$value/, `${r.alert}: summary must be steady (no $value)`);
    assert.match(r.annotations.description, /\$value|\$labels/, `${r.alert}: description must be templated`);
    const anchor = (r.alert as string).toLowerCase();
    assert.equal(r.annotations?.runbook_url, `${thresholds.links.runbook_base_url}#${anchor}`);
    assert.ok(anchors.has(anchor), `docs/runbooks.md needs a section "${r.alert}"`);
  }
  const down = rules.find((r) => r.alert === 'FleetWorkerTypeDown');
  assert.equal(down?.labels?.severity, 'critical');
  assert.match(down?.annotations?.summary ?? '', /cause "scaled_down"/);
});

test('alerts depend only on contract metrics, up, process metrics, node_exporter and blackbox', () => {
  const rules = allRules();
  const recorded = new Map(rules.filter((r) => r.record).map((r) => [r.record as string, r.expr]));
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
  const metricsOf = (expr: string) => {
    const stripped = expr
      .replace(/#.*$/gm, '')
      .replace(/"(?:[^"\\]|\\.)*"/g, '""')
      .replace(/\{[^}]*\}/g, '')
      .replace(/\[[^\]]*\]/g, '')
      .replace(/\b(on|ignoring|by|without|group_left|group_right)\s*\([^)]*\)/g, '');
    return [...stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((m) => m[1]).filter((t) => !keywords.has(t.toLowerCase()));
  };
  const leaves = (expr: string, seen = new Set<string>()): string[] =>
    metricsOf(expr).flatMap((m) => {
      if (!recorded.has(m)) return [m];
      if (seen.has(m)) return [];
      seen.add(m);
      return leaves(recorded.get(m) as string, seen);
    });
  for (const r of rules.filter((x) => x.alert)) {
    for (const m of leaves(r.expr)) {
      assert.ok(isContractMetric(m) || isExternalMetric(m), `${r.alert} depends on ${m}, which is not in the contract`);
    }
  }
  // the parser sees what it should
  assert.deepEqual(metricsOf('max_over_time(fleet_workers_alive{job="x"}[5m]) > on (a, b) group_left (c) foo:bar'), ['fleet_workers_alive', 'foo:bar']);
});

test('promtool tests: every alert has a firing case with exact labels and annotations, and a near miss', () => {
  const firing = new Map<string, number>();
  const quiet = new Map<string, number>();
  let healthy = false;
  for (const f of [...testFiles(), ...exampleTestFiles()]) {
    const doc = readYaml<TestFile>(f);
    assert.deepEqual(doc.rule_files, ['../*.rules.yml'], `${f}: rule_files`);
    for (const t of doc.tests) {
      const cases = t.alert_rule_test ?? [];
      if (/healthy/i.test(t.name ?? '')) {
        const covered = new Set(cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => c.alertname));
        assert.deepEqual([...covered].sort(), [...CONTRACT_ALERTS].sort(), `${f}: the healthy test must check every alert`);
        assert.ok(
          cases.every((c) => (c.exp_alerts ?? []).length === 0),
          'no alert may fire on a healthy fleet',
        );
        healthy = true;
      }
      for (const c of cases) {
        const exp = c.exp_alerts ?? [];
        if (exp.length === 0) {
          quiet.set(c.alertname, (quiet.get(c.alertname) ?? 0) + 1);
          continue;
        }
        for (const a of exp) {
          assert.ok(a.exp_labels?.severity, `${f} ${c.alertname}: exp_labels must include severity`);
          for (const k of ['summary', 'description', 'runbook_url']) assert.ok(a.exp_annotations?.[k], `${f} ${c.alertname}: exp_annotations must include ${k}`);
        }
        firing.set(c.alertname, (firing.get(c.alertname) ?? 0) + 1);
      }
    }
  }
  assert.ok(healthy, 'a "healthy fleet" test is required');
  for (const a of CONTRACT_ALERTS) {
    assert.ok(firing.get(a), `${a}: no promtool case where it fires`);
    assert.ok(quiet.get(a), `${a}: no promtool near-miss case`);
  }
  // FleetWorkerTypeDown: both causes are asserted.
  const text = testFiles()
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  assert.match(text, /cause: crashed/);
  assert.match(text, /cause: scaled_down/);
});

test('docs/runbooks.md gives each alert its meaning, likely causes, how to confirm and how to fix', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
  const sections = new Map(
    doc
      .split(/^### /m)
      .slice(1)
      .map((s) => [s.slice(0, s.indexOf('\n')).trim(), s] as const),
  );
  for (const a of CONTRACT_ALERTS) {
    const s = sections.get(a);
    assert.ok(s, `docs/runbooks.md: no "### ${a}" section`);
    for (const part of ['**Meaning.**', '**Likely causes.**', '**Confirm.**', '**Fix.**']) assert.ok(s.includes(part), `docs/runbooks.md ${a}: missing ${part}`);
    assert.match(s, /```(promql|sh)/, `docs/runbooks.md ${a}: needs a PromQL or shell command to confirm`);
  }
});

test('docs/alerting.md documents every threshold key', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'alerting.md'), 'utf8');
  const thresholds = readYaml<Record<string, Record<string, unknown>>>(join(RULES, 'thresholds.yml'));
  const keys: string[] = [];
  const walk = (o: Record<string, unknown>, path: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (path === 'streams.overrides') continue;
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, path ? `${path}.${k}` : k);
      else keys.push(k);
    }
  };
  walk(thresholds, '');
  for (const k of keys) assert.ok(doc.includes(k), `docs/alerting.md does not mention ${k}`);
  assert.ok(existsSync(join(ROOT, 'docs', 'runbooks.md')));
});
