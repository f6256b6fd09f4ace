// Task metrics end to end on one machine: Node and Python workers using the
// shipped helpers write worker:metrics:{worker_type} in a real redis-server,
// the built exporter reads it, and its histograms equal what was recorded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { DEFAULT_DURATION_BUCKETS, DEFAULT_WAIT_BUCKETS } from '../src/heartbeat/index.js';
import { ExporterProcess } from './helpers/exporter.js';
import { promtoolCheckMetrics, valueOf, type ParsedSample } from './helpers/exposition.js';
import { sleep, waitFor } from './helpers/net.js';
import { parseOpenMetricsStrict } from './helpers/python.js';
import { TestRedis } from './helpers/redis.js';
import { expectedBuckets, TaskWorker, type Obs } from './helpers/task-workers.js';

/** Known observations: bucket bounds hit exactly, zero, beyond the last bound, no wait, three outcomes. */
const OBSERVATIONS: Obs[] = [
  { durationSeconds: 0, waitSeconds: 0 },
  { durationSeconds: 0.004, waitSeconds: 0.04 },
  { durationSeconds: 0.025, waitSeconds: 0.05 },
  { durationSeconds: 0.03, waitSeconds: 2 },
  { durationSeconds: 0.25, waitSeconds: 75 },
  { durationSeconds: 0.6, waitSeconds: 75 },
  { outcome: 'error', durationSeconds: 1.5, waitSeconds: 400 },
  { outcome: 'error', durationSeconds: 9 },
  { outcome: 'timeout', durationSeconds: 42, waitSeconds: 2400 },
  { durationSeconds: 0.07 },
];

let redis: TestRedis;
let r: Redis;
let exporter: ExporterProcess;

before(async () => {
  redis = await TestRedis.start();
  r = redis.client();
  exporter = await ExporterProcess.start({
    redis: {
      url: redis.url,
      worker_types: ['lookup', 'score', 'merge', 'merge_py', 'crash', 'crash_py', 'legacy', 'broken'].map((name) => ({ name })),
      task_metrics: { max_outcomes: 3, latency_list_key: 'latency:{worker_type}', latency_list_samples: 100 },
    },
  });
});
after(async () => {
  await exporter?.stop();
  r?.disconnect();
  await redis?.destroy();
});

const scrape = () => exporter.samples();
const count = (s: ParsedSample[], type: string) => valueOf(s, 'fleet_task_duration_seconds_count', { worker_type: type });
const hashCount = async (type: string) =>
  Object.entries(await r.hgetall(`worker:metrics:${type}`))
    .filter(([k]) => k.startsWith('duration_bucket:'))
    .reduce((n, [, v]) => n + Number(v), 0);

function assertHistogram(s: ParsedSample[], family: string, type: string, values: number[], bounds: readonly number[]) {
  for (const [le, n] of expectedBuckets(values, bounds)) {
    assert.equal(valueOf(s, `${family}_bucket`, { worker_type: type, le }), n, `${family}{worker_type="${type}",le="${le}"}`);
  }
  assert.equal(valueOf(s, `${family}_count`, { worker_type: type }), values.length);
  const sum = values.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(valueOf(s, `${family}_sum`, { worker_type: type })! - sum) < 1e-9, `${family}_sum`);
}

