import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { ExporterProcess } from './helpers/exporter.js';
import { parseExposition, promtoolCheckMetrics, valueOf } from './helpers/exposition.js';
import { TestRedis } from './helpers/redis.js';
import { sleep, waitFor } from './helpers/net.js';

/** GET with the headers Prometheus sends; the body as bytes (gzip left as is). */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metrics(exporter: ExporterProcess, headers: Record<string, string> = {}) {
  const r = await get(exporter.base, '/metrics', headers);
  return { ...r, samples: parseExposition(r.body.toString()) };
}

describe('a hung Redis', () => {
  let redis: TestRedis;
  let exporter: ExporterProcess;
  before(async () => {
    redis = await TestRedis.start();
    const r = redis.client();
    await r.xgroup('CREATE', 'stream.a', 'g', '$', 'MKSTREAM');
    r.disconnect();
    exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { patterns: ['stream.*'] }, timeout_seconds: 2 } });
    assert.equal(valueOf((await metrics(exporter)).samples, 'fleet_redis_up'), 1);
  });
  after(async () => {
    redis.thaw();
    await exporter.stop();
    await redis.destroy();
  });

  test('a frozen Redis still reads as down: fleet_redis_up 0 beside fleet_collector_up 0 (FleetRedisDown can fire)', async () => {
    redis.freeze();
    try {
      const { samples, ms } = await metrics(exporter);
      assert.equal(valueOf(samples, 'fleet_redis_up'), 0);
      assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'redis' }), 0);
      assert.ok(ms < 3000, `answered within the Redis budget, took ${ms} ms`);
    } finally {
      redis.thaw();
    }
    await waitFor(async () => valueOf((await metrics(exporter)).samples, 'fleet_redis_up') === 1, 15_000, 200);
  });

  test('a scrape that joins a longer collection still answers by its own deadline', async () => {
    await exporter.stop();
    exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { patterns: ['stream.*'] }, timeout_seconds: 4 } });
    await metrics(exporter);
    redis.freeze();
    try {
      // The status page starts a collection with the full 4 s Redis budget…
      const page = get(exporter.base, '/');
      await sleep(50);
      // …and Prometheus, 50 ms later, allows 2 s (the exporter keeps 0.5 s of it for itself).
      const { samples, ms } = await metrics(exporter, { 'X-Prometheus-Scrape-Timeout-Seconds': '2' });
      assert.ok(ms < 2000, `answered within its own 2 s deadline, took ${ms} ms`);
      assert.equal(valueOf(samples, 'fleet_redis_up'), 0);
      assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'redis' }), 0);
      redis.thaw();
      assert.equal((await page).status, 200);
    } finally {
      redis.thaw();
    }
  });
});

test('while Redis loads its dataset, a scrape fails fast with fleet_redis_up 0, and reads again once it has loaded', async () => {
  const redis = await TestRedis.start(['--enable-debug-command', 'local']);
  const r = redis.client();
  await r.call('DEBUG', 'POPULATE', '100000');
  await r.xgroup('CREATE', 'stream.a', 'g', '$', 'MKSTREAM');
  await r.call('SAVE');
  r.disconnect();
  await redis.stop();
  // A delay per key makes the load last seconds; answering LOADING between keys, not only every 2 MB.
  await redis.launch(['--save', '', '--key-load-delay', '20', '--loading-process-events-interval-bytes', '1024'], { untilLoaded: false });
  const exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { names: ['stream.a'] }, timeout_seconds: 4 } });
  try {
    const { samples, ms } = await metrics(exporter);
    assert.equal(valueOf(samples, 'fleet_redis_up'), 0);
    assert.ok(ms < 1000, `failed fast instead of waiting the 4 s budget: ${ms} ms`);
    assert.match((await get(exporter.base, '/')).body.toString(), /LOADING/);
    await waitFor(async () => valueOf((await metrics(exporter)).samples, 'fleet_stream_length', { stream: 'stream.a' }) === 0, 30_000, 250);
  } finally {
    await exporter.stop();
    await redis.destroy();
  }
});

