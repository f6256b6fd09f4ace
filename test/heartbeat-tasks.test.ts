import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startHeartbeat } from '../src/heartbeat/index.js';
import { TestRedis, useTestRedis } from './helpers/redis.js';
import { waitFor } from './helpers/net.js';

const ctx = useTestRedis();

test('wrap() times a task: ok when it resolves, error when it throws (rethrown), wait from the entry id', async () => {
  const hb = startHeartbeat(ctx.client, { workerType: 'wrap', workerId: 'w1', handleSignals: false });
  const value = await hb.wrap(
    async () => {
      await new Promise((res) => setTimeout(res, 30));
      return 42;
    },
    { entryId: `${Date.now() - 3000}-0` },
  );
  assert.equal(value, 42);
  await assert.rejects(
    hb.wrap(() => {
      throw new Error('boom');
    }),
    /boom/,
  );
  await hb.flush();
  const h = await ctx.client.hgetall('worker:metrics:wrap');
  assert.equal(h['tasks:ok'], '1');
  assert.equal(h['tasks:error'], '1');
  assert.ok(Number(h.duration_sum) >= 0.025, `duration_sum ${h.duration_sum}`);
  assert.equal(h['wait_bucket:5'], '1', 'waited about 3 s');
  assert.equal(h['duration_bucket:0.005'], '1', 'the throwing task took no time');
  await hb.stop();
});

test('a flush that fails keeps the counts; the next one writes them, layout included', async () => {
  const own = await TestRedis.start();
  const client = new Redis(own.port, '127.0.0.1', { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await waitFor(() => client.status === 'ready');
    const hb = startHeartbeat(client, { workerType: 'flaky', workerId: 'w1', ttlSeconds: 60, handleSignals: false });
    await waitFor(async () => (await client.exists('worker:heartbeat:flaky:w1')) === 1);
    await own.stop();
    hb.observe({ durationSeconds: 0.2, waitSeconds: 1 });
    hb.observe({ outcome: 'error', durationSeconds: 20 });
    await assert.rejects(hb.flush());
    await own.launch();
    await waitFor(() => client.status === 'ready', 10_000);
    await hb.flush();
    const h = await client.hgetall('worker:metrics:flaky');
    assert.equal(h['tasks:ok'], '1');
    assert.equal(h['tasks:error'], '1');
    assert.equal(h['duration_bucket:0.25'], '1');
    assert.equal(h['duration_bucket:+Inf'], '1');
    assert.equal(h['duration_bucket:0.005'], '0', 'every bucket is written by the first flush that succeeds');
    assert.equal(h['wait_bucket:1'], '1');
    await hb.stop();
  } finally {
    client.disconnect();
    await own.destroy();
  }
});
