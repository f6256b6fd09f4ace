import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPENMETRICS_TEXT, PROMETHEUS_TEXT, negotiate, render, renderChunks } from '../src/metrics/exposition.js';
import { Snapshot } from '../src/metrics/family.js';
import { parseExposition, promtoolCheckMetrics } from './helpers/exposition.js';

const hostile = ['quote"d', 'back\\slash', 'new\nline', 'ünïcødé ✓ 漢字', '', '{}=,'];

function families() {
  const snap = new Snapshot();
  const g = snap.gauge('fleet_test_value', 'A "help" text with \\ and\nnewline.', ['name']);
  hostile.forEach((n, i) => g.set(i, n));
  snap.counter('fleet_test_events_total', 'Events.', ['kind']).set(3, 'a');
  snap.gauge('fleet_test_special', 'Special values.', ['v']).set(NaN, 'nan').set(Infinity, 'inf').set(-Infinity, 'ninf');
  return snap.families();
}

test('hostile label values render as valid Prometheus text that round-trips', () => {
  const text = render(families(), PROMETHEUS_TEXT);
  const check = promtoolCheckMetrics(text);
  assert.ok(check.ok, check.output);
  const parsed = parseExposition(text).filter((s) => s.name === 'fleet_test_value');
  assert.deepEqual(
    parsed.map((s) => s.labels.name),
    hostile,
  );
});

test('OpenMetrics: counters are declared without _total, samples carry it, and the text ends with # EOF', () => {
  const text = render(families(), OPENMETRICS_TEXT);
  assert.match(text, /^# TYPE fleet_test_events counter$/m);
  assert.match(text, /^fleet_test_events_total\{kind="a"\} 3$/m);
  assert.ok(text.endsWith('# EOF\n'));
  assert.match(text, /fleet_test_special\{v="inf"\} \+Inf/);
});

test('Prometheus text keeps counter names as they are', () => {
  const text = render(families(), PROMETHEUS_TEXT);
  assert.match(text, /^# TYPE fleet_test_events_total counter$/m);
  assert.ok(!text.includes('# EOF'));
});

test('content negotiation picks OpenMetrics only when asked for', () => {
  assert.equal(negotiate(undefined), PROMETHEUS_TEXT);
  assert.equal(negotiate('text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), PROMETHEUS_TEXT);
  assert.equal(negotiate('application/openmetrics-text;version=1.0.0,text/plain;q=0.5'), OPENMETRICS_TEXT);
});

test('a big exposition renders in chunks that end at line ends and join into valid text', () => {
  const snap = new Snapshot();
  const g = snap.gauge('fleet_test_many', 'Many series.', ['stream', 'group']);
  for (let i = 0; i < 20_000; i++) g.set(i, `stream.${i}`, 'group-"0"');
  const chunks = [...renderChunks(snap.families(), OPENMETRICS_TEXT)];
  assert.ok(chunks.length > 5, `${chunks.length} chunks`);
  for (const chunk of chunks) assert.ok(chunk.endsWith('\n'));
  const text = chunks.join('');
  assert.equal(text, render(snap.families(), OPENMETRICS_TEXT));
  assert.ok(text.endsWith('# EOF\n'));
  const parsed = parseExposition(text);
  assert.equal(parsed.length, 20_000);
  assert.equal(parsed[19_999]!.labels.stream, 'stream.19999');
});
