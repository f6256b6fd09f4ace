// Alertmanager: amtool check-config, template rendering, routing of every
// alert by severity (amtool config routes test --verify.receivers), a static
// check that inhibition `equal:` labels exist on both sides, and the real
// alertmanager binary muting what the inhibit rules say. Needs amtool and
// alertmanager (0.25+) on PATH or in $AMTOOL / $ALERTMANAGER.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { freePort, sleep } from './helpers/net.js';

const ROOT = process.env.FLEET_REPO_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));
const AM_DIR = join(ROOT, 'alertmanager');
const CONFIG = join(AM_DIR, 'alertmanager.yml');
const AMTOOL = process.env.AMTOOL ?? 'amtool';
const ALERTMANAGER =
  process.env.ALERTMANAGER ?? (spawnSync('sh', ['-c', 'command -v alertmanager || command -v prometheus-alertmanager'], { encoding: 'utf8' }).stdout.trim() || 'alertmanager');

type Labels = Record<string, string>;
interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}
interface AmConfig {
  global: Record<string, unknown>;
  route: { receiver: string; group_by: string[]; routes: unknown[] };
  inhibit_rules: InhibitRule[];
  receivers: { name: string }[];
  templates: string[];
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** The config with its template glob pointing into the repository (so templates are parsed too). */
function localConfig(dir: string): string {
  const text = readFileSync(CONFIG, 'utf8').replaceAll('/etc/alertmanager/templates/', `${join(AM_DIR, 'templates')}/`);
  const path = join(dir, 'alertmanager.yml');
  writeFileSync(path, text);
  return path;
}

const config = () => load(readFileSync(CONFIG, 'utf8')) as AmConfig;

/** Alerts and their label sets, from the firing cases of the promtool tests. */
function alertLabelSets(): Labels[] {
  const dir = join(ROOT, 'rules', 'tests');
  const out: Labels[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yml'))) {
    const doc = load(readFileSync(join(dir, f), 'utf8')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: { exp_labels?: Labels }[] }[] }[];
    };
    for (const t of doc.tests) for (const c of t.alert_rule_test ?? []) for (const a of c.exp_alerts ?? []) out.push({ alertname: c.alertname, ...(a.exp_labels ?? {}) });
  }
  return out;
}

/** Alertmanager matcher semantics for the forms used in the config. */
function matches(matcher: string, labels: Labels): boolean {
  const m = /^\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$/.exec(matcher);
  assert.ok(m, `unsupported matcher ${matcher}`);
  const [, name, op, value] = m;
  const v = labels[name] ?? '';
  const re = new RegExp(`^(?:${value})$`);
  switch (op) {
    case '=':
      return v === value;
    case '!=':
      return v !== value;
    case '=~':
      return re.test(v);
    default:
      return !re.test(v);
  }
}

