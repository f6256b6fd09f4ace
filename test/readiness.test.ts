// /readyz means "every source has answered once"; /healthz stays liveness.
// A real redis-server frozen with SIGSTOP before the exporter starts: its
// kernel still accepts the connection, but nothing answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Collector, CollectContext, CollectResult } from '../src/collectors/types.js';
import { ScrapeEngine } from '../src/scrape.js';
import { ExporterProcess } from './helpers/exporter.js';
import { sleep, waitFor } from './helpers/net.js';
import { TestRedis } from './helpers/redis.js';

const TIMEOUT_SECONDS = 1;

let redis: TestRedis;
let redisPid: number;
let frozen = false;
let exporter: ExporterProcess | undefined;

before(async () => {
  redis = await TestRedis.start();
  const client = redis.client();
  redisPid = Number(/process_id:(\d+)/.exec(await client.info('server'))![1]);
  client.disconnect();
});
after(async () => {
  if (frozen) process.kill(redisPid, 'SIGCONT'); // a failed test must not leave a stopped redis-server behind
  await exporter?.stop();
  await redis.destroy();
});

const status = async (path: string) => (await fetch(`${exporter!.base}${path}`)).status;

test('/readyz is 503 while Redis is frozen at start, and 200 within one collection after it answers', async () => {
  process.kill(redisPid, 'SIGSTOP');
  frozen = true;
  exporter = await ExporterProcess.start({ redis: { url: redis.url, timeout_seconds: TIMEOUT_SECONDS } });

  // Several probes, each starting a collection that runs out of time: still not ready, yet alive.
  for (let i = 0; i < 3; i++) {
    const r: Response = await fetch(`${exporter.base}/readyz`);
    assert.equal(r.status, 503);
    assert.match(await r.text(), /waiting for the first answer of redis/);
    assert.equal(await status('/healthz'), 200);
    await sleep(TIMEOUT_SECONDS * 1000 + 200);
  }
  assert.equal(await status('/readyz'), 503);

  process.kill(redisPid, 'SIGCONT');
  frozen = false;
  const resumed = Date.now();
  await waitFor(async () => (await status('/readyz')) === 200, 10_000, 100);
  const waitedMs = Date.now() - resumed;
  // The collection in flight when Redis resumed, then the one that succeeds.
  assert.ok(waitedMs < 2 * TIMEOUT_SECONDS * 1000 + 500, `ready ${waitedMs} ms after Redis resumed`);
  assert.match(await (await fetch(`${exporter.base}/metrics`)).text(), /^fleet_redis_up 1$/m);
});

test('once ready it stays ready: a source that later fails shows as fleet_collector_up 0, not as 503', async () => {
  assert.ok(exporter, 'runs after the first test');
  await redis.stop();
  assert.match(await (await fetch(`${exporter.base}/metrics`)).text(), /^fleet_collector_up\{collector="redis"\} 0$/m);
  assert.equal(await status('/readyz'), 200);
  assert.equal(await status('/healthz'), 200);
});

/** A scrape-time collector that answers, fails or hangs as the test says. */
class Scripted implements Collector {
  readonly timeoutSeconds = 0.2;
  readonly minIntervalSeconds = 0;
  constructor(
    readonly name: string,
    public mode: 'ok' | 'fail' | 'hang',
  ) {}
  start(): void {}
  async close(): Promise<void> {}
  async collect(ctx: CollectContext): Promise<CollectResult> {
    if (this.mode === 'fail') throw new Error('connection refused');
    if (this.mode === 'hang') await new Promise((r) => ctx.signal.addEventListener('abort', r));
    return { families: [] };
  }
}

test('the engine is ready once every collector answered, a definite failure included, but not a timeout', async () => {
  const ok = new Scripted('ok', 'ok');
  const refused = new Scripted('refused', 'fail');
  const frozen = new Scripted('frozen', 'hang');
  const engine = new ScrapeEngine([ok, refused, frozen], pino({ level: 'silent' }), 5);
  assert.deepEqual(engine.pendingCollectors(), ['ok', 'refused', 'frozen']);
  assert.equal(engine.ready(), false);
  await engine.scrape();
  assert.deepEqual(engine.pendingCollectors(), ['frozen']);
  assert.equal(engine.ready(), false);
  frozen.mode = 'ok';
  await engine.scrape();
  assert.equal(engine.ready(), true);
});
