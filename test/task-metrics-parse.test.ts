import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTaskMetrics, cumulativeBuckets, parseTaskHash, quantile, type TaskMetricsInput } from '../src/collectors/redis/tasks.js';
import { TaskMetrics, queueWaitSeconds } from '../src/heartbeat/task-metrics.js';
import { OPENMETRICS_TEXT, PROMETHEUS_TEXT, render } from '../src/metrics/exposition.js';
import { parseExposition, promtoolCheckMetrics, valueOf } from './helpers/exposition.js';
import { parseOpenMetricsStrict } from './helpers/python.js';

/** A hash as two workers flushed it: buckets out of order, `1` and `1.0` written by different languages. */
const HASH: Record<string, string> = {
  'tasks:ok': '7',
  'tasks:error': '2',
  'duration_bucket:2.5': '1',
  'duration_bucket:0.1': '4',
  'duration_bucket:1': '2',
  'duration_bucket:1.0': '1',
  'duration_bucket:+Inf': '1',
  duration_sum: '19.75',
  'wait_bucket:0.5': '9',
  wait_sum: '1.5',
};

const input = (hashes: Record<string, Record<string, string>>, recent: Record<string, string[]> = {}): TaskMetricsInput => ({
  hashes: new Map(Object.entries(hashes)),
  recent: new Map(Object.entries(recent)),
  wrongType: new Map(),
});

test('buckets are merged by number, sorted by le and made cumulative; +Inf is the count', () => {
  const parsed = parseTaskHash(HASH);
  assert.equal(parsed.invalid, 0);
  assert.deepEqual(cumulativeBuckets(parsed.duration!), [
    { le: 0.1, count: 4 },
    { le: 1, count: 7 },
    { le: 2.5, count: 8 },
    { le: Infinity, count: 9 },
  ]);
  const samples = parseExposition(render(buildTaskMetrics(input({ lookup: HASH }), 10).families, PROMETHEUS_TEXT));
  const bucket = (le: string) => valueOf(samples, 'fleet_task_duration_seconds_bucket', { worker_type: 'lookup', le });
  assert.deepEqual(['0.1', '1', '2.5', '+Inf'].map(bucket), [4, 7, 8, 9]);
  assert.equal(valueOf(samples, 'fleet_task_duration_seconds_count', { worker_type: 'lookup' }), 9);
  assert.equal(valueOf(samples, 'fleet_task_duration_seconds_sum', { worker_type: 'lookup' }), 19.75);
  assert.equal(valueOf(samples, 'fleet_task_queue_wait_seconds_bucket', { worker_type: 'lookup', le: '+Inf' }), 9);
  assert.equal(valueOf(samples, 'fleet_tasks_total', { worker_type: 'lookup', outcome: 'error' }), 2);
  assert.equal(valueOf(samples, 'fleet_task_metrics_invalid_fields', { worker_type: 'lookup' }), 0);
});

test('malformed fields are skipped and counted, never thrown', () => {
  const parsed = parseTaskHash({
    'tasks:ok': '3',
    'tasks:Bad-Outcome': '1',
    'tasks:': '1',
    'tasks:error': 'lots',
    'duration_bucket:0.5': '-2',
    'duration_bucket:soon': '1',
    'duration_bucket:-1': '1',
    'duration_bucket:1': '3',
    duration_sum: 'NaN',
    latency: '4',
    'wait_bucket:1': '',
  });
  assert.equal(parsed.invalid, 9);
  assert.deepEqual([...parsed.outcomes], [['ok', 3]]);
  assert.deepEqual(cumulativeBuckets(parsed.duration!), [
    { le: 1, count: 3 },
    { le: Infinity, count: 3 },
  ]);
  assert.equal(parsed.wait, undefined, 'a histogram needs at least one valid bucket');
});

test('outcomes beyond max_outcomes are dropped and counted; ok and error are always kept', () => {
  const hash: Record<string, string> = { 'tasks:ok': '1', 'tasks:error': '1', 'tasks:a': '1', 'tasks:b': '1', 'tasks:c': '1' };
  const { families, dropped } = buildTaskMetrics(input({ lookup: hash, score: { 'tasks:zz': '1' } }), 3);
  assert.equal(dropped, 2);
  const samples = parseExposition(render(families, PROMETHEUS_TEXT)).filter((s) => s.name === 'fleet_tasks_total');
  assert.deepEqual(
    samples.map((s) => `${s.labels.worker_type}/${s.labels.outcome}`),
    ['lookup/ok', 'lookup/error', 'lookup/a', 'score/zz'],
  );
});

