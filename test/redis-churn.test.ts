import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RedisCollector } from '../src/collectors/redis/index.js';
import { parseConfig } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import { ScrapeEngine } from '../src/scrape.js';
import { TestRedis } from './helpers/redis.js';
import { waitFor } from './helpers/net.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const FLEET = 40;
const SCRAPES = 1000;

test(`under stream churn, ${SCRAPES} scrapes report the fleet that exists, and the heap floor stays flat`, async (t) => {
  const redis = await TestRedis.start();
  const r = redis.client();
  // A budget of 1 s: ioredis keeps a command that got an error reply (XINFO of a stream deleted
  // since discovery) until its timeout timer fires, so the floor includes ~timeout_seconds of them.
  const config = parseConfig(
    `redis:\n  url: ${redis.url}\n  timeout_seconds: 1\n  streams: { patterns: ["stream.*"], discovery_interval_seconds: 0.05 }\n  heartbeats: { scan_interval_seconds: 0.05 }\n`,
    'churn.yml',
    {},
  );
  const engine = new ScrapeEngine([new RedisCollector(config.redis!)], createLogger('error'), 10);
  engine.start();

  let next = 0;
  const live: string[] = [];
  const addStream = () => {
    const stream = `stream.s${next++}`;
    live.push(stream);
    return r.multi().xgroup('CREATE', stream, 'g', '$', 'MKSTREAM').xgroup('CREATECONSUMER', stream, 'g', 'w').set(`worker:heartbeat:${stream}:w`, '', 'EX', 60).exec();
  };
  const workerTypes = async () => {
    const { families } = await engine.scrape();
    return (families.find((f) => f.name === 'fleet_workers_alive')?.samples ?? []).map((s) => s.labelValues[0]!).sort();
  };
  const heapFloor = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };

  try {
    for (let i = 0; i < FLEET; i++) await addStream();
    const floors: number[] = [];
    let maxSeries = 0;
    for (let scrape = 1; scrape <= SCRAPES; scrape++) {
      // Every scrape, the oldest stream is deleted with its worker and a new one takes its place.
      const gone = live.shift()!;
      await r.del(gone, `worker:heartbeat:${gone}:w`);
      await addStream();
      const types = await workerTypes();
      maxSeries = Math.max(maxSeries, types.length);
      if (scrape % 100 === 0) {
        // Once discovery has caught up, exactly the streams that exist now.
        const expected = [...live].sort().join();
        await waitFor(async () => (await workerTypes()).join() === expected, 5000, 20);
        floors.push(heapFloor());
      }
    }
    // Discovery lags churn by an interval or two: never more than a few streams beyond the fleet.
    assert.ok(maxSeries <= FLEET + 10, `at most ${FLEET + 10} worker types at once, saw ${maxSeries}`);
    const [early, late] = [Math.min(...floors.slice(1, 4)), Math.min(...floors.slice(-3))];
    t.diagnostic(`worker types at most ${maxSeries} (fleet ${FLEET}); heap floor ${(early / 2 ** 20).toFixed(1)} → ${(late / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(late - early < 2 * 1024 * 1024, `heap floor ${(early / 2 ** 20).toFixed(1)} MiB → ${(late / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    await engine.close();
    r.disconnect();
    await redis.destroy();
  }
});