describe('what the exporter exports is what exists now', () => {
  let redis: TestRedis;
  let exporter: ExporterProcess;
  const config = (url: string) => ({
    redis: {
      url,
      streams: { patterns: ['stream.*'], discovery_interval_seconds: 0.2 },
      heartbeats: { scan_interval_seconds: 0.2 },
    },
  });
  before(async () => {
    redis = await TestRedis.start();
    exporter = await ExporterProcess.start(config(redis.url));
  });
  after(async () => {
    await exporter.stop();
    await redis.destroy();
  });

  const workerTypes = async () =>
    (await metrics(exporter)).samples
      .filter((s) => s.name === 'fleet_workers_alive')
      .map((s) => s.labels.worker_type!)
      .sort();

  test('a stream deleted with its workers takes its worker type with it (no FleetWorkerTypeDown)', async () => {
    const r = redis.client();
    for (const stream of ['stream.a', 'stream.b']) {
      await r.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
      await r.xgroup('CREATECONSUMER', stream, 'g', 'w1');
      await r.set(`worker:heartbeat:${stream}:w1`, '', 'EX', 30);
    }
    await waitFor(async () => (await workerTypes()).join() === 'stream.a,stream.b', 10_000, 100);
    await r.del('stream.b', 'worker:heartbeat:stream.b:w1');
    await waitFor(async () => (await workerTypes()).join() === 'stream.a', 10_000, 100);
    r.disconnect();
  });

  test('after Redis restarts on another dataset, only the new fleet is reported', async () => {
    await redis.restart();
    const r = redis.client();
    await r.xgroup('CREATE', 'stream.c', 'g', '$', 'MKSTREAM');
    r.disconnect();
    await waitFor(async () => (await workerTypes()).join() === 'stream.c', 15_000, 100);
  });
});

test('fifty concurrent scrapes share one collection and one rendering, gzip included', async () => {
  const redis = await TestRedis.start();
  const r = redis.client();
  for (let i = 0; i < 20; i++) await r.xgroup('CREATE', `stream.${i}`, 'g', '$', 'MKSTREAM');
  r.disconnect();
  const exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { patterns: ['stream.*'] } } });
  try {
    await metrics(exporter);
    const variants: Record<string, string>[] = [{}, { 'Accept-Encoding': 'gzip' }];
    for (const headers of variants) {
      // Hold Redis for a moment so all fifty arrive while one collection is in flight.
      redis.freeze();
      const replies = Array.from({ length: 50 }, () => get(exporter.base, '/metrics', headers));
      await sleep(300);
      redis.thaw();
      const bodies = (await Promise.all(replies)).map((x) => x.body);
      // process_* and nodejs_* change between two renderings: identical bytes mean one rendering.
      assert.equal(new Set(bodies.map((b) => b.toString('base64'))).size, 1);
      const text = 'Accept-Encoding' in headers ? gunzipSync(bodies[0]!).toString() : bodies[0]!.toString();
      assert.equal(valueOf(parseExposition(text), 'fleet_redis_up'), 1);
    }
  } finally {
    redis.thaw();
    await exporter.stop();
    await redis.destroy();
  }
});