test('an empty or missing hash exports nothing for its worker type', () => {
  assert.deepEqual(buildTaskMetrics(input({ lookup: {} }), 10).families, []);
});

test('recent quantiles come from the latency list in milliseconds, exported in seconds', () => {
  const list = Array.from({ length: 101 }, (_, i) => String(i * 10)); // 0 ms … 1000 ms
  list.push('oops');
  const samples = parseExposition(render(buildTaskMetrics(input({}, { lookup: list }), 10).families, PROMETHEUS_TEXT));
  const q = (quantileLabel: string) => valueOf(samples, 'fleet_task_recent_duration_seconds', { worker_type: 'lookup', quantile: quantileLabel });
  assert.deepEqual(['0.5', '0.9', '0.95', '0.99'].map(q), [0.5, 0.9, 0.95, 0.99]);
  assert.equal(valueOf(samples, 'fleet_task_metrics_invalid_fields', { worker_type: 'lookup' }), 1);
  assert.equal(quantile([1, 2], 0.5), 1.5);
});

test('the worker-side accumulator writes what the exporter reads back, bucket by bucket', () => {
  const m = new TaskMetrics([0.1, 1]);
  for (const d of [0.05, 0.1, 0.5, 3]) m.observe({ durationSeconds: d, waitSeconds: 0 });
  m.observe({ outcome: 'error', durationSeconds: -1 });
  const written: Record<string, string> = {};
  const fake = {
    hincrby: (_k: string, f: string, n: number) => void (written[f] = String(Number(written[f] ?? 0) + n)),
    hincrbyfloat: (_k: string, f: string, n: number) => void (written[f] = String(Number(written[f] ?? 0) + n)),
  };
  m.drainInto(fake as never, 'k');
  assert.equal(m.unflushed, 0);
  const parsed = parseTaskHash(written);
  assert.deepEqual(
    cumulativeBuckets(parsed.duration!).map((b) => b.count),
    [3, 4, 5],
  );
  assert.deepEqual(
    [...parsed.outcomes],
    [
      ['ok', 4],
      ['error', 1],
    ],
  );
  assert.equal(parsed.duration!.sum, 3.65);
  assert.throws(() => m.observe({ outcome: 'worker-17', durationSeconds: 1 }), RangeError);
  assert.equal(queueWaitSeconds('1000-0', 3500), 2.5);
  assert.equal(queueWaitSeconds('9000-0', 3500), 0, 'clamped at 0 when the producer clock runs ahead');
});

test('the histograms are valid Prometheus text (promtool) and OpenMetrics (strict parser)', () => {
  const { families } = buildTaskMetrics(input({ lookup: HASH, 'score"x': HASH }, { lookup: ['5', '7'] }), 10);
  const text = render(families, PROMETHEUS_TEXT);
  const promtool = promtoolCheckMetrics(text);
  assert.ok(promtool.ok, promtool.output);
  const om = parseOpenMetricsStrict(render(families, OPENMETRICS_TEXT));
  assert.ok(om.ok, om.output);
  assert.match(om.output, /^fleet_task_duration_seconds histogram 12$/m);
  assert.match(om.output, /^fleet_tasks counter 4$/m);
  // The strict parser refuses what a histogram must not be: it does check.
  const broken = render(families, OPENMETRICS_TEXT).replace(/(fleet_task_duration_seconds_count\{worker_type="lookup"\}) 9/, '$1 8');
  assert.equal(parseOpenMetricsStrict(broken).ok, false);
});

test('next to the Postgres preset gauge fleet_tasks, fleet_tasks_total stays valid OpenMetrics (as unknown)', () => {
  const { families } = buildTaskMetrics(input({ lookup: HASH }), 10);
  const preset = { name: 'fleet_tasks', help: 'Tasks by status.', type: 'gauge' as const, labelNames: ['status'], samples: [{ labelValues: ['done'], value: 3 }] };
  const om = parseOpenMetricsStrict(render([preset, ...families], OPENMETRICS_TEXT));
  assert.ok(om.ok, om.output);
  assert.match(om.output, /^fleet_tasks gauge 1$/m);
  assert.match(om.output, /^fleet_tasks_total unknown 2$/m);
  assert.match(render([preset, ...families], PROMETHEUS_TEXT), /^# TYPE fleet_tasks_total counter$/m);
});
