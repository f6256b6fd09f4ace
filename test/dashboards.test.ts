import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { row, timeseries, stat, type DashboardSpec } from '../grafana/src/builder.js';
import { buildDashboards, dashboardSpecs, panelFinder } from '../grafana/src/index.js';
import { expandVariables, panelQueries } from '../grafana/src/queries.js';
import { ruleFiles } from '../rules/src/index.js';
import { loadThresholds } from '../rules/src/thresholds.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
function shippedRules(): Rule[] {
  const files = readdirSync(new URL('rules/', ROOT)).filter((f) => f.endsWith('.rules.yml'));
  return files.flatMap((f) => (yaml.load(read(`rules/${f}`)) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
}

const thresholds = loadThresholds();
const built = buildDashboards(dashboardSpecs(thresholds));
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Grafana JSON, read loosely
const panelsOf = (d: Json): Json[] => d.panels.filter((p: Json) => p.type !== 'row');

test('dashboards/ holds only the generated dashboard JSON (npm run generate writes it)', () => {
  const expected = built.map((d) => d.file).sort();
  assert.deepEqual(readdirSync(new URL('dashboards/', ROOT)).sort(), expected);
});

test("panel ids are the panels' own: adding or reordering panels changes no other id or alert link", () => {
  const links = (specs: DashboardSpec[]) => ruleFiles(thresholds, panelFinder(buildDashboards(specs))).alertPanels;
  const ids = (specs: DashboardSpec[]) => buildDashboards(specs).flatMap((d) => (d.json as Json).panels.map((p: Json) => [p.id, `${d.spec.uid} / ${p.type} ${p.title}`]));
  const specs = dashboardSpecs(thresholds);
  const changed = specs.map((d) =>
    d.uid === 'fleet-streams' ? { ...d, items: [stat(99, 'New panel', 'short', [], { description: 'added at the top' }), ...d.items.slice().reverse()] } : d,
  );
  assert.deepEqual(links(changed), links(specs));
  const before = new Map(ids(specs).map(([id, title]) => [title, id]));
  for (const [id, title] of ids(changed)) if (!title.endsWith('New panel')) assert.equal(id, before.get(title), title);

  const twice: DashboardSpec = { ...specs[0]!, items: [row(1, 'A'), timeseries(1, 'B', 'short', [], { description: 'x' })] };
  assert.throws(() => buildDashboards([twice]), /panel id 1 is used twice/);
});

test('every dashboard has a datasource variable that every panel and query uses', () => {
  for (const { json } of built as { json: Json }[]) {
    const vars = json.templating.list as Json[];
    assert.equal(vars[0]!.type, 'datasource', `${json.uid}: first variable is the datasource`);
    for (const p of panelsOf(json)) {
      assert.equal(p.datasource.uid, '${datasource}', `${json.uid} / ${p.title}`);
      for (const t of p.targets) {
        assert.equal(t.datasource.uid, '${datasource}');
        assert.ok(typeof t.expr === 'string' && t.expr.length > 0, `${json.uid} / ${p.title}: query in expr`);
      }
    }
  }
});

test("every query of the exporter's series filters on the job, instance and cluster variables; every dashboard has them", () => {
  for (const { json } of built as { json: Json }[]) {
    const names = json.templating.list.map((v: Json) => v.name);
    for (const v of ['cluster', 'job', 'instance']) assert.ok(names.includes(v), `${json.uid}: variable ${v}`);
    assert.match(json.title, /^Fleet \/ /, `${json.uid}: title prefix`);
  }
  const queries = panelQueries(built);
  assert.ok(queries.length > 50);
  for (const { dashboard, panel, expr } of queries) {
    const names = /\b(?:fleet_[a-z0-9_]+|fleet:[a-z0-9_:]+|up|process_[a-z_]+|scrape_[a-z_]+)(?![a-z0-9_:])/g;
    const bare = [...expr.matchAll(names)].filter((m) => expr[m.index + m[0].length] !== '{').map((m) => m[0]);
    assert.deepEqual(bare, [], `${dashboard} / ${panel}: every selector of the exporter's series has matchers: ${expr}`);
    const selectors = expr.match(/\b(?:fleet_|fleet:|up\{|process_|scrape_)[a-zA-Z0-9_:]*\{?[^}]*\}/g) ?? [];
    for (const s of selectors) {
      if (s.startsWith('fleet:host:')) continue; // node_exporter's series: their own job
      assert.match(s, /job=~"\$job"/, `${dashboard} / ${panel}: ${s}`);
      assert.match(s, /instance=~"\$instance"/, `${dashboard} / ${panel}: ${s}`);
      assert.doesNotMatch(s, /job="fleet-exporter"/, `${dashboard} / ${panel}: ${s}`);
    }
    assert.match(expr, /cluster=~"\$cluster"/, `${dashboard} / ${panel}`);
  }
});

test('the overview filters by worker type and the streams dashboard by stream', () => {
  const names = (uid: string) => (built.find((d) => d.spec.uid === uid)!.json as Json).templating.list.map((v: Json) => v.name);
  assert.ok(names('fleet-overview').includes('worker_type'));
  assert.ok(names('fleet-streams').includes('stream'));
  assert.ok(names('fleet-tasks').includes('worker_type'));
});

test('the tasks dashboard repeats its percentile panels per worker type and draws queue wait as a heatmap of buckets', () => {
  const tasks = built.find((d) => d.spec.uid === 'fleet-tasks')!.json as Json;
  const byTitle = (title: string) => (tasks.panels as Json[]).find((p) => p.title === title)!;
  for (const title of ['Task duration p50 / p95 / p99: $worker_type', 'Queue wait p50 / p95 / p99: $worker_type']) {
    const p = byTitle(title);
    assert.equal(p.repeat, 'worker_type', title);
    assert.deepEqual(
      p.targets.map((t: Json) => t.legendFormat),
      ['p50', 'p95', 'p99'],
      title,
    );
  }
  const heat = byTitle('Queue wait heatmap');
  assert.equal(heat.type, 'heatmap');
  assert.equal(heat.targets[0].format, 'heatmap');
  assert.match(heat.targets[0].expr, /^sum by \(le\) \(.*increase\(fleet_task_queue_wait_seconds_bucket\{/);
  // Replicas of the exporter report the same counters: every raw task query merges them with max before summing.
  for (const p of panelsOf(tasks)) for (const t of p.targets) if (/\bfleet_task/.test(t.expr)) assert.match(t.expr, /max by \(/, `${p.title}: ${t.expr}`);
});

test('every panel has a unit, a description and a unique id on its dashboard', () => {
  for (const { json } of built as { json: Json }[]) {
    const ids = (json.panels as Json[]).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${json.uid}: duplicate panel ids`);
    for (const p of panelsOf(json)) {
      assert.ok(p.fieldConfig.defaults.unit, `${json.uid} / ${p.title}: unit`);
      assert.ok(p.description, `${json.uid} / ${p.title}: description`);
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${json.uid} / ${p.title}: fits the grid`);
    }
  }
});

test('each dashboard links to every other one, keeping time range and variables', () => {
  const uids = built.map((d) => d.spec.uid);
  assert.equal(new Set(uids).size, uids.length, 'dashboard uids are unique');
  for (const { json } of built as { json: Json }[]) {
    const targets = (json.links as Json[]).map((l) => l.url);
    assert.deepEqual(
      targets,
      uids.filter((u) => u !== json.uid).map((u) => `/d/${u}`),
      json.uid,
    );
    for (const l of json.links as Json[]) assert.ok(l.keepTime && l.includeVars);
  }
});

test('every shipped alert points at a panel, and dashboard_url annotations match that panel', () => {
  const map = ruleFiles(thresholds, panelFinder(built)).alertPanels;
  const alerts = shippedRules().filter((r) => r.alert);
  assert.ok(alerts.length > 0, 'rules/*.rules.yml define alerts');
  for (const rule of alerts) {
    const target = map[rule.alert!];
    assert.ok(target, `${rule.alert} has no panel (give it one in rules/src/<area>.ts)`);
    assert.equal(rule.annotations?.dashboard_url, `${thresholds.links.grafana_url}${target.path}`, rule.alert);
    const dashboard = built.find((d) => d.spec.uid === target.dashboard_uid)!;
    assert.ok(
      dashboard.panels.some((p) => p.id === target.panel_id),
      `${rule.alert}: panel ${target.panel_id} exists`,
    );
  }
  const shipped = new Set(alerts.map((r) => r.alert));
  for (const name of Object.keys(map)) assert.ok(shipped.has(name), `panel links alert ${name}, which rules/ does not define`);
});

test('the recording rules the dashboards read exist in rules/', () => {
  const recorded = new Set(shippedRules().flatMap((r) => (r.record ? [r.record] : [])));
  for (const { dashboard, panel, expr } of panelQueries(built)) {
    for (const name of expr.match(/\bfleet:[a-z0-9_:]+/g) ?? []) {
      assert.ok(recorded.has(name), `${dashboard} / ${panel}: ${name} is not a recording rule in rules/`);
    }
  }
});

test('every panel query parses as PromQL (promtool, Prometheus 2.42) and avoids what Prometheus 3 removed', (t) => {
  const queries = panelQueries(built);
  for (const { dashboard, panel, expr } of queries) {
    // Prometheus 3 dropped holt_winters (now double_exponential_smoothing behind a flag).
    assert.doesNotMatch(expr, /\bholt_winters\s*\(/, `${dashboard} / ${panel}`);
  }
  if (spawnSync('promtool', ['--version']).status !== 0) {
    t.skip('promtool is not installed');
    return;
  }
  const rules = queries.map((query, i) => ({ record: `dashboard:query_${i}`, expr: expandVariables(query.expr, { rangeSeconds: 3600, rateInterval: '1m' }) }));
  const dir = mkdtempSync(join(tmpdir(), 'fleet-dashboards-'));
  try {
    writeFileSync(join(dir, 'queries.rules.yml'), yaml.dump({ groups: [{ name: 'dashboards', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', join(dir, 'queries.rules.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool rejects a panel query:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
