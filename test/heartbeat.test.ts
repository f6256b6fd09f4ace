import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeartbeat } from '../src/heartbeat/index.js';
import { useTestRedis } from './helpers/redis.js';
import { REPO_ROOT } from './helpers/exporter.js';
import { waitFor } from './helpers/net.js';

const ctx = useTestRedis();

test('startHeartbeat keeps a key with a TTL and the time as value; stop() leaves a shutdown marker', async () => {
  const hb = startHeartbeat(ctx.client, { workerType: 'lookup', workerId: 'w1', ttlSeconds: 9, handleSignals: false });
  await waitFor(async () => (await ctx.client.exists('worker:heartbeat:lookup:w1')) === 1, 5000);
  const ttl = await ctx.client.ttl('worker:heartbeat:lookup:w1');
  assert.ok(ttl > 0 && ttl <= 9, `ttl ${ttl}`);
  const value = Number(await ctx.client.get('worker:heartbeat:lookup:w1'));
  assert.ok(Math.abs(value - Date.now() / 1000) < 5, 'value is the unix time in seconds');
  await hb.stop();
  assert.equal(await ctx.client.exists('worker:heartbeat:lookup:w1'), 0);
  const markerTtl = await ctx.client.ttl('worker:shutdown:lookup:w1');
  assert.ok(markerTtl > 9, 'the marker outlives the heartbeat');
});

test('abandon() stops refreshing without a marker, as a crash would', async () => {
  const hb = startHeartbeat(ctx.client, { workerType: 'lookup', workerId: 'w2', ttlSeconds: 1, handleSignals: false });
  await waitFor(async () => (await ctx.client.exists('worker:heartbeat:lookup:w2')) === 1, 5000);
  hb.abandon();
  await waitFor(async () => (await ctx.client.exists('worker:heartbeat:lookup:w2')) === 0, 5000);
  assert.equal(await ctx.client.exists('worker:shutdown:lookup:w2'), 0);
});

test('a worker process killed with SIGTERM writes its shutdown marker before it exits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-hb-'));
  const script = join(dir, 'worker.mjs');
  writeFileSync(
    script,
    `import { Redis } from '${REPO_ROOT}/node_modules/ioredis/built/index.js';
import { startHeartbeat } from '${REPO_ROOT}/dist/src/heartbeat/index.js';
const redis = new Redis(${ctx.redis.port});
startHeartbeat(redis, { workerType: 'score', workerId: 'w3', ttlSeconds: 15 });
setInterval(() => {}, 1000);
`,
  );
  const child = spawn(process.execPath, [script], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.once('exit', (_c, sig) => res(sig)));
  await waitFor(async () => (await ctx.client.exists('worker:heartbeat:score:w3')) === 1, 10_000);
  child.kill('SIGTERM');
  assert.equal(await exited, 'SIGTERM', 'the signal is re-raised: the process still dies of it');
  assert.equal(await ctx.client.exists('worker:shutdown:score:w3'), 1);
  assert.equal(await ctx.client.exists('worker:heartbeat:score:w3'), 0);
});
