// End to end alerting: a real Redis, the built exporter, a real Prometheus
// (Debian's /usr/bin/prometheus, 2.42+) loading rules generated from
// rules/thresholds.yml, and a real Alertmanager (/usr/bin/prometheus-alertmanager,
// 0.25+) running the shipped alertmanager.yml and templates. Notifications land
// in local stand-ins: an HTTP capture server (Slack incoming webhook, PagerDuty
// Events API v2) and a minimal SMTP server.
//
// Only timings and endpoints differ from the shipped files:
//   - thresholds: start-up grace, FleetWorkerTypeDown's `for:` and
//     FleetSandboxLongLived's `for:` are shortened (everything else, including
//     every expression, is what the shipped generator makes of rules/thresholds.yml);
//   - prometheus.yml: 1 s scrape/evaluation intervals, targets on 127.0.0.1 ports,
//     the rule glob points at the generated temp rules, node/blackbox jobs dropped;
//   - alertmanager.yml: group_wait / group_interval / repeat_interval shortened,
//     webhook URLs, PagerDuty URL and SMTP smarthost pointed at the stand-ins,
//     secret files replaced by temp files, template glob made absolute.
//
// Scenario: worker types `lookup` and `rank` each have two live heartbeats
// (refreshed every second, like real workers). `lookup` crashes (heartbeats
// vanish without a shutdown marker) -> FleetWorkerTypeDown{cause="crashed"}
// pages (PagerDuty trigger) and posts to Slack; the workers return -> resolved
// notifications. `rank` is scaled down cleanly (shutdown markers first) ->
// cause="scaled_down". A Daytona sandbox started two days ago (fake Daytona
// API) fires the info alert FleetSandboxLongLived -> e-mail digest over SMTP.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { CaptureServer, type CapturedRequest } from './helpers/capture.js';
import { ExporterProcess, REPO_ROOT } from './helpers/exporter.js';
import { freePort, sleep, waitFor } from './helpers/net.js';
import { TestRedis } from './helpers/redis.js';
import { SmtpServer } from './helpers/smtp.js';
import { FakeDaytona, makeSandboxes } from './fakes/daytona-server.js';

/** The shipped YAML files and notification bodies, read loosely and asserted field by field. */
type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const ALERTMANAGER = process.env.ALERTMANAGER ?? '/usr/bin/prometheus-alertmanager';

// Fake secrets (written to files, as the shipped config reads them).
const SLACK_PATH = '/services/T0FLEET/B0E2E/xoxfleetwebhooksecret';
const PD_ROUTING_KEY = 'e2e0fleet0routing0key00000000000';
const SMTP_PASSWORD = 'smtp-e2e-secret';
const DAYTONA_KEY = 'dtn_alerting_e2e_key';

const GROUP = 'workers';
const HEARTBEAT_TTL = 15; // seconds, the exporter's default and the thresholds' workers.heartbeat_ttl_seconds
const NOTIFY_TIMEOUT = 60_000;

// ------------------------------------------------------------------ processes

