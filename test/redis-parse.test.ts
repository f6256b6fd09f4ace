import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyTemplate } from '../src/collectors/redis/keys.js';
import { heartbeatTimeMs, parseInfo, parseOldestPending, parseXinfoConsumers, parseXinfoGroups, parseXinfoStream, streamIdMs } from '../src/collectors/redis/parse.js';

// Replies as ioredis returns them from Redis 7.0.
const XINFO_STREAM = [
  'length',
  2,
  'radix-tree-keys',
  1,
  'radix-tree-nodes',
  2,
  'last-generated-id',
  '1700000005000-0',
  'max-deleted-entry-id',
  '0-0',
  'entries-added',
  7,
  'recorded-first-entry-id',
  '1700000001000-0',
  'groups',
  1,
  'first-entry',
  ['1700000001000-0', ['task', '{"id":1}']],
  'last-entry',
  ['1700000005000-0', ['task', '{"id":2}']],
];

test('XINFO STREAM gives length, entries-added, the first entry and the last generated id', () => {
  assert.deepEqual(parseXinfoStream(XINFO_STREAM), {
    length: 2,
    entriesAdded: 7,
    lastGeneratedId: '1700000005000-0',
    firstEntryId: '1700000001000-0',
  });
});

test('XINFO GROUPS keeps a null lag absent rather than guessing', () => {
  const groups = parseXinfoGroups([
    ['name', 'g1', 'consumers', 2, 'pending', 3, 'last-delivered-id', '1-0', 'entries-read', 5, 'lag', 1],
    ['name', 'g2', 'consumers', 0, 'pending', 0, 'last-delivered-id', '0-0', 'entries-read', null, 'lag', null],
  ]);
  assert.equal(groups[0]!.lag, 1);
  assert.equal(groups[0]!.entriesRead, 5);
  assert.equal(groups[1]!.lag, undefined);
  assert.equal(groups[1]!.entriesRead, undefined);
});

test('XINFO CONSUMERS parses both the usual field order and any other', () => {
  assert.deepEqual(
    parseXinfoConsumers([
      ['name', 'w1', 'pending', 2, 'idle', 1500, 'inactive', 1500],
      ['idle', 10, 'name', 'w2', 'pending', 0],
    ]),
    { names: ['w1', 'w2'], pending: [2, 0], idleMs: [1500, 10] },
  );
});

test('XINFO CONSUMERS read as bytes (xinfoBuffer) parses alike, each name through the label function', () => {
  const b = (s: string) => Buffer.from(s);
  const labels: Buffer[] = [];
  const label = (name: unknown) => (labels.push(name as Buffer), `label:${String(name)}`);
  assert.deepEqual(
    parseXinfoConsumers(
      [
        [b('name'), b('w1'), b('pending'), 2, b('idle'), 1500, b('inactive'), 1500],
        [b('idle'), 10, b('name'), b('w2'), b('pending'), 0],
        [b('namf'), b('x'), b('pending'), 1, b('idle'), 5],
      ],
      label,
    ),
    { names: ['label:w1', 'label:w2', 'label:undefined'], pending: [2, 0, 1], idleMs: [1500, 10, 5] },
  );
  assert.ok(labels.slice(0, 2).every((n) => Buffer.isBuffer(n)));
});

test('extended XPENDING gives the oldest entry, or nothing when nothing is pending', () => {
  assert.deepEqual(parseOldestPending([['1-0', 'w1', 61000, 4]]), { id: '1-0', consumer: 'w1', idleMs: 61000, deliveries: 4 });
  assert.equal(parseOldestPending([]), undefined);
});

test('stream IDs carry their creation time in milliseconds', () => {
  assert.equal(streamIdMs('1700000001000-3'), 1700000001000);
  assert.equal(streamIdMs('0-0'), undefined);
  assert.equal(streamIdMs(undefined), undefined);
});