test('amtool check-config accepts alertmanager/alertmanager.yml (as shipped and with its templates)', () => {
  const shipped = run(AMTOOL, ['check-config', CONFIG]);
  assert.equal(shipped.status, 0, shipped.out);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-am-'));
  try {
    const r = run(AMTOOL, ['check-config', localConfig(dir)]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /1 templates/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no secret is committed: credentials come from *_file settings', () => {
  const text = readFileSync(CONFIG, 'utf8');
  assert.doesNotMatch(text, /hooks\.slack\.com|events\.pagerduty\.com\/.*[0-9a-f]{32}/);
  assert.doesNotMatch(text, /^\s*(api_url|slack_api_url|routing_key|service_key|auth_password|smtp_auth_password|auth_secret):/m);
  assert.match(text, /slack_api_url_file: \/etc\/alertmanager\/secrets\//);
  assert.match(text, /routing_key_file: \/etc\/alertmanager\/secrets\//);
  assert.match(text, /smtp_auth_password_file: \/etc\/alertmanager\/secrets\//);
});

test('templates render summary, description, runbook and dashboard links', () => {
  const glob = join(AM_DIR, 'templates', '*.tmpl');
  const render = (name: string) => {
    const r = run(AMTOOL, ['template', 'render', `--template.glob=${glob}`, `--template.text={{ template "${name}" . }}`]);
    assert.equal(r.status, 0, `${name}: ${r.out}`);
    return r.stdout;
  };
  for (const name of ['fleet.title', 'fleet.email.subject', 'fleet.runbook_url', 'fleet.alertmanager_url']) render(name);
  // amtool's sample alerts carry no annotations: Slack shows the runbook link
  // only when runbook_url is set, e-mail always has the line.
  for (const name of ['fleet.slack.text', 'fleet.email.text', 'fleet.email.html']) {
    const out = render(name);
    assert.match(out, /Dashboard/, name);
    if (name !== 'fleet.slack.text') assert.match(out, /Runbook/, name);
  }
  const tmpl = readFileSync(join(AM_DIR, 'templates', 'fleet.tmpl'), 'utf8');
  for (const a of ['summary', 'description', 'runbook_url']) assert.match(tmpl, new RegExp(`\\.Annotations\\.${a}`));
});

test('grouping by alert name and object label, resolved notifications on', () => {
  const c = config();
  for (const l of ['alertname', 'worker_type', 'stream', 'sandbox_id', 'instance_id', 'instance']) assert.ok(c.route.group_by.includes(l), `group_by must include ${l}`);
  const text = readFileSync(CONFIG, 'utf8');
  const configs = text.match(/_configs:\n\s+- /g) ?? [];
  const resolved = text.match(/send_resolved: true/g) ?? [];
  assert.equal(resolved.length, configs.length, 'every notifier sends resolved notifications');
});

const expectedReceivers: Record<string, string> = {
  critical: 'pagerduty,slack-critical',
  warning: 'slack-warning',
  info: 'email-digest',
};

function routesTest(labels: Labels, receivers: string) {
  const args = ['config', 'routes', 'test', `--config.file=${CONFIG}`, `--verify.receivers=${receivers}`];
  return run(AMTOOL, [...args, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
}

test('routing: critical -> PagerDuty + Slack, warning -> Slack, info -> e-mail, for every alert', () => {
  const seen = new Set<string>();
  for (const labels of alertLabelSets()) {
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue;
    seen.add(key);
    const want = expectedReceivers[labels.severity];
    assert.ok(want, `unexpected severity ${labels.severity}`);
    const r = routesTest(labels, want);
    assert.equal(r.status, 0, `${labels.alertname} (${labels.severity}) should reach ${want}: ${r.out}`);
  }
  assert.ok(seen.size >= 31);
  // Alerts without a known severity still reach a human.
  assert.equal(routesTest({ alertname: 'Unknown' }, 'slack-warning').status, 0);
  assert.equal(routesTest({ alertname: 'Unknown', severity: 'page' }, 'slack-warning').status, 0);
  // --verify.receivers really checks: a wrong expectation fails.
  assert.notEqual(routesTest({ alertname: 'FleetWorkerTypeDown', severity: 'critical' }, 'slack-warning').status, 0);
  assert.notEqual(routesTest({ alertname: 'FleetSandboxLongLived', severity: 'info' }, 'slack-warning').status, 0);
});

test('inhibit rules: every equal label is carried by both the source and the target alerts', () => {
  const alerts = alertLabelSets();
  for (const rule of config().inhibit_rules) {
    const sources = alerts.filter((a) => rule.source_matchers.every((m) => matches(m, a)));
    const targets = alerts.filter((a) => rule.target_matchers.every((m) => matches(m, a)));
    const name = rule.source_matchers.join(',');
    assert.ok(sources.length > 0, `${name}: no alert matches the source`);
    assert.ok(targets.length > 0, `${name}: no alert matches the target`);
    for (const l of rule.equal) for (const a of targets) assert.ok(a[l], `${name}: equal label ${l} missing on target ${a.alertname}`);
    // A source without an equal label silences nothing. Only the absent() form
    // of FleetExporterDown (no exporter target at all, so no instance) may.
    const capable = sources.filter((a) => rule.equal.every((l) => a[l]));
    assert.ok(capable.length > 0, `${name}: no source alert carries all of ${rule.equal.join(', ')}`);
    for (const a of sources.filter((x) => !capable.includes(x)))
      assert.ok(a.alertname === 'FleetExporterDown' && !a.instance, `${name}: source ${JSON.stringify(a)} lacks an equal label`);
  }
});

// ------------------------------------------------------------ live inhibition

interface ApiAlert {
  labels: Labels;
  status: { state: string; inhibitedBy: string[] };
}

test('alertmanager mutes what the inhibit rules say', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-am-run-'));
  const port = await freePort();
  const proc = spawn(
    ALERTMANAGER,
    [`--config.file=${localConfig(dir)}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      if (proc.exitCode !== null) break;
      ready = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await sleep(100);
    }
    assert.ok(ready, `alertmanager did not start:\n${log}`);

    const fx = (instance: string, extra: Labels) => ({ job: 'fleet-exporter', instance, ...extra });
    // [labels, expected inhibited?]
    const cases: [Labels, boolean][] = [
      // A: exporter down mutes its own alerts, not another exporter's, not host alerts
      [fx('a:9849', { alertname: 'FleetExporterDown', severity: 'critical' }), false],
      [fx('a:9849', { alertname: 'FleetWorkerTypeDown', severity: 'critical', collector: 'redis', worker_type: 'lookup', cause: 'crashed' }), true],
      [fx('a:9849', { alertname: 'FleetCollectorFailing', severity: 'warning', collector: 'aws' }), true],
      [fx('a2:9849', { alertname: 'FleetWorkerTypeDown', severity: 'critical', collector: 'redis', worker_type: 'lookup', cause: 'crashed' }), false],
      [{ alertname: 'FleetHostCPUHigh', severity: 'warning', job: 'node', instance: 'a:9849' }, false],
      // B: a failing collector mutes its source's alerts only
      [fx('b:9849', { alertname: 'FleetCollectorFailing', severity: 'warning', collector: 'daytona' }), false],
      [fx('b:9849', { alertname: 'FleetSandboxZombie', severity: 'warning', collector: 'daytona', sandbox_id: 'sb-1', name: 'x', target: 'us' }), true],
      [fx('b:9849', { alertname: 'FleetInstanceCPUHigh', severity: 'warning', collector: 'aws', instance_id: 'i-1' }), false],
      // C: Redis down mutes stream and worker alerts and the redis collector, not Postgres alerts
      [fx('c:9849', { alertname: 'FleetRedisDown', severity: 'critical', collector: 'redis' }), false],
      [fx('c:9849', { alertname: 'FleetStreamBacklogHigh', severity: 'warning', collector: 'redis', stream: 's', group: 'g' }), true],
      [fx('c:9849', { alertname: 'FleetWorkerTypeDown', severity: 'critical', collector: 'redis', worker_type: 'lookup', cause: 'crashed' }), true],
      [fx('c:9849', { alertname: 'FleetCollectorFailing', severity: 'warning', collector: 'redis' }), true],
      [fx('c:9849', { alertname: 'FleetCallbacksStale', severity: 'warning', collector: 'postgres' }), false],
      // D: Postgres down mutes Postgres-fed alerts
      [fx('d:9849', { alertname: 'FleetPostgresDown', severity: 'critical', collector: 'postgres' }), false],
      [fx('d:9849', { alertname: 'FleetTasksStuck', severity: 'warning', collector: 'postgres', status: 'assigned' }), true],
      [fx('d:9849', { alertname: 'FleetStreamBacklogHigh', severity: 'warning', collector: 'redis', stream: 's', group: 'g' }), false],
      // E: critical mutes the warning of the same alert and object
      [fx('e:9849', { alertname: 'FleetRedisMemoryHigh', severity: 'critical', collector: 'redis' }), false],
      [fx('e:9849', { alertname: 'FleetRedisMemoryHigh', severity: 'warning', collector: 'redis' }), true],
      [{ alertname: 'FleetHostDiskFull', severity: 'critical', job: 'node', instance: 'h:9100', device: '/dev/sdb1', mountpoint: '/data' }, false],
      [{ alertname: 'FleetHostDiskFull', severity: 'warning', job: 'node', instance: 'h:9100', device: '/dev/sdb1', mountpoint: '/data' }, true],
      [{ alertname: 'FleetHostDiskFull', severity: 'warning', job: 'node', instance: 'h:9100', device: '/dev/sda1', mountpoint: '/' }, false],
    ];
    const res = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cases.map(([labels]) => ({ labels, annotations: { summary: 's', description: 'd' } }))),
    });
    assert.equal(res.status, 200, await res.text());

    const key = (l: Labels) =>
      JSON.stringify(
        Object.entries(l)
          .filter(([k]) => k !== 'alertname')
          .sort()
          .concat([['alertname', l.alertname]]),
      );
    let got = new Map<string, ApiAlert>();
    for (let i = 0; i < 50; i++) {
      const list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as ApiAlert[];
      got = new Map(list.map((a) => [key(a.labels), a]));
      if (got.size === cases.length) break;
      await sleep(100);
    }
    assert.equal(got.size, cases.length);
    for (const [labels, inhibited] of cases) {
      const a = got.get(key(labels));
      assert.ok(a, `alert not found: ${JSON.stringify(labels)}`);
      assert.equal(
        a.status.inhibitedBy.length > 0,
        inhibited,
        `${labels.alertname} ${JSON.stringify(labels)} should ${inhibited ? '' : 'not '}be inhibited (state ${a.status.state})`,
      );
    }
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
});
