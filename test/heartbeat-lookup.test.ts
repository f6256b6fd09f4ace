import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { lookupHeartbeats, WorkerTable, type LookupSettings } from '../src/collectors/redis/heartbeats.js';
import { KeyTemplate } from '../src/collectors/redis/keys.js';
import { TestRedis } from './helpers/redis.js';

const heartbeatKey = new KeyTemplate('hb:{worker_type}:{worker_id}');
const settings: LookupSettings = { shutdownKey: new KeyTemplate('down:{worker_type}:{worker_id}'), ttlSeconds: 60 };

describe('heartbeat lookups into the worker table', () => {
  let redis: TestRedis;
  let client: Redis;

  before(async () => {
    redis = await TestRedis.start();
    client = redis.client();
  });
  after(async () => {
    client.disconnect();
    await redis.destroy();
  });

  test('a worker named twice gets one slot, and the table grows past its initial capacity', () => {
    const table = new WorkerTable(heartbeatKey, 1);
    const added: number[] = [];
    const a = table.slot('t', 'a', added);
    assert.equal(table.slot('t', 'a', added), a, 'same type and id: same slot');
    const other = table.slot('u', 'a', added);
    assert.notEqual(other, a, 'same id of another type is another worker');
    assert.deepEqual(added, [0, 1]);
    assert.equal(table.size, 2);
    assert.equal(table.heartbeatKeys[other], 'hb:u:a');
    assert.ok(Number.isNaN(table.ageSeconds[other]!), 'a grown column starts with no age');
  });

  test('results land in the table even when it grew while the lookup waited for Redis', async () => {
    const [seconds] = await client.time();
    const nowMs = Number(seconds) * 1000;
    await client.set('hb:t:fresh', String(Math.floor(nowMs / 1000) - 5));
    await client.set('hb:t:no-time', 'ok', 'EX', 50);
    await client.hset('hb:t:hash', 'at', 'x'); // another type: alive, no age (no TTL)
    await client.set('down:t:gone', '1');

    const table = new WorkerTable(heartbeatKey, 1);
    const slots: number[] = [];
    for (const id of ['fresh', 'no-time', 'hash', 'gone']) table.slot('t', id, slots);
    const lookup = lookupHeartbeats(client, table, slots, [], settings, nowMs);
    // Another chunk names more workers meanwhile: the columns are reallocated.
    for (let i = 0; i < 100; i++) table.slot('t', `late-${i}`);
    await lookup;

    const at = (id: string) => table.ids.indexOf(id);
    assert.equal(table.alive[at('fresh')], 1);
    assert.ok(Math.abs(table.ageSeconds[at('fresh')]! - 5) < 1.5, `age ${table.ageSeconds[at('fresh')]}`);
    assert.equal(table.alive[at('no-time')], 1);
    assert.ok(Math.abs(table.ageSeconds[at('no-time')]! - 10) < 1.5, 'age from TTL math');
    assert.equal(table.alive[at('hash')], 1);
    assert.ok(Number.isNaN(table.ageSeconds[at('hash')]!));
    assert.equal(table.alive[at('gone')], 0);
    assert.equal(table.markers[at('gone')], 1, 'a worker without a heartbeat has its shutdown marker read');
    assert.equal(table.markers[at('fresh')], 0);
  });

  test('with the keys the last SCAN found, only those get the EXISTS that tells a key of another type from a gone one', async () => {
    await client.hset('hb:v:scanned-hash', 'at', 'x');
    await client.hset('hb:v:new-hash', 'at', 'x'); // written after the last SCAN
    const table = new WorkerTable(heartbeatKey);
    const slots: number[] = [];
    for (const id of ['scanned-hash', 'new-hash', 'gone']) table.slot('v', id, slots);
    await lookupHeartbeats(client, table, slots, [], settings, Date.now(), new Set(['hb:v:scanned-hash']));
    const at = (id: string) => table.ids.indexOf(id);
    assert.equal(table.alive[at('scanned-hash')], 1);
    assert.equal(table.alive[at('new-hash')], 0, 'counts from the next SCAN on');
    assert.equal(table.alive[at('gone')], 0);

    const unscanned = new WorkerTable(heartbeatKey);
    const all: number[] = [];
    for (const id of ['scanned-hash', 'new-hash']) unscanned.slot('v', id, all);
    await lookupHeartbeats(client, unscanned, all, [], settings, Date.now());
    assert.deepEqual([...unscanned.alive.subarray(0, 2)], [1, 1], 'without a SCAN (heartbeats.scan: false) every missing key is checked');
  });
});