test('INFO sections parse into fields', () => {
  const m = parseInfo('# Memory\r\nused_memory:1024\r\nmaxmemory:0\r\n');
  assert.equal(m.get('used_memory'), '1024');
  assert.equal(m.get('maxmemory'), '0');
});

const NOW = 1700000100000; // Redis's TIME, 100 s after the heartbeats below

test('heartbeat values read as bytes (MGET as Buffers) give the same times as text', () => {
  const values = [
    '1700000000',
    '1700000000123',
    '1700000000.5',
    '{"ts": 1700000000}',
    '',
    'alive',
    '-5',
    '  123  ',
    '1000000000',
    '99999999999999999999',
    String(NOW / 1000 + 3601),
  ];
  for (const v of values) assert.equal(heartbeatTimeMs(Buffer.from(v), NOW), heartbeatTimeMs(v, NOW), JSON.stringify(v));
  assert.equal(heartbeatTimeMs(Buffer.from('1700000000'), NOW), 1700000000000);
});

test('heartbeat values: unix seconds, milliseconds, JSON with a timestamp, or nothing to tell', () => {
  assert.equal(heartbeatTimeMs('1700000000', NOW), 1700000000000);
  assert.equal(heartbeatTimeMs('1700000000.5', NOW), 1700000000500);
  assert.equal(heartbeatTimeMs('1700000000123', NOW), 1700000000123);
  assert.equal(heartbeatTimeMs('{"ts": 1700000000, "host": "a"}', NOW), 1700000000000);
  assert.equal(heartbeatTimeMs('{"timestamp": "2023-11-14T22:13:20Z"}', NOW), 1700000000000);
  assert.equal(heartbeatTimeMs(' {"ts": "1700000000"} ', NOW), 1700000000000, 'JSON may carry whitespace');
  assert.equal(heartbeatTimeMs('', NOW), undefined);
  assert.equal(heartbeatTimeMs('alive', NOW), undefined);
  assert.equal(heartbeatTimeMs('{"broken', NOW), undefined);
  assert.equal(heartbeatTimeMs('{"status":"ok"}', NOW), undefined);
  assert.equal(heartbeatTimeMs('-5', NOW), undefined);
  assert.equal(heartbeatTimeMs(null, NOW), undefined);
});

test('a heartbeat value that is no plausible time tells nothing, so the age comes from the TTL', () => {
  for (const value of ['  123  ', ' 1700000000', '1700000000\n', '123', '999999999', '999999999999', '{"ts": 42}', '{"at": "1970-01-02T00:00:00Z"}']) {
    assert.equal(heartbeatTimeMs(value, NOW), undefined, JSON.stringify(value));
  }
  assert.equal(heartbeatTimeMs('1000000000', NOW), 1e12, 'from 2001-09-09 on');
  assert.equal(heartbeatTimeMs(String(NOW / 1000 + 3600), NOW), NOW + 3600_000, 'up to an hour ahead of Redis (clock skew)');
  assert.equal(heartbeatTimeMs(String(NOW / 1000 + 3601), NOW), undefined, 'further ahead');
  assert.equal(heartbeatTimeMs(String(NOW + 7200_000), NOW), undefined, 'in milliseconds too');
  assert.equal(heartbeatTimeMs('{"updated_at": "2099-01-01T00:00:00Z"}', NOW), undefined);
});

test('key templates format, parse and become SCAN patterns', () => {
  const t = new KeyTemplate('worker:heartbeat:{worker_type}:{worker_id}');
  assert.equal(t.format('stream.lookup', 'w-1'), 'worker:heartbeat:stream.lookup:w-1');
  assert.deepEqual(t.parse('worker:heartbeat:stream.lookup:host:123'), { workerType: 'stream.lookup', workerId: 'host:123' });
  assert.equal(t.parse('worker:shutdown:a:b'), undefined);
  assert.equal(t.scanPattern, 'worker:heartbeat:*:*');
  assert.equal(new KeyTemplate('hb[{worker_type}]*{worker_id}').scanPattern, 'hb\\[*\\]\\**');
});
