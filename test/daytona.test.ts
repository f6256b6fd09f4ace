import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import pino from 'pino';
import { DaytonaCollector } from '../src/collectors/daytona/index.js';
import { daytonaSchema } from '../src/collectors/daytona/schema.js';
import { PROMETHEUS_TEXT, render } from '../src/metrics/exposition.js';
import { ScrapeEngine } from '../src/scrape.js';
import { FakeDaytona, makeSandboxes } from './fakes/daytona-server.js';
import { parseExposition, valueOf, type ParsedSample } from './helpers/exposition.js';
import { sleep, waitFor } from './helpers/net.js';

const API_KEY = 'dtn_test_4f9c2a7e5b1d8c3a';
const ORG = 'org-fleet';
const log = pino({ level: 'silent' });

/** Everything a test starts, stopped in afterEach even when an assertion fails. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(opts: { sandboxes?: object[]; apiKey?: string; legacyArray?: boolean; config?: Record<string, unknown> } = {}) {
  const fake = await FakeDaytona.start({ apiKey: opts.apiKey ?? API_KEY, organizationId: ORG, sandboxes: opts.sandboxes, legacyArray: opts.legacyArray });
  cleanups.push(() => fake.close());
  const cfg = daytonaSchema.parse({ api_url: fake.apiUrl, api_key: API_KEY, organization_id: ORG, refresh_seconds: 60, ...opts.config });
  // random() = 0: no jitter, so the only waits are the ones the server asks for.
  const collector = new DaytonaCollector(cfg, { random: () => 0 });
  cleanups.push(() => collector.close());
  const engine = new ScrapeEngine([collector], log, 5);
  const scrape = async (): Promise<{ samples: ParsedSample[]; text: string }> => {
    const text = render((await engine.scrape()).families, PROMETHEUS_TEXT);
    return { samples: parseExposition(text), text };
  };
  return { fake, collector, engine, scrape };
}

const requests = (samples: ParsedSample[], outcome: string) => valueOf(samples, 'fleet_daytona_requests_total', { operation: 'list_sandboxes', outcome });

describe('Daytona collector against a local Daytona API', () => {
  it('follows cursor pagination through thousands of sandboxes, each page within the API limit', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(5000) });
    await collector.refresher.runOnce(log);
    assert.equal(fake.listCalls, 25, '5000 sandboxes / 200 per page');
    assert.ok(fake.requests.every((r) => r.limit === '200'));
    assert.equal(fake.requests[0]!.cursor, null);
    assert.equal(new Set(fake.requests.map((r) => r.cursor)).size, 25, 'each page asks for a new cursor');
    assert.ok(fake.requests.every((r) => r.authorization === `Bearer ${API_KEY}` && r.organization === ORG));

    const { samples } = await scrape();
    const total = samples.filter((s) => s.name === 'fleet_daytona_sandboxes').reduce((a, s) => a + s.value, 0);
    assert.equal(total, 5000);
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 1);
    assert.equal(requests(samples, 'success'), 25);
    assert.equal(samples.filter((s) => s.name === 'fleet_daytona_sandbox_info').length, 5000);
  });

  it('accepts the older plain-array response in one call', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(30), legacyArray: true });
    await collector.refresher.runOnce(log);
    assert.equal(fake.listCalls, 1);
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_daytona_sandboxes_listed'), 30);
  });

  it('serves any number of scrapes within one refresh interval without a single extra API call', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(450) });
    collector.start(log);
    await waitFor(() => collector.lastSuccessSeconds() !== undefined);
    const callsAfterFirstRefresh = fake.listCalls;
    assert.equal(callsAfterFirstRefresh, 3);
    // Prometheus every 5 s, or several replicas at once: sequential and concurrent scrapes.
    for (let i = 0; i < 20; i++) await scrape();
    await Promise.all(Array.from({ length: 20 }, () => scrape()));
    assert.equal(fake.listCalls, callsAfterFirstRefresh);
    assert.equal(collector.refresher.refreshes, 1);
  });

  it('retries a throttled page with the same cursor within the same refresh, after Retry-After', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(1000) });
    fake.onRequest = (r) => (r.index === 2 ? { status: 429, retryAfter: '1', body: '{"statusCode":429,"message":"ThrottlerException: Too Many Requests"}' } : undefined);
    await collector.refresher.runOnce(log);
    const [, , throttled, retried] = fake.requests;
    assert.equal(retried!.cursor, throttled!.cursor);
    assert.ok(retried!.atMs - throttled!.atMs >= 1000, `retried after ${retried!.atMs - throttled!.atMs} ms`);
    assert.equal(fake.listCalls, 6, '5 pages + 1 retry, no restart from page 1');
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 1);
    assert.equal(requests(samples, 'throttled'), 1);
    assert.equal(requests(samples, 'success'), 5);
  });

  it('keeps the previous result on 5xx, marks the collector down and shows when data was last fresh', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(10), config: { max_attempts: 3 } });
    await collector.refresher.runOnce(log);
    const firstSuccess = collector.lastSuccessSeconds()!;
    fake.onRequest = () => ({ status: 503 });
    await collector.refresher.runOnce(log);
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 0);
    assert.equal(valueOf(samples, 'fleet_collector_last_success_timestamp_seconds', { collector: 'daytona' }), firstSuccess);
    assert.equal(samples.filter((s) => s.name === 'fleet_daytona_sandbox_info').length, 10, 'last good result still served');
    assert.equal(requests(samples, 'error'), 3);
  });

  it('drops the data once it is older than max_staleness_seconds', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(10), config: { max_staleness_seconds: 0.3, max_attempts: 1 } });
    await collector.refresher.runOnce(log);
    fake.onRequest = () => ({ status: 500 });
    await collector.refresher.runOnce(log);
    await sleep(400);
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 0);
    assert.equal(samples.filter((s) => s.name.startsWith('fleet_daytona_sandbox')).length, 0);
    assert.equal(requests(samples, 'error'), 1, 'API cost stays visible');
  });

  it('marks the collector down once data is stale even while a slow refresh has not failed yet', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(10), config: { max_staleness_seconds: 0.3, timeout_seconds: 5 } });
    await collector.refresher.runOnce(log);
    fake.onRequest = () => ({ stallMs: 1500 });
    const slow = collector.refresher.runOnce(log);
    await sleep(400);
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 0);
    assert.equal(samples.filter((s) => s.name === 'fleet_daytona_sandboxes').length, 0);
    await slow;
  });

  it('fails the refresh on malformed JSON without retrying it', async () => {
    const { fake, collector, scrape, engine } = await setup({ sandboxes: makeSandboxes(10) });
    fake.onRequest = () => ({ malformed: true });
    await collector.refresher.runOnce(log);
    const { samples } = await scrape();
    assert.equal(fake.listCalls, 1);
    assert.equal(requests(samples, 'error'), 1);
    assert.match((await engine.scrape()).statuses[0]!.lastError!, /malformed JSON/);
  });

  it('reports an expired or invalid API key as unauthorized, once, and never echoes the key', async () => {
    // This server even echoes the Authorization header it got in its 401 body.
    const { fake, collector, scrape, engine } = await setup({ sandboxes: makeSandboxes(10), apiKey: 'dtn_the_valid_one' });
    await collector.refresher.runOnce(log);
    const { samples, text } = await scrape();
    assert.equal(fake.listCalls, 1, '401 is not retried');
    assert.equal(requests(samples, 'unauthorized'), 1);
    const status = (await engine.scrape()).statuses[0]!;
    assert.equal(status.up, false);
    assert.match(status.lastError!, /HTTP 401/);
    assert.ok(!status.lastError!.includes(API_KEY) && !text.includes(API_KEY));
  });

  it('backs off after a rejected key instead of trying it on every refresh', async () => {
    const { fake, collector, scrape } = await setup({ sandboxes: makeSandboxes(10), apiKey: 'dtn_rotated', config: { auth_failure_backoff_seconds: 0.5 } });
    for (let i = 0; i < 5; i++) await collector.refresher.runOnce(log);
    assert.equal(fake.listCalls, 1, 'refreshes within the backoff make no call');
    let { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 0);
    await sleep(600);
    await collector.refresher.runOnce(log);
    assert.equal(fake.listCalls, 2, 'tried again once the backoff is over');
    ({ samples } = await scrape());
    assert.equal(requests(samples, 'unauthorized'), 2);
  });

  it('retries a timed-out page, and fails a refresh that overruns its own budget', async () => {
    const { fake, collector, scrape, engine } = await setup({
      sandboxes: makeSandboxes(10),
      config: { timeout_seconds: 0.2, refresh_timeout_seconds: 1 },
    });
    fake.onRequest = (r) => (r.index === 0 ? { stallMs: 2000 } : undefined);
    await collector.refresher.runOnce(log);
    let { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 1);
    assert.equal(requests(samples, 'timeout'), 1);

    fake.onRequest = () => ({ status: 429, retryAfter: '5' }); // longer than the refresh may take
    const started = Date.now();
    await collector.refresher.runOnce(log);
    assert.ok(Date.now() - started < 2000);
    ({ samples } = await scrape());
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'daytona' }), 0);
    assert.match((await engine.scrape()).statuses[0]!.lastError!, /refresh_timeout_seconds/);
  });

  it('passes unknown future sandbox states through as their own label value', async () => {
    const sandboxes = [
      ...makeSandboxes(3, { state: 'hibernating', target: 'us' }),
      ...makeSandboxes(2, { state: 'started', target: 'us' }).map((s) => ({ ...s, id: `x-${(s as { id: string }).id}` })),
    ];
    const { collector, scrape } = await setup({ sandboxes });
    await collector.refresher.runOnce(log);
    const { samples } = await scrape();
    assert.equal(valueOf(samples, 'fleet_daytona_sandboxes', { state: 'hibernating', target: 'us' }), 3);
    assert.equal(valueOf(samples, 'fleet_daytona_sandbox_memory_bytes', { state: 'hibernating' }), (1 + 2 + 3) * 1024 ** 3);
  });

  it('never overlaps refreshes: ticks during a slow refresh are skipped', async () => {
    const { fake, collector } = await setup({ sandboxes: makeSandboxes(10), config: { refresh_seconds: 0.1, timeout_seconds: 5 } });
    fake.onRequest = () => ({ stallMs: 700 });
    collector.start(log);
    await sleep(1000);
    assert.ok(fake.listCalls <= 2, `${fake.listCalls} calls in 1 s with a 0.1 s interval and 0.7 s responses`);
    assert.ok(collector.refresher.refreshes <= 2);
  });

  it('counts series left out by max_sandbox_series once per refresh, not once per scrape', async () => {
    const { collector, scrape } = await setup({ sandboxes: makeSandboxes(100), config: { max_sandbox_series: 10 } });
    await collector.refresher.runOnce(log);
    let samples: ParsedSample[] = [];
    for (let i = 0; i < 5; i++) ({ samples } = await scrape());
    assert.equal(valueOf(samples, 'fleet_series_dropped_total', { collector: 'daytona' }), 90);
    assert.equal(samples.filter((s) => s.name === 'fleet_daytona_sandbox_info').length, 10);
  });
});
