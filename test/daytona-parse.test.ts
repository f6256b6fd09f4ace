import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildDaytonaMetrics } from '../src/collectors/daytona/metrics.js';
import { GIB, parseSandboxPage, stateLabel, toSandbox, type Sandbox } from '../src/collectors/daytona/parse.js';
import { daytonaSchema } from '../src/collectors/daytona/schema.js';
import { ConfigError, parseConfig } from '../src/config/load.js';
import type { MetricFamily } from '../src/metrics/family.js';
import { makeSandboxes } from './fakes/daytona-server.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

function sample(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  if (!f) return undefined;
  const hits = f.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labelValues[f.labelNames.indexOf(k)] === v));
  assert.ok(hits.length <= 1, `${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

function sandboxes(n: number, opts: { state?: string } = {}): Sandbox[] {
  return makeSandboxes(n, { nowMs: NOW, ...opts }).map((s) => toSandbox(s)!);
}

describe('Daytona sandbox list parsing', () => {
  it('reads the cursor-paginated response and its next cursor', () => {
    const page = parseSandboxPage(JSON.stringify({ items: makeSandboxes(3, { nowMs: NOW }), nextCursor: 'abc' }));
    assert.equal(page.sandboxes.length, 3);
    assert.equal(page.nextCursor, 'abc');
    const last = parseSandboxPage(JSON.stringify({ items: [], nextCursor: null }));
    assert.equal(last.nextCursor, undefined);
  });

  it('accepts the older plain-array response as a single page', () => {
    const page = parseSandboxPage(JSON.stringify(makeSandboxes(4, { nowMs: NOW })));
    assert.equal(page.sandboxes.length, 4);
    assert.equal(page.nextCursor, undefined);
  });

  it('converts memory and disk from GiB to bytes and keeps Daytona fields', () => {
    const s = toSandbox({ id: 'x', state: 'started', cpu: 2, gpu: 1, memory: 4, disk: 10, autoStopInterval: 15, lastActivityAt: '2025-06-01T11:59:00Z' })!;
    assert.equal(s.memoryBytes, 4 * GIB);
    assert.equal(s.diskBytes, 10 * 1073741824);
    assert.equal(s.autoStopMinutes, 15);
    assert.equal(s.lastActivityAtMs, Date.parse('2025-06-01T11:59:00Z'));
  });

  it('rejects malformed JSON and unexpected shapes with a clear message', () => {
    assert.throws(() => parseSandboxPage('{"items": [{"id'), /malformed JSON/);
    assert.throws(() => parseSandboxPage('{"data": []}'), /unexpected sandbox list shape/);
  });

  it('skips and counts items without an id instead of failing the refresh', () => {
    const page = parseSandboxPage(JSON.stringify({ items: [{ state: 'started' }, { id: 'ok', state: 'started', cpu: 'two' }], nextCursor: null }));
    assert.equal(page.invalid, 1);
    assert.equal(page.sandboxes[0]!.cpu, 0, 'a non-numeric cpu reads as 0 rather than failing the item');
  });

  it('passes unknown future states through and sanitizes only odd characters', () => {
    assert.equal(stateLabel('hibernating'), 'hibernating');
    assert.equal(stateLabel('pulling_snapshot'), 'pulling_snapshot');
    assert.equal(stateLabel('weird state\n'), 'weird_state');
    assert.equal(stateLabel(undefined), 'unknown');
    assert.equal(stateLabel(''), 'unknown');
  });
});

describe('Daytona fleet metrics', () => {
  const opts = { nowMs: NOW, labelMap: {}, maxSandboxSeries: 1000 };

  it('counts sandboxes by state and target and sums allocated resources by state', () => {
    const list = sandboxes(16); // states cycle over 8, targets alternate us/eu
    const { families } = buildDaytonaMetrics(list, opts);
    const started = list.filter((s) => s.state === 'started');
    assert.equal(sample(families, 'fleet_daytona_sandboxes', { state: 'started', target: 'us' }), started.filter((s) => s.target === 'us').length);
    assert.equal(
      sample(families, 'fleet_daytona_sandbox_cpu_cores', { state: 'started' }),
      started.reduce((a, s) => a + s.cpu, 0),
    );
    assert.equal(
      sample(families, 'fleet_daytona_sandbox_memory_bytes', { state: 'started' }),
      started.reduce((a, s) => a + s.memoryBytes, 0),
    );
    assert.equal(sample(families, 'fleet_daytona_sandbox_gpus', { state: 'error' }), 0);
  });

  it('exports age since createdAt and idle time since lastActivityAt per sandbox', () => {
    const { families } = buildDaytonaMetrics(sandboxes(5), opts);
    assert.equal(sample(families, 'fleet_daytona_sandbox_age_seconds', { sandbox_id: 'sb-000003' }), 180);
    assert.equal(sample(families, 'fleet_daytona_sandbox_idle_seconds', { sandbox_id: 'sb-000003' }), 3);
    assert.equal(sample(families, 'fleet_daytona_sandbox_info', { sandbox_id: 'sb-000003', state: 'stopped', name: 'worker-3' }), 1);
  });

  it('maps allow-listed Daytona labels onto the info series, and no others', () => {
    const { families } = buildDaytonaMetrics(sandboxes(2), { ...opts, labelMap: { 'task-id': 'task_id' } });
    const info = families.find((f) => f.name === 'fleet_daytona_sandbox_info')!;
    assert.ok(info.labelNames.includes('task_id'));
    assert.ok(!info.labelNames.includes('worker_id'));
    assert.equal(sample(families, 'fleet_daytona_sandbox_info', { sandbox_id: 'sb-000001', task_id: 'task-1' }), 1);
  });

  it('caps per-sandbox series, keeps failures and running sandboxes first, and reports the rest as dropped', () => {
    const list = [...sandboxes(10, { state: 'archived' }), ...sandboxes(3, { state: 'error' }).map((s) => ({ ...s, id: `err-${s.id}` }))];
    const { families, dropped } = buildDaytonaMetrics(list, { ...opts, maxSandboxSeries: 5 });
    assert.equal(dropped, 8);
    const info = families.find((f) => f.name === 'fleet_daytona_sandbox_info')!;
    assert.equal(info.samples.length, 5);
    assert.equal(info.samples.filter((s) => s.labelValues[2] === 'error').length, 3);
    assert.equal(sample(families, 'fleet_daytona_sandboxes', { state: 'archived', target: 'us' }), 5, 'aggregates still count every sandbox');
  });

  it('estimates the hourly cost by state from list prices, compute only while started', () => {
    const pricing = daytonaSchema.parse({ api_url: 'http://x/api', api_key: 'k', pricing: { cpu_hour: 0.05, memory_gib_hour: 0.01, disk_gib_hour: 0.001 } }).pricing!;
    const list = [
      toSandbox({ id: 'a', state: 'started', cpu: 2, memory: 4, disk: 10 })!,
      toSandbox({ id: 'b', state: 'stopped', cpu: 2, memory: 4, disk: 10 })!,
      toSandbox({ id: 'c', state: 'archived', cpu: 2, memory: 4, disk: 10 })!,
    ];
    const { families } = buildDaytonaMetrics(list, { ...opts, pricing });
    assert.ok(Math.abs(sample(families, 'fleet_daytona_estimated_cost_per_hour', { state: 'started' })! - (0.1 + 0.04 + 0.01)) < 1e-9);
    assert.ok(Math.abs(sample(families, 'fleet_daytona_estimated_cost_per_hour', { state: 'stopped' })! - 0.01) < 1e-9);
    assert.equal(sample(families, 'fleet_daytona_estimated_cost_per_hour', { state: 'archived' }), 0);
  });

  it('exports no cost series without pricing', () => {
    const { families } = buildDaytonaMetrics(sandboxes(3), opts);
    assert.equal(
      families.find((f) => f.name === 'fleet_daytona_estimated_cost_per_hour'),
      undefined,
    );
  });
});

describe('Daytona config', () => {
  it('accepts the contract keys, reading the API key from api_key_file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'daytona-cfg-'));
    writeFileSync(join(dir, 'key'), 'dtn_secret_from_file\n');
    const cfg = parseConfig(`daytona:\n  api_url: http://127.0.0.1:1/api\n  api_key_file: ${join(dir, 'key')}\n  refresh_seconds: 15\n`, 'x.yml');
    assert.equal(cfg.daytona!.api_key, 'dtn_secret_from_file');
    assert.equal(cfg.daytona!.refresh_seconds, 15);
    assert.equal(cfg.daytona!.page_size, 200);
  });

  it('rejects a page size above the API maximum, and label names Prometheus would refuse, with key paths', () => {
    const text = 'daytona:\n  api_url: http://x/api\n  api_key: k\n  page_size: 500\n  labels: { "task-id": "task-id", worker: state }\n';
    assert.throws(
      () => parseConfig(text, 'x.yml'),
      (err: unknown) => {
        const problems = (err as ConfigError).problems.join('\n');
        assert.match(problems, /daytona\.page_size/);
        assert.match(problems, /daytona\.labels\.task-id: must be a Prometheus label name/);
        assert.match(problems, /daytona\.labels\.worker: must not be one of/);
        return true;
      },
    );
  });
});
