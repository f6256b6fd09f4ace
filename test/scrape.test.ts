import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Collector, CollectContext, CollectResult } from '../src/collectors/types.js';
import { Snapshot } from '../src/metrics/family.js';
import { ScrapeEngine } from '../src/scrape.js';
import { sleep } from './helpers/net.js';

/** A collector driven by the test: it fails, hangs or succeeds on demand. */
class ScriptedCollector implements Collector {
  readonly timeoutSeconds: number;
  minIntervalSeconds = 0;
  calls = 0;
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  constructor(
    readonly name: string,
    timeoutSeconds = 1,
  ) {
    this.timeoutSeconds = timeoutSeconds;
  }
  start(): void {}
  async close(): Promise<void> {}
  async collect(ctx: CollectContext): Promise<CollectResult> {
    this.calls++;
    await sleep(20);
    if (this.mode === 'fail') throw new Error('source unreachable');
    if (this.mode === 'hang') await new Promise((r) => ctx.signal.addEventListener('abort', r));
    const snap = new Snapshot();
    snap.gauge(`${this.name}_value`, 'test').set(this.calls);
    return { families: snap.families() };
  }
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function up(result: Awaited<ReturnType<ScrapeEngine['scrape']>>, name: string): number | undefined {
  const f = result.families.find((x) => x.name === 'fleet_collector_up');
  return f?.samples.find((s) => s.labelValues[0] === name)?.value;
}

test('concurrent scrapes share one collection', async () => {
  const c = new ScriptedCollector('a');
  const engine = new ScrapeEngine([c], capturingLogger().log, 5);
  await Promise.all(Array.from({ length: 10 }, () => engine.scrape()));
  assert.equal(c.calls, 1);
  assert.equal(engine.collections, 1);
});

test('a failing collector is up=0 while the others keep reporting', async () => {
  const good = new ScriptedCollector('good');
  const bad = new ScriptedCollector('bad');
  bad.mode = 'fail';
  const engine = new ScrapeEngine([good, bad], capturingLogger().log, 5);
  const r = await engine.scrape();
  assert.equal(up(r, 'good'), 1);
  assert.equal(up(r, 'bad'), 0);
  assert.ok(r.families.some((f) => f.name === 'good_value'));
  assert.ok(!r.families.some((f) => f.name === 'bad_value'));
  assert.equal(r.statuses.find((s) => s.name === 'bad')?.lastError, 'source unreachable');
});

test('a hanging collector is cut off at its timeout and is not started again while it hangs', async () => {
  const slow = new ScriptedCollector('slow', 0.2);
  slow.mode = 'hang';
  const engine = new ScrapeEngine([slow], capturingLogger().log, 5);
  const t0 = Date.now();
  const r = await engine.scrape();
  assert.ok(Date.now() - t0 < 1000, 'scrape answers after the collector timeout');
  assert.equal(up(r, 'slow'), 0);
  assert.match(r.statuses[0]!.lastError!, /timed out after 0.2s/);
});

test("the scrape's own timeout caps a collector's budget", async () => {
  const slow = new ScriptedCollector('slow', 30);
  slow.mode = 'hang';
  const engine = new ScrapeEngine([slow], capturingLogger().log, 5);
  const t0 = Date.now();
  await engine.scrape(0.3);
  assert.ok(Date.now() - t0 < 1500);
});

test('a min interval serves the cached result', async () => {
  const c = new ScriptedCollector('cached');
  c.minIntervalSeconds = 60;
  const engine = new ScrapeEngine([c], capturingLogger().log, 5);
  await engine.scrape();
  await engine.scrape();
  await engine.scrape();
  assert.equal(c.calls, 1);
});

test('failures are logged once per change of state, not once per scrape', async () => {
  const c = new ScriptedCollector('flaky');
  const { log, lines } = capturingLogger();
  const engine = new ScrapeEngine([c], log, 5);
  await engine.scrape(); // up: logged
  c.mode = 'fail';
  for (let i = 0; i < 5; i++) await engine.scrape(); // down: logged once
  c.mode = 'ok';
  await engine.scrape(); // up again: logged
  await engine.scrape();
  const msgs = lines.map((l) => JSON.parse(l).msg as string);
  assert.deepEqual(msgs, ['collector is up', 'collector failed', 'collector is up']);
  const errors = (await engine.scrape()).families.find((f) => f.name === 'fleet_collector_errors_total');
  assert.equal(errors?.samples[0]?.value, 5);
});