describe('task metrics from Node and Python workers', () => {
  it('after a scrape the histograms and counters equal what each worker recorded, bucket by bucket', async () => {
    const node = TaskWorker.start('node', redis.port, 'lookup', 'n1', 3);
    const py = TaskWorker.start('python', redis.port, 'score', 'p1', 3);
    await Promise.all([node.record(OBSERVATIONS), py.record(OBSERVATIONS)]);
    // Flushed with the next heartbeat (every ttl/3 = 1 s), read by the next scrape.
    let s: ParsedSample[] = [];
    await waitFor(
      async () => {
        s = await scrape();
        return count(s, 'lookup') === OBSERVATIONS.length && count(s, 'score') === OBSERVATIONS.length;
      },
      15_000,
      200,
    );
    const durations = OBSERVATIONS.map((o) => o.durationSeconds);
    const waits = OBSERVATIONS.flatMap((o) => (o.waitSeconds === undefined ? [] : [o.waitSeconds]));
    for (const type of ['lookup', 'score']) {
      assertHistogram(s, 'fleet_task_duration_seconds', type, durations, DEFAULT_DURATION_BUCKETS);
      assertHistogram(s, 'fleet_task_queue_wait_seconds', type, waits, DEFAULT_WAIT_BUCKETS);
      assert.equal(valueOf(s, 'fleet_tasks_total', { worker_type: type, outcome: 'ok' }), 7);
      assert.equal(valueOf(s, 'fleet_tasks_total', { worker_type: type, outcome: 'error' }), 2);
      assert.equal(valueOf(s, 'fleet_tasks_total', { worker_type: type, outcome: 'timeout' }), 1);
      assert.equal(valueOf(s, 'fleet_task_metrics_invalid_fields', { worker_type: type }), 0);
    }
    // Same wire format from both languages: the same field names.
    const fields = async (type: string) => Object.keys(await r.hgetall(`worker:metrics:${type}`)).sort();
    assert.deepEqual(await fields('lookup'), await fields('score'));
    assert.equal(await node.kill('SIGTERM'), 'SIGTERM');
    assert.equal(await py.kill('SIGTERM'), 'SIGTERM');
  });

  it('a worker killed with SIGTERM between two heartbeats has flushed everything and left its shutdown marker', async () => {
    // ttl 60: the next tick is 20 s away, so only the SIGTERM flush can write the batch.
    const node = TaskWorker.start('node', redis.port, 'merge', 'n2', 60);
    const py = TaskWorker.start('python', redis.port, 'merge_py', 'p2', 60);
    const batch = Array.from({ length: 500 }, (_, i) => ({ outcome: i % 10 ? 'ok' : 'error', durationSeconds: i / 100 }));
    await Promise.all([node.record(batch), py.record(batch)]);
    assert.equal(await hashCount('merge'), 0, 'nothing flushed before the signal');
    assert.equal(await node.kill('SIGTERM'), 'SIGTERM');
    assert.equal(await py.kill('SIGTERM'), 'SIGTERM');
    const s = await scrape();
    for (const [type, id] of [
      ['merge', 'n2'],
      ['merge_py', 'p2'],
    ] as const) {
      assert.equal(count(s, type), 500);
      assert.equal(valueOf(s, 'fleet_tasks_total', { worker_type: type, outcome: 'error' }), 50);
      assert.equal(await r.exists(`worker:shutdown:${type}:${id}`), 1);
    }
  });

  it('a worker killed with SIGKILL loses at most what it observed since its last heartbeat', async () => {
    for (const [lang, type] of [
      ['node', 'crash'],
      ['python', 'crash_py'],
    ] as const) {
      const w = TaskWorker.start(lang, redis.port, type, 'k1', 3);
      const first = Array.from({ length: 20 }, () => ({ durationSeconds: 0.1 }));
      await w.record(first);
      await waitFor(async () => (await hashCount(type)) === 20, 10_000, 50); // a tick flushed it
      await w.record(Array.from({ length: 7 }, () => ({ durationSeconds: 0.1 })));
      assert.equal(await w.kill('SIGKILL'), 'SIGKILL');
      await sleep(1500); // a tick that was on the wire has landed by now
      const flushed = await hashCount(type);
      assert.ok(flushed === 20 || flushed === 27, `${lang}: ${flushed} of 27 observations in Redis`);
      assert.equal(await r.exists(`worker:shutdown:${type}:k1`), 0, 'no marker: a crash');
    }
  });
});

describe('task metrics the exporter must not trust', () => {
  it('skips malformed fields, caps outcomes, reads latency lists read-only, and the scrape stays up', async () => {
    await r.hset('worker:metrics:legacy', {
      'tasks:ok': '5',
      'tasks:error': '1',
      'tasks:a': '1',
      'tasks:b': '1',
      'tasks:Worker-7': '1',
      'duration_bucket:1': '4',
      'duration_bucket:+Inf': '2',
      'duration_bucket:fast': '1',
      duration_sum: '-3',
      hello: 'world',
    });
    await r.set('worker:metrics:broken', 'not a hash');
    await r.lpush('latency:legacy', ...Array.from({ length: 150 }, (_, i) => String(i < 50 ? 99_000 : 200)));
    const droppedBefore = valueOf(await scrape(), 'fleet_series_dropped_total', { collector: 'redis' }) ?? 0;
    const s = await scrape();
    assert.equal(valueOf(s, 'fleet_collector_up', { collector: 'redis' }), 1);
    assert.equal(valueOf(s, 'fleet_task_metrics_invalid_fields', { worker_type: 'legacy' }), 4);
    assert.equal(valueOf(s, 'fleet_task_metrics_invalid_fields', { worker_type: 'broken' }), 1);
    assert.deepEqual(
      s.filter((x) => x.name === 'fleet_tasks_total' && x.labels.worker_type === 'legacy').map((x) => x.labels.outcome),
      ['ok', 'error', 'a'],
    );
    assert.equal(valueOf(s, 'fleet_series_dropped_total', { collector: 'redis' }), droppedBefore + 1, 'outcome b dropped');
    assert.equal(valueOf(s, 'fleet_task_duration_seconds_bucket', { worker_type: 'legacy', le: '+Inf' }), 6);
    // The newest 100 entries (LPUSHed last: the head) are all 200 ms; the list is left as it was.
    assert.equal(valueOf(s, 'fleet_task_recent_duration_seconds', { worker_type: 'legacy', quantile: '0.99' }), 0.2);
    assert.equal(await r.llen('latency:legacy'), 150);
  });

  it('the live exposition is valid Prometheus text (promtool) and OpenMetrics (strict parser)', async () => {
    const text = await exporter.text();
    assert.match(text.body, /^fleet_task_duration_seconds_bucket\{worker_type="lookup",le="0.005"\} 2$/m);
    const promtool = promtoolCheckMetrics(text.body);
    assert.ok(promtool.ok, promtool.output);
    const om = await exporter.text('/metrics', { Accept: 'application/openmetrics-text; version=1.0.0' });
    assert.match(om.contentType, /openmetrics/);
    const parsed = parseOpenMetricsStrict(om.body);
    assert.ok(parsed.ok, parsed.output);
    assert.match(parsed.output, /^fleet_task_queue_wait_seconds histogram \d+$/m);
  });
});
