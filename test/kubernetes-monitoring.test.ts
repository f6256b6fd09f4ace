// deploy/kubernetes/monitoring/: kubectl renders it, every object passes the
// Kubernetes / Prometheus Operator schemas, and its PrometheusRule and
// dashboard ConfigMaps hold exactly rules/*.rules.yml and dashboards/*.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { ConfigMap } from 'kubernetes-models/v1';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GENERATE = join(ROOT, 'dist', 'scripts', 'generate.js');

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { groups: unknown[] };
  data?: Record<string, string>;
}

function render(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return yaml.loadAll(r.stdout) as K8sObject[];
}

const sorted = (dir: string, suffix: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(suffix))
    .sort();

test('kubectl kustomize renders valid objects holding exactly the shipped rules and dashboards', () => {
  const objects = render(join(ROOT, 'deploy/kubernetes/monitoring'));
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  const maps = objects.filter((o) => o.kind === 'ConfigMap');
  assert.equal(rules.length, 1);
  assert.equal(objects.length, 1 + maps.length, 'nothing but the PrometheusRule and the ConfigMaps');

  new PrometheusRule(rules[0] as never).validate();
  const groups = sorted('rules', '.rules.yml').flatMap((f) => (yaml.load(readFileSync(join(ROOT, 'rules', f), 'utf8')) as { groups: unknown[] }).groups);
  assert.ok(groups.length >= 9);
  assert.deepEqual(rules[0]!.spec!.groups, groups);

  const dashboards = sorted('dashboards', '.json');
  assert.equal(maps.length, dashboards.length, 'one ConfigMap per dashboard');
  for (const file of dashboards) {
    const map = maps.find((m) => m.data?.[file] !== undefined);
    assert.ok(map, `a ConfigMap holds ${file}`);
    new ConfigMap(map as never).validate();
    assert.equal(map.metadata.labels?.grafana_dashboard, '1');
    assert.deepEqual(Object.keys(map.data!), [file]);
    assert.equal(map.data![file], readFileSync(join(ROOT, 'dashboards', file), 'utf8'), `${file} byte for byte`);
  }
});

test('the schema validation rejects a malformed object (the check can fail)', () => {
  assert.throws(() => new PrometheusRule({ metadata: { name: 'x' }, spec: { groups: [{ name: 1, rules: [] }] } } as never).validate());
  assert.throws(() => new ConfigMap({ metadata: { name: 'x' }, data: { 'a.json': 1 } } as never).validate());
});

test('generate:check fails when a rule file changes without the PrometheusRule, and the reverse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-k8s-'));
  const check = () => spawnSync(process.execPath, [GENERATE, '--check', '--out', dir], { cwd: ROOT, encoding: 'utf8' });
  try {
    for (const d of ['rules', 'dashboards', 'deploy', 'docs', 'grafana', 'mixin']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    assert.equal(check().status, 0, check().stdout);
    for (const file of ['rules/streams.rules.yml', 'deploy/kubernetes/monitoring/prometheus-rule.yaml']) {
      const path = join(dir, file);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, original.replace('> 1000', '> 2000'));
      const r = check();
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, new RegExp(`out of date: ${file.replaceAll('.', '\\.')}`));
      writeFileSync(path, original);
    }
    const dash = join(dir, 'dashboards/fleet-streams.json');
    writeFileSync(dash, readFileSync(dash, 'utf8').replace('"refresh": "30s"', '"refresh": "1m"'));
    assert.equal(check().status, 1, 'a dashboard changed alone fails too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
