// mixin/: with the default _config jsonnet evaluates it to exactly the shipped
// rules and dashboards; _config's job selector and thresholds reach the exprs;
// generate:check fails when the mixin or the rules change alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATE = join(ROOT, 'dist', 'scripts', 'generate.js');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}

/** mixin.libsonnet with `override` added, evaluated by Debian's jsonnet. */
function evaluate(override = '{}'): { prometheusAlerts: { groups: Group[] }; prometheusRules: { groups: Group[] }; grafanaDashboards: Record<string, unknown> } {
  const code = `local m = (import "mixin.libsonnet") + ${override}; { prometheusAlerts: m.prometheusAlerts, prometheusRules: m.prometheusRules, grafanaDashboards: m.grafanaDashboards }`;
  const r = spawnSync('jsonnet', ['-J', join(ROOT, 'mixin'), '-e', code], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const groups = (m: ReturnType<typeof evaluate>) => [...m.prometheusAlerts.groups, ...m.prometheusRules.groups].sort((a, b) => a.name.localeCompare(b.name));
const rules = (m: ReturnType<typeof evaluate>) => groups(m).flatMap((g) => g.rules);
const shippedGroups = () =>
  readdirSync(join(ROOT, 'rules'))
    .filter((f) => f.endsWith('.rules.yml'))
    .flatMap((f) => (yaml.load(readFileSync(join(ROOT, 'rules', f), 'utf8')) as { groups: Group[] }).groups)
    .sort((a, b) => a.name.localeCompare(b.name));

test('with the default _config the mixin is exactly the shipped rules and dashboards', () => {
  const m = evaluate();
  assert.deepEqual(groups(m), shippedGroups());
  assert.ok(
    m.prometheusAlerts.groups.every((g) => g.rules.some((r) => r.alert)),
    'prometheusAlerts holds the groups with alerts',
  );
  assert.ok(
    m.prometheusRules.groups.every((g) => g.rules.every((r) => r.record)),
    'prometheusRules holds recording-only groups',
  );
  const files = readdirSync(join(ROOT, 'dashboards')).sort();
  assert.deepEqual(Object.keys(m.grafanaDashboards).sort(), files);
  for (const f of files) assert.deepEqual(m.grafanaDashboards[f], JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8')), f);
});

test('_config.fleetExporterSelector replaces the job matcher in every expr', () => {
  const before = rules(evaluate());
  const after = rules(evaluate('{ _config+:: { fleetExporterSelector: \'job="fx",namespace="w"\' } }'));
  const users = before.filter((r) => r.expr.includes('job="fleet-exporter"'));
  assert.ok(users.length >= 30, `${users.length} rules select the exporter`);
  for (const r of after) assert.doesNotMatch(r.expr, /job="fleet-exporter"/, r.alert ?? r.record);
  for (const [i, r] of before.entries()) assert.equal(after[i]!.expr, r.expr.replaceAll('job="fleet-exporter"', 'job="fx",namespace="w"'));
});

test('_config.thresholds change the exprs, durations and texts that print them', () => {
  const m = evaluate('{ _config+:: { thresholds+: { streams+: { defaults+: { backlog_high: 2500 }, backlog_high_for: "7m" }, redis+: { memory_warning_ratio: 0.7 } } } }');
  const find = (name: string) => rules(m).find((r) => r.alert === name)!;
  const backlog = find('FleetStreamBacklogHigh');
  assert.match(backlog.expr, /> 2500$/);
  assert.equal(backlog.for, '7m');
  const memory = rules(m).filter((r) => r.alert?.startsWith('FleetRedisMemory'));
  assert.ok(
    memory.some((r) => /> 0\.7\b/.test(r.expr) && r.annotations!.summary!.includes('70%')),
    memory.map((r) => `${r.expr} ${r.annotations!.summary}`).join('\n'),
  );
  const unchanged = rules(evaluate()).find((r) => r.alert === 'FleetStreamBacklogHigh')!;
  assert.match(unchanged.expr, /> 1000$/);
});

test('generate:check fails when the mixin or a rule file changes alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mixin-'));
  const check = () => spawnSync(process.execPath, [GENERATE, '--check', '--out', dir], { cwd: ROOT, encoding: 'utf8' });
  try {
    for (const d of ['rules', 'dashboards', 'deploy', 'docs', 'grafana', 'mixin']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    assert.equal(check().status, 0, check().stdout);
    for (const file of ['mixin/mixin.libsonnet', 'rules/redis.rules.yml', 'mixin/dashboards/fleet-streams.json']) {
      const path = join(dir, file);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, `${original} `);
      const r = check();
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, new RegExp(`out of date: ${file.replaceAll('.', '\\.')}`));
      writeFileSync(path, original);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