/** A long-running binary owned by the test: logs kept, killed in after(). */
class Daemon {
  logs = '';
  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    proc.stdout!.on('data', (d) => (this.logs += d));
    proc.stderr!.on('data', (d) => (this.logs += d));
    proc.on('error', (err) => (this.spawnError = err)); // e.g. ENOENT: the binary is not installed
  }

  private spawnError?: Error;

  static async start(name: string, bin: string, args: string[], readyUrl: string): Promise<Daemon> {
    const d = new Daemon(name, spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitFor(
        async () => {
          if (d.spawnError) throw new Error(`cannot run ${bin}: ${d.spawnError.message}`);
          if (d.proc.exitCode !== null) throw new Error(`${name} exited ${d.proc.exitCode}`);
          const r = await fetch(readyUrl).catch(() => undefined);
          return r?.status === 200;
        },
        30_000,
        100,
      );
    } catch (err) {
      await d.stop();
      throw new Error(`${name} did not become ready: ${(err as Error).message}\n${d.logs.slice(-4000)}`);
    }
    return d;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (this.spawnError || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ config derivation

/** rules/thresholds.yml with only the timing knobs that would make the test slow shortened. */
function testThresholds(): Yaml {
  const t = yaml.load(readFileSync(join(REPO_ROOT, 'rules', 'thresholds.yml'), 'utf8')) as Yaml;
  t.exporter.startup_grace_seconds = 3; // 300: worker alerts silent while the exporter is younger
  t.workers.down_for = '2s'; // 1m: FleetWorkerTypeDown confirmation
  t.sandboxes.long_lived_for = '1s'; // 5m: FleetSandboxLongLived confirmation
  return t;
}

/** The shipped prometheus.yml, aimed at this test's processes, with 1 s intervals. */
function prometheusConfig(opts: { exporterPort: number; promPort: number; amPort: number; rulesDir: string }): object {
  const c = yaml.load(readFileSync(join(REPO_ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as Yaml;
  c.global.scrape_interval = '1s';
  c.global.scrape_timeout = '1s';
  c.global.evaluation_interval = '1s';
  c.rule_files = [join(opts.rulesDir, '*.rules.yml')];
  c.alerting.alertmanagers = [{ static_configs: [{ targets: [`127.0.0.1:${opts.amPort}`] }] }];
  const jobs = c.scrape_configs as Array<Yaml>;
  const keep: Record<string, number> = { 'fleet-exporter': opts.exporterPort, prometheus: opts.promPort, alertmanager: opts.amPort };
  c.scrape_configs = jobs
    .filter((j) => j.job_name in keep) // node and blackbox have no targets here
    .map((j) => ({
      ...j,
      scrape_interval: '1s',
      scrape_timeout: '1s',
      static_configs: [{ targets: [`127.0.0.1:${keep[j.job_name]}`] }],
    }));
  assert.ok(
    c.scrape_configs.some((j: { job_name: string }) => j.job_name === 'fleet-exporter'),
    'the shipped config has job fleet-exporter',
  );
  return c;
}

/**
 * The shipped alertmanager.yml: same route tree, receivers, inhibit rules and
 * templates; endpoints → local stand-ins, secrets → temp files, route timings
 * shortened (group_wait 1s, group_interval 2s, repeat_interval 1h).
 */
function alertmanagerConfig(opts: { captureBase: string; smtpPort: number; secretsDir: string }): Yaml {
  const c = yaml.load(readFileSync(join(REPO_ROOT, 'alertmanager', 'alertmanager.yml'), 'utf8')) as Yaml;
  // Secret files as an operator writes them (`echo ... > file`: trailing newline).
  const slackFile = join(opts.secretsDir, 'slack_webhook_url');
  const pdFile = join(opts.secretsDir, 'pagerduty_routing_key');
  const smtpFile = join(opts.secretsDir, 'smtp_password');
  writeFileSync(slackFile, `${opts.captureBase}${SLACK_PATH}\n`, { mode: 0o600 });
  writeFileSync(pdFile, `${PD_ROUTING_KEY}\n`, { mode: 0o600 });
  // Alertmanager 0.25 trims the Slack URL and PagerDuty key files but sends the
  // SMTP password file's content verbatim (a trailing newline becomes part of
  // the password), so that one is written with printf '%s' semantics.
  writeFileSync(smtpFile, SMTP_PASSWORD, { mode: 0o600 });

  const g = c.global as Record<string, unknown>;
  delete g.slack_api_url;
  g.slack_api_url_file = slackFile;
  g.smtp_smarthost = `127.0.0.1:${opts.smtpPort}`;
  g.smtp_require_tls = false; // the stand-in speaks plain SMTP (no STARTTLS)
  delete g.smtp_auth_password;
  if (g.smtp_auth_username) g.smtp_auth_password_file = smtpFile;

  for (const r of c.receivers as Array<Yaml>) {
    for (const s of r.slack_configs ?? []) {
      if (s.api_url || s.api_url_file) {
        delete s.api_url;
        s.api_url_file = slackFile;
      }
    }
    for (const p of r.pagerduty_configs ?? []) {
      p.url = `${opts.captureBase}/v2/enqueue`;
      delete p.routing_key;
      delete p.service_key;
      delete p.service_key_file;
      p.routing_key_file = pdFile;
    }
    for (const e of r.email_configs ?? []) {
      if (e.smarthost) e.smarthost = `127.0.0.1:${opts.smtpPort}`;
      if ('require_tls' in e) e.require_tls = false;
      if (e.auth_password || e.auth_password_file) {
        delete e.auth_password;
        e.auth_password_file = smtpFile;
      }
    }
  }

  const retime = (route: Yaml, root: boolean) => {
    if (root || 'group_wait' in route) route.group_wait = '1s';
    if (root || 'group_interval' in route) route.group_interval = '2s';
    if (root || 'repeat_interval' in route) route.repeat_interval = '1h';
    for (const child of route.routes ?? []) retime(child, false);
  };
  retime(c.route, true);

  c.templates = [join(REPO_ROOT, 'alertmanager', 'templates', '*.tmpl')];
  return c;
}

// ------------------------------------------------------------------ workers in Redis

/** Heartbeats of a worker type's workers, refreshed every second while `alive`. */
class Workers {
  alive = true;
  private timer?: NodeJS.Timeout;
  private inflight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: ReturnType<TestRedis['client']>,
    readonly type: string,
    readonly stream: string,
    readonly ids: string[],
  ) {}

  key(id: string): string {
    return `worker:heartbeat:${this.type}:${id}`;
  }

  marker(id: string): string {
    return `worker:shutdown:${this.type}:${id}`;
  }

  /** The stream and group with one consumer per worker (consumer name = worker id). */
  async setup(): Promise<void> {
    await this.redis.xgroup('CREATE', this.stream, GROUP, '$', 'MKSTREAM');
    for (const id of this.ids) await this.redis.xgroup('CREATECONSUMER', this.stream, GROUP, id);
    await this.beat();
    this.timer = setInterval(() => {
      if (this.alive) this.inflight = this.beat().catch(() => undefined);
    }, 1000);
  }

  private async beat(): Promise<void> {
    const now = String(Math.floor(Date.now() / 1000));
    const m = this.redis.multi();
    for (const id of this.ids) m.set(this.key(id), now, 'EX', HEARTBEAT_TTL);
    await m.exec();
  }

  /** Workers die without SIGTERM: heartbeats stop and vanish, no shutdown marker. */
  async crash(): Promise<void> {
    this.alive = false;
    await this.inflight;
    await this.redis.del(...this.ids.map((id) => this.key(id)));
  }

  /** Workers get SIGTERM: each writes its shutdown marker (longer TTL) and deletes its heartbeat. */
  async shutDownCleanly(): Promise<void> {
    this.alive = false;
    await this.inflight;
    const m = this.redis.multi();
    for (const id of this.ids) m.set(this.marker(id), String(Math.floor(Date.now() / 1000)), 'EX', 600).del(this.key(id));
    await m.exec();
  }

  async restart(): Promise<void> {
    await this.beat();
    this.alive = true;
  }

  stop(): void {
    this.alive = false;
    clearInterval(this.timer);
  }
}

// ------------------------------------------------------------------ assertions helpers

type Sample = { metric: Record<string, string>; value: [number, string] };

const slackTitle = (r: CapturedRequest): string => r.json?.attachments?.[0]?.title ?? '';
const slackText = (r: CapturedRequest): string => r.json?.attachments?.[0]?.text ?? '';
const alertnameOf = (r: CapturedRequest): string => {
  const m = /^\[(?:FIRING:\d+|RESOLVED)\] \w+ (\w+):/.exec(r.json?.attachments?.[0]?.title ?? r.json?.payload?.summary ?? '');
  return m?.[1] ?? '?';
};

describe('alerting end to end: Redis → fleet-exporter → Prometheus → Alertmanager → Slack / PagerDuty / e-mail', { timeout: 240_000 }, () => {
  const cleanups: Array<() => unknown> = [];
  let tmp: string;
  let capture: CaptureServer;
  let smtp: SmtpServer;
  let promBase: string;
  let amBase: string;
  let exporterInstance: string;
  let runbookBase: string;
  let lookup: Workers;
  let rank: Workers;
  let prometheus: Daemon | undefined;
  let alertmanager: Daemon | undefined;

  async function promQuery(expr: string): Promise<Sample[]> {
    const r = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await r.json()) as { status: string; data: { result: Sample[] }; error?: string };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
    return body.data.result;
  }

  async function amAlerts(filter: string[]): Promise<Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string } }>> {
    const q = filter.map((f) => `filter=${encodeURIComponent(f)}`).join('&');
    const r = await fetch(`${amBase}/api/v2/alerts?${q}`);
    return (await r.json()) as never;
  }

  /** Diagnostics appended to a failed wait: what Prometheus and Alertmanager think. */
  async function state(): Promise<string> {
    const parts: string[] = [];
    for (const q of [
      'fleet_workers_alive',
      'fleet_worker_shutdown_markers',
      'fleet:worker_type:down_cause',
      'fleet:worker_type:seen_alive',
      'fleet:exporter:startup_grace',
      'ALERTS',
    ]) {
      const rs = await promQuery(q).catch((e: Error) => [{ metric: { error: e.message }, value: [0, ''] }] as Sample[]);
      parts.push(`${q}: ${rs.map((s) => `${JSON.stringify(s.metric)}=${s.value[1]}`).join(' ') || '(none)'}`);
    }
    return `${parts.join('\n')}\nprometheus log tail:\n${prometheus?.logs.slice(-1500)}\nalertmanager log tail:\n${alertmanager?.logs.slice(-3000)}`;
  }

  async function waitWithState<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- state ---\n${await state()}`);
    }
  }

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'fleet-alerting-e2e-'));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));

    capture = await CaptureServer.start();
    cleanups.push(() => capture.close());
    smtp = await SmtpServer.start();
    cleanups.push(() => smtp.close());

    // Redis with two worker types, two live workers each.
    const redisServer = await TestRedis.start();
    cleanups.push(() => redisServer.destroy());
    const redis = redisServer.client();
    cleanups.push(() => redis.quit().catch(() => undefined));
    lookup = new Workers(redis, 'lookup', 'stream.lookup', ['lookup-1', 'lookup-2']);
    rank = new Workers(redis, 'rank', 'stream.rank', ['rank-1', 'rank-2']);
    for (const w of [lookup, rank]) {
      await w.setup();
      cleanups.push(() => w.stop());
    }

    // Daytona with one sandbox started two days ago (still active): FleetSandboxLongLived, severity info.
    const [sandbox] = makeSandboxes(1, { state: 'started' }) as Array<Record<string, unknown>>;
    sandbox!.createdAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
    sandbox!.lastActivityAt = new Date().toISOString();
    const daytona = await FakeDaytona.start({ apiKey: DAYTONA_KEY, organizationId: 'org-fleet', sandboxes: [sandbox!] });
    cleanups.push(() => daytona.close());
    const daytonaKeyFile = join(tmp, 'daytona_api_key');
    writeFileSync(daytonaKeyFile, `${DAYTONA_KEY}\n`);

    // Rules: generated by the shipped generator from test thresholds.
    const thresholds = testThresholds();
    runbookBase = thresholds.links.runbook_base_url;
    const thresholdsFile = join(tmp, 'thresholds.yml');
    writeFileSync(thresholdsFile, yaml.dump(thresholds));
    const generated = join(tmp, 'generated');
    execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'scripts', 'generate.js'), '--thresholds', thresholdsFile, '--out', generated], { stdio: 'pipe' });
    const rulesDir = join(generated, 'rules');
    assert.ok(readdirSync(rulesDir).includes('workers.rules.yml'), 'generator wrote workers.rules.yml');

    // The exporter.
    const exporter = await ExporterProcess.start({
      redis: {
        url: redisServer.url,
        streams: { names: ['stream.lookup', 'stream.rank'] },
        heartbeats: { ttl_seconds: HEARTBEAT_TTL },
        worker_types: [
          { name: 'lookup', stream: 'stream.lookup', min_alive: 1, concurrency: 2 },
          { name: 'rank', stream: 'stream.rank', min_alive: 1, concurrency: 2 },
        ],
      },
      daytona: { api_url: daytona.apiUrl, api_key_file: daytonaKeyFile, organization_id: 'org-fleet', refresh_seconds: 5 },
    });
    cleanups.push(() => exporter.stop());
    exporterInstance = `127.0.0.1:${exporter.port}`;

    // Alertmanager with the shipped config (endpoints and timings changed).
    const amPort = await freePort();
    amBase = `http://127.0.0.1:${amPort}`;
    const amDir = join(tmp, 'alertmanager');
    const secretsDir = join(amDir, 'secrets');
    mkdirSync(secretsDir, { recursive: true });
    const amConfigFile = join(amDir, 'alertmanager.yml');
    writeFileSync(amConfigFile, yaml.dump(alertmanagerConfig({ captureBase: capture.base, smtpPort: smtp.port, secretsDir })));
    alertmanager = await Daemon.start(
      'alertmanager',
      ALERTMANAGER,
      [
        `--config.file=${amConfigFile}`,
        `--storage.path=${join(amDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        `--web.external-url=${amBase}`,
        '--cluster.listen-address=', // no gossip: a single, private instance
      ],
      `${amBase}/-/ready`,
    );
    cleanups.push(() => alertmanager?.stop());

    // Prometheus scraping the exporter every second, evaluating the generated rules every second.
    const promPort = await freePort();
    promBase = `http://127.0.0.1:${promPort}`;
    const promDir = join(tmp, 'prometheus');
    mkdirSync(promDir);
    const promConfigFile = join(promDir, 'prometheus.yml');
    writeFileSync(promConfigFile, yaml.dump(prometheusConfig({ exporterPort: exporter.port, promPort, amPort, rulesDir })));
    prometheus = await Daemon.start(
      'prometheus',
      PROMETHEUS,
      [`--config.file=${promConfigFile}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, `--web.external-url=${promBase}`],
      `${promBase}/-/ready`,
    );
    cleanups.push(() => prometheus?.stop());

    // Every generated rule group loaded, the exporter scraped.
    await waitFor(async () => {
      const r = (await (await fetch(`${promBase}/api/v1/rules`)).json()) as { data: { groups: Array<{ name: string }> } };
      return r.data.groups.some((g) => g.name === 'fleet-workers');
    }, 15_000);
    await waitWithState(waitFor(async () => (await promQuery('up{job="fleet-exporter"} == 1')).length === 1, 20_000, 250));
  });

  after(async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()!();
      } catch {
        /* keep cleaning up */
      }
    }
  });

  /** Waits until Prometheus has seen the type alive (latched) and the exporter's start-up grace is over. */
  async function armed(type: string): Promise<void> {
    await waitWithState(
      waitFor(
        async () => {
          const seen = await promQuery(`fleet:worker_type:seen_alive{worker_type="${type}"} == 1`);
          const alive = await promQuery(`fleet_workers_alive{job="fleet-exporter",worker_type="${type}"} == 2`);
          const grace = await promQuery('fleet:exporter:startup_grace');
          return seen.length === 1 && alive.length === 1 && grace.length === 0;
        },
        30_000,
        250,
      ),
    );
  }

  it('the start-up grace is computed from the exporter process start time', async () => {
    const start = await promQuery('process_start_time_seconds{job="fleet-exporter"}');
    assert.equal(start.length, 1, 'the exporter exports process_start_time_seconds (FleetWorkerTypeDown start-up grace uses it)');
    assert.ok(Math.abs(Number(start[0]!.value[1]) - Date.now() / 1000) < 120);
  });

  it('a crashed worker type posts to Slack and pages PagerDuty, then both resolve when the workers return', async () => {
    await armed('lookup');
    const since = capture.requests.length;
    const crashedAt = Date.now();
    await lookup.crash();

    const isLookupDown = (b: Yaml) =>
      /FleetWorkerTypeDown/.test(b.attachments?.[0]?.title ?? b.payload?.summary ?? '') && /\blookup\b/.test(b.attachments?.[0]?.title ?? b.payload?.summary ?? '');

    // --- Slack (#fleet-critical)
    const slack = await waitWithState(
      capture.waitFor(SLACK_PATH, (b) => isLookupDown(b) && b.attachments[0].title.startsWith('[FIRING'), NOTIFY_TIMEOUT, 'Slack FleetWorkerTypeDown firing', since),
    );
    const firedAfterMs = slack.atMs - crashedAt;
    assert.equal(slack.method, 'POST');
    assert.match(String(slack.headers['content-type']), /application\/json/);
    assert.equal(slack.json.channel, '#fleet-critical');
    const att = slack.json.attachments[0];
    assert.equal(att.title, '[FIRING:1] CRITICAL FleetWorkerTypeDown: Worker type lookup crashed: no live workers');
    assert.equal(att.title_link, `${runbookBase}#fleetworkertypedown`);
    assert.equal(att.color, 'danger');
    const text = slackText(slack);
    assert.ok(text.includes('*:rotating_light: Worker type lookup crashed: no live workers* — worker type lookup (crashed)'), text);
    assert.match(text, /No worker of type lookup has a live heartbeat and none left a clean-shutdown marker/);
    assert.match(text, /died without SIGTERM/);
    assert.match(text, /0 of the required 1 workers are alive/);
    assert.ok(text.includes(`<${runbookBase}#fleetworkertypedown|Runbook>`), text);
    assert.ok(text.includes('|Dashboard>') && text.includes(`<${promBase}/graph?`), 'dashboard and query links');
    assert.ok(text.includes(`<${amBase}/#/alerts?receiver=slack-critical|Alertmanager>`), text);

    // --- PagerDuty Events API v2 (trigger)
    const pd = await waitWithState(capture.waitFor('/v2/enqueue', (b) => isLookupDown(b) && b.event_action === 'trigger', NOTIFY_TIMEOUT, 'PagerDuty trigger', since));
    assert.equal(pd.json.routing_key, PD_ROUTING_KEY, 'routing key read (and trimmed) from routing_key_file');
    assert.equal(typeof pd.json.dedup_key, 'string');
    assert.ok(pd.json.dedup_key.length > 0);
    assert.equal(pd.json.payload.summary, '[FIRING:1] CRITICAL FleetWorkerTypeDown: Worker type lookup crashed: no live workers');
    assert.equal(pd.json.payload.severity, 'critical');
    assert.ok(typeof pd.json.payload.source === 'string' && pd.json.payload.source.length > 0, 'payload.source');
    const details = pd.json.payload.custom_details;
    assert.equal(details.summary, 'Worker type lookup crashed: no live workers');
    assert.match(details.description, /No worker of type lookup has a live heartbeat/);
    assert.equal(details.firing, '1');
    for (const v of ['FleetWorkerTypeDown', 'crashed', 'redis', 'fleet-exporter', exporterInstance, 'critical', 'lookup']) {
      assert.ok(details.labels.split(', ').includes(v), `custom_details.labels has ${v}: ${details.labels}`);
    }
    assert.equal(pd.json.client, 'fleet-exporter Alertmanager');
    assert.equal(pd.json.client_url, `${amBase}/#/alerts?receiver=pagerduty`);
    assert.deepEqual(
      pd.json.links.map((l: { text: string }) => l.text),
      ['Runbook', 'Dashboard'],
    );
    assert.equal(pd.json.links[0].href, `${runbookBase}#fleetworkertypedown`);
    // The rule's dashboard_url: the overview panel the dashboard generator placed this alert on.
    const panel = (JSON.parse(readFileSync(new URL('../../grafana/src/alert-panels.json', import.meta.url), 'utf8')) as Record<string, { path: string }>).FleetWorkerTypeDown!;
    assert.match(pd.json.links[1].href, new RegExp(`^https?://[^/]+${panel.path.replace(/[?]/g, '\\?')}$`));

    // --- the alert as Alertmanager holds it: the exact label set of the rule
    const [held] = await amAlerts(['alertname="FleetWorkerTypeDown"', 'worker_type="lookup"']);
    assert.ok(held, 'Alertmanager holds the alert');
    assert.deepEqual(
      { ...held.labels },
      {
        alertname: 'FleetWorkerTypeDown',
        cause: 'crashed',
        collector: 'redis',
        fleet: 'default',
        instance: exporterInstance,
        job: 'fleet-exporter',
        severity: 'critical',
        worker_type: 'lookup',
      },
    );
    assert.equal(held.status.state, 'active');

    // Critical goes to PagerDuty and #fleet-critical only, once each.
    const slackForLookup = capture.requests
      .slice(since)
      .filter((r) => r.path === SLACK_PATH)
      .filter((r) => /FleetWorkerTypeDown/.test(slackTitle(r)) && /lookup/.test(slackTitle(r)));
    assert.deepEqual(
      slackForLookup.map((r) => r.json.channel),
      ['#fleet-critical'],
    );

    // --- the workers come back: resolved notifications
    const sinceRestore = capture.requests.length;
    const restoredAt = Date.now();
    await lookup.restart();
    const slackResolved = await waitWithState(
      capture.waitFor(SLACK_PATH, (b) => isLookupDown(b) && b.attachments[0].title.startsWith('[RESOLVED]'), NOTIFY_TIMEOUT, 'Slack resolved', sinceRestore),
    );
    assert.equal(slackResolved.json.channel, '#fleet-critical');
    const ra = slackResolved.json.attachments[0];
    assert.equal(ra.title, '[RESOLVED] CRITICAL FleetWorkerTypeDown: Worker type lookup crashed: no live workers');
    assert.equal(ra.color, 'good');
    assert.ok(ra.text.includes('*:white_check_mark: Worker type lookup crashed: no live workers* — worker type lookup (crashed)'), ra.text);

    const pdResolved = await waitWithState(
      capture.waitFor('/v2/enqueue', (b) => b.event_action === 'resolve' && b.dedup_key === pd.json.dedup_key, NOTIFY_TIMEOUT, 'PagerDuty resolve', sinceRestore),
    );
    assert.equal(pdResolved.json.routing_key, PD_ROUTING_KEY);
    assert.equal(capture.on('/v2/enqueue').filter((r) => r.json?.dedup_key === pd.json.dedup_key && r.json.event_action === 'trigger').length, 1, 'one trigger per incident');
    console.log(`# crash → Slack/PagerDuty in ${firedAfterMs} ms; return → resolved in ${Math.max(slackResolved.atMs, pdResolved.atMs) - restoredAt} ms`);
  });

  it('a clean scale-down to zero notifies with cause=scaled_down', async () => {
    await armed('rank');
    const since = capture.requests.length;
    await rank.shutDownCleanly();
    const isRank = (b: Yaml) =>
      /FleetWorkerTypeDown/.test(b.attachments?.[0]?.title ?? b.payload?.summary ?? '') && /\brank\b/.test(b.attachments?.[0]?.title ?? b.payload?.summary ?? '');

    const slack = await waitWithState(
      capture.waitFor(SLACK_PATH, (b) => isRank(b) && b.attachments[0].title.startsWith('[FIRING'), NOTIFY_TIMEOUT, 'Slack scaled_down firing', since),
    );
    assert.equal(slack.json.channel, '#fleet-critical');
    assert.equal(slackTitle(slack), '[FIRING:1] CRITICAL FleetWorkerTypeDown: Worker type rank was scaled down to zero');
    assert.ok(slackText(slack).includes('— worker type rank (scaled_down)'), slackText(slack));
    assert.match(slackText(slack), /shut down cleanly/);

    const pd = await waitWithState(capture.waitFor('/v2/enqueue', (b) => isRank(b) && b.event_action === 'trigger', NOTIFY_TIMEOUT, 'PagerDuty scaled_down trigger', since));
    assert.equal(pd.json.payload.custom_details.summary, 'Worker type rank was scaled down to zero');
    assert.ok(pd.json.payload.custom_details.labels.split(', ').includes('scaled_down'), pd.json.payload.custom_details.labels);

    const [held] = await amAlerts(['alertname="FleetWorkerTypeDown"', 'worker_type="rank"']);
    assert.equal(held?.labels.cause, 'scaled_down');

    const sinceRestore = capture.requests.length;
    await rank.restart();
    const resolved = await waitWithState(
      capture.waitFor('/v2/enqueue', (b) => b.event_action === 'resolve' && b.dedup_key === pd.json.dedup_key, NOTIFY_TIMEOUT, 'PagerDuty resolve (rank)', sinceRestore),
    );
    assert.equal(resolved.json.routing_key, PD_ROUTING_KEY);
  });

  it('an info alert (FleetSandboxLongLived) arrives as an e-mail digest over SMTP', async () => {
    const mail = await waitWithState(smtp.waitFor((m) => /FleetSandboxLongLived/.test(m.headers.subject ?? ''), NOTIFY_TIMEOUT, 'FleetSandboxLongLived e-mail'));
    assert.equal(mail.headers.subject, '[fleet info] 1 firing, 0 resolved: FleetSandboxLongLived');
    assert.equal(mail.from, 'fleet-alerts@example.com');
    assert.deepEqual(mail.to, ['fleet-team@example.com']);
    assert.match(mail.headers.to ?? '', /fleet-team@example\.com/);
    assert.ok(mail.auth, 'Alertmanager authenticated (smtp_auth_username is set)');
    assert.equal(mail.auth.username, 'fleet-alerts@example.com');
    assert.equal(mail.auth.password, SMTP_PASSWORD, 'password read from smtp_auth_password_file');
    assert.match(mail.headers['content-type'] ?? '', /multipart\/alternative/);
    assert.ok(mail.body.includes('[FIRING] Sandbox sb-000000 has been running for a long time (sandbox sb-000000 (worker-0))'), mail.body);
    assert.ok(mail.body.includes(`Runbook:   ${runbookBase}#fleetsandboxlonglived`), mail.body);
    assert.ok(mail.body.includes('<h2>1 firing, 0 resolved: FleetSandboxLongLived</h2>'), 'HTML part');
  });

  it('nothing else notified: every Slack, PagerDuty and e-mail notification is one of the expected alerts', async () => {
    await sleep(1000);
    const names = new Set(capture.requests.map(alertnameOf));
    for (const m of smtp.messages) names.add(/: (\w+)$/.exec(m.headers.subject ?? '')?.[1] ?? '?');
    const expected = ['FleetSandboxLongLived', 'FleetWorkerTypeDown'];
    assert.deepEqual(
      [...names].filter((n) => !expected.includes(n)),
      [],
      'unexpected notifications',
    );
    assert.ok(!capture.on(SLACK_PATH).some((r) => r.json?.channel === '#fleet-alerts'), 'no warning reached #fleet-alerts');
    const stray = capture.requests.filter((r) => !r.path.startsWith(SLACK_PATH) && !r.path.startsWith('/v2/enqueue'));
    assert.deepEqual(
      stray.map((r) => r.path),
      [],
    );
  });
});