test('names that are not UTF-8 are exported with a lossless escape, and their live workers are alive', async () => {
  const redis = await TestRedis.start();
  const r = redis.client();
  const bad = Buffer.from('stream.bad\xff', 'latin1');
  const group = Buffer.from('g\xfe', 'latin1');
  const consumer = Buffer.from('w\xfd', 'latin1');
  await r.xgroup('CREATE', bad, group, '$', 'MKSTREAM');
  await r.xgroup('CREATECONSUMER', bad, group, consumer);
  await r.set(Buffer.concat([Buffer.from('worker:heartbeat:'), bad, Buffer.from(':'), consumer]), String(Date.now()), 'EX', 30);
  // A valid stream with a consumer whose name is not UTF-8, and a worker that consumes no stream.
  await r.xgroup('CREATE', 'stream.ok', 'g', '$', 'MKSTREAM');
  await r.xgroup('CREATECONSUMER', 'stream.ok', 'g', consumer);
  await r.set(Buffer.concat([Buffer.from('worker:heartbeat:stream.ok:'), consumer]), '', 'EX', 30);
  await r.set(Buffer.from('worker:heartbeat:orchestrator:o\xfc', 'latin1'), '', 'EX', 30);
  r.disconnect();
  const exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { patterns: ['stream.*'] } } });
  try {
    const { body, samples } = await metrics(exporter);
    const label = 'stream.bad\\xff';
    assert.equal(valueOf(samples, 'fleet_stream_length', { stream: label }), 0);
    assert.equal(valueOf(samples, 'fleet_stream_group_consumers', { stream: label, group: 'g\\xfe', state: 'alive' }), 1);
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: label }), 1);
    assert.equal(valueOf(samples, 'fleet_stream_group_consumers', { stream: 'stream.ok', group: 'g', state: 'alive' }), 1);
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: 'stream.ok' }), 1);
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: 'orchestrator' }), 1);
    const check = promtoolCheckMetrics(body.toString());
    assert.ok(check.ok, check.output);
  } finally {
    await exporter.stop();
    await redis.destroy();
  }
});

test('discovery on a big keyspace is paced, serves named streams at once and says how stale it is', async (t) => {
  const redis = await TestRedis.start(['--enable-debug-command', 'local']);
  const r = redis.client();
  await r.call('DEBUG', 'POPULATE', '150000', 'key');
  await r.xgroup('CREATE', 'stream.named', 'g', '$', 'MKSTREAM');
  await r.xgroup('CREATE', 'stream.found', 'g', '$', 'MKSTREAM');
  const scanMicros = async () => Number(/cmdstat_scan:calls=\d+,usec=(\d+)/.exec(await r.info('commandstats'))?.[1] ?? 0);
  const share = 0.1;
  const exporter = await ExporterProcess.start({
    redis: {
      url: redis.url,
      discovery_max_redis_share: share,
      streams: { patterns: ['stream.*'], names: ['stream.named'], discovery_interval_seconds: 1 },
      heartbeats: { scan_interval_seconds: 1 },
    },
  });
  try {
    const first = await metrics(exporter);
    assert.equal(valueOf(first.samples, 'fleet_stream_length', { stream: 'stream.named' }), 0, 'a named stream is served at once');
    assert.ok(valueOf(first.samples, 'fleet_redis_discovery_age_seconds', { discovery: 'streams' })! >= 0);
    // Over a few seconds of back-to-back passes, SCAN keeps Redis busy for about `share` of the time.
    const usec0 = await scanMicros();
    const t0 = performance.now();
    await sleep(4000);
    const busy = (await scanMicros()) - usec0;
    const ratio = busy / 1000 / (performance.now() - t0);
    t.diagnostic(`SCAN kept Redis busy ${(ratio * 100).toFixed(1)} % of the time (share ${share * 100} %)`);
    assert.ok(ratio > 0 && ratio <= share * 1.5, `SCAN used ${(ratio * 100).toFixed(1)} % of Redis's time (share ${share * 100} %)`);
    await waitFor(async () => valueOf((await metrics(exporter)).samples, 'fleet_stream_length', { stream: 'stream.found' }) === 0, 60_000, 500);
    const age = valueOf((await metrics(exporter)).samples, 'fleet_redis_discovery_age_seconds', { discovery: 'streams' })!;
    assert.ok(age < 30, `a pass completed recently: ${age} s`);
  } finally {
    r.disconnect();
    await exporter.stop();
    await redis.destroy();
  }
});
