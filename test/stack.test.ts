import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDashboards, dashboardSpecs } from '../grafana/src/index.js';
import { loadThresholds } from '../rules/src/thresholds.js';
import { expandVariables, panelQueries } from '../grafana/src/queries.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { startStack, type Stack } from '../scripts/stack.js';
import { driftedRows, familiesFromExposition, parseMetricsDoc, renderMetricsDoc } from '../scripts/metrics-docs.js';
import { FakeAws, syntheticFleet } from './fakes/aws-server.js';
import { FakeDaytona, makeSandboxes } from './fakes/daytona-server.js';
import { sleep } from './helpers/net.js';

/**
 * End to end: `npm run stack`'s stack (Redis, Postgres, exporter, Prometheus
 * with rules/, Alertmanager) plus the demo fleet at 20x, and the fakes of
 * Daytona and AWS behind the exporter's other two sources. Every dashboard
 * query goes through Prometheus's HTTP API.
 */

const DEMO_SECONDS = 35; // 700 scenario seconds at 20x: crash, poison, stuck work, score outage, merge scale-down
process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKE0001';
process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-key';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

let stack: Stack | undefined;
let daytona: FakeDaytona | undefined;
let aws: FakeAws | undefined;
let startedAt = 0;

async function prom(path: string, params: Record<string, string>): Promise<{ status: string; error?: string; data: { result: unknown[] } }> {
  const r = await fetch(`${stack!.urls.prometheus}${path}`, { method: 'POST', body: new URLSearchParams(params) });
  return (await r.json()) as { status: string; error?: string; data: { result: unknown[] } };
}

before(async () => {
  daytona = await FakeDaytona.start({ apiKey: 'demo-key' });
  const sandboxes = makeSandboxes(16) as { lastActivityAt: string }[];
  sandboxes[0]!.lastActivityAt = new Date(Date.now() - 20 * 60_000).toISOString(); // a started zombie
  daytona.sandboxes = sandboxes;
  aws = new FakeAws();
  aws.instances = syntheticFleet(6, { stoppedEvery: 3 });
  aws.instances[0]!.checks = { system: 'impaired' };
  const awsEndpoint = await aws.start();
  startedAt = Date.now() / 1000;
  stack = await startStack({
    demo: true,
    demoSpeed: 20,
    scrapeIntervalSeconds: 1,
    log: () => undefined,
    exporterConfig: (c) => ({
      ...c,
      daytona: { api_url: daytona!.apiUrl, api_key: 'demo-key', refresh_seconds: 1 },
      aws: { regions: ['us-east-1'], endpoint: awsEndpoint, refresh_seconds: 1, cloudwatch_refresh_seconds: 2 },
    }),
  });
});

after(async () => {
  await stack?.stop();
  await daytona?.close();
  await aws?.close();
});

test('Prometheus scrapes the exporter (at least twice) with the rules loaded', async () => {
  const deadline = Date.now() + 20_000;
  let scrapes = 0;
  while (Date.now() < deadline && scrapes < 2) {
    const r = await prom('/api/v1/query', { query: 'count_over_time(up{job="fleet-exporter"}[1m])' });
    scrapes = Number((r.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? 0);
    if (scrapes < 2) await sleep(500);
  }
  assert.ok(scrapes >= 2, 'two scrapes of job="fleet-exporter"');
  const rules = (await (await fetch(`${stack!.urls.prometheus}/api/v1/rules`)).json()) as { data: { groups: unknown[] } };
  assert.ok(rules.data.groups.length > 0, 'rules/*.rules.yml are loaded');
});

test('every dashboard query parses and runs, and the ones the demo feeds return data', async () => {
  // Let the demo play its first ~12 scenario minutes.
  await sleep(Math.max(0, startedAt + DEMO_SECONDS - Date.now() / 1000) * 1000);
  const end = Date.now() / 1000;
  const rangeSeconds = end - startedAt;
  const skippedJobs = stack!.skipped.map((s) => s.split(':')[0]);
  const empty: string[] = [];
  // "All" jobs is the list of fleet_exporter_build_info's jobs, as Grafana expands it.
  const jobs = ((await (await fetch(`${stack!.urls.prometheus}/api/v1/label/job/values?match[]=fleet_exporter_build_info`)).json()) as { data: string[] }).data;
  assert.ok(jobs.length > 0, 'the job variable lists the exporter');
  for (const q of panelQueries(buildDashboards(dashboardSpecs(loadThresholds())))) {
    const expr = expandVariables(q.expr, { rangeSeconds, rateInterval: '5s', jobs });
    const r = await prom('/api/v1/query_range', { query: expr, start: String(startedAt), end: String(end), step: '1' });
    assert.equal(r.status, 'success', `${q.dashboard} / ${q.panel}: ${r.error}\n${expr}`);
    // Host and endpoint panels are fed by node_exporter / blackbox_exporter when they are installed.
    const unfed = q.notFilledByDemo && (!/node_exporter|blackbox/.test(q.notFilledByDemo) || skippedJobs.some((j) => q.notFilledByDemo!.includes(j)));
    if (!unfed && r.data.result.length === 0) empty.push(`${q.dashboard} / ${q.panel}: ${expr}`);
  }
  assert.deepEqual(empty, [], 'panels the demo should fill returned no data');
});

test("the template variables list the demo fleet's worker types and streams", async () => {
  for (const [metric, label, value] of [
    ['fleet_workers_alive', 'worker_type', 'score'],
    ['fleet_stream_length', 'stream', 'stream.score'],
    ['fleet_tasks_total', 'worker_type', 'lookup'],
  ] as const) {
    const r = (await (await fetch(`${stack!.urls.prometheus}/api/v1/label/${label}/values?match[]=${metric}`)).json()) as { data: string[] };
    assert.ok(r.data.includes(value), `label_values(${metric}, ${label}) has ${value}: ${r.data.join(', ')}`);
  }
});

test('docs/metrics.md lists every metric family the exporter exposes, with its type, labels and help', async () => {
  const live = familiesFromExposition(await (await fetch(`${stack!.urls.exporter}/metrics`)).text());
  for (const source of ['fleet_redis_up', 'fleet_postgres_up', 'fleet_daytona_sandboxes', 'fleet_ec2_instances']) {
    assert.ok(live.has(source), `the stack runs every source (${source})`);
  }
  const docUrl = new URL('../../docs/metrics.md', import.meta.url);
  let existing = new Map<string, string>();
  try {
    existing = parseMetricsDoc(readFileSync(docUrl, 'utf8'));
  } catch {
    /* first generation */
  }
  if (process.env.UPDATE_DOCS) writeFileSync(docUrl, renderMetricsDoc(live, existing));
  else assert.deepEqual(driftedRows(live, existing), [], 'docs/metrics.md is out of date: run UPDATE_DOCS=1 npm test');
});
