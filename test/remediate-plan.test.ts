import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load.js';
import { jsonLine } from '../src/remediate/action.js';
import { parsePendingPage } from '../src/remediate/facts.js';
import { compareIds, nextId, planStream, streamSettings, trimFloor, type ConsumerFacts, type StreamFacts } from '../src/remediate/plan.js';
import { remediateSchema } from '../src/remediate/schema.js';

const ALL = new Set(['dead_letter', 'requeue', 'delete_consumer', 'trim']);
const cfg = (over: object = {}) => remediateSchema.parse(over);
const consumer = (name: string, over: Partial<ConsumerFacts> = {}): ConsumerFacts => ({ name, pending: 0, idleMs: 7_200_000, alive: false, marker: false, ...over });

/** A group of one stream: a live worker, a stranding one, phantoms, a poison entry. */
function fleet(): StreamFacts {
  return {
    name: 'stream.lookup',
    length: 100,
    firstEntryId: '1-0',
    groups: [
      {
        name: 'workers',
        pending: 4,
        lastDeliveredId: '50-0',
        consumers: [
          consumer('live', { alive: true, pending: 1, idleMs: 10 }),
          consumer('dead', { pending: 3 }),
          consumer('phantom'),
          consumer('leaving', { marker: true }),
          consumer('recent', { idleMs: 60_000 }),
        ],
        pendingEntries: [
          { id: '10-0', consumer: 'dead', idleMs: 900_000, deliveries: 1 },
          { id: '11-0', consumer: 'dead', idleMs: 900_000, deliveries: 7 },
          { id: '12-0', consumer: 'dead', idleMs: 100_000, deliveries: 1 },
          { id: '13-0', consumer: 'live', idleMs: 900_000, deliveries: 1 },
        ],
      },
    ],
  };
}

test('the planner names exactly the poison entry, the stranded entries past the threshold, and the idle phantom', () => {
  const actions = planStream(fleet(), streamSettings(cfg(), 'stream.lookup', ALL), 100);
  assert.deepEqual(
    actions.map((a) => [a.action, a.group, a.consumer, a.ids, a.skipped]),
    [
      ['dead_letter', 'workers', null, ['11-0'], null],
      ['requeue', 'workers', 'dead', ['10-0'], null],
      ['delete_consumer', 'workers', 'phantom', [], null],
      ['trim', null, null, ['10-0'], null],
    ],
  );
  assert.match(actions[1]!.reason, /claim for live consumer live/);
  assert.match(actions[0]!.reason, /stream\.lookup:dead/);
});

test('a consumer with pending entries, a heartbeat, a shutdown marker or a recent read attempt is never a phantom', () => {
  const deletes = planStream(fleet(), streamSettings(cfg(), 'stream.lookup', ALL), 100).filter((a) => a.action === 'delete_consumer');
  assert.deepEqual(
    deletes.map((a) => a.consumer),
    ['phantom'],
  );
});

test('per-stream overrides: the first matching glob wins, and it can narrow the actions', () => {
  const c = cfg({
    stranded_idle_seconds: 300,
    streams: { 'stream.look*': { stranded_idle_seconds: 60, actions: ['requeue'] }, 'stream.*': { stranded_idle_seconds: 1 } },
  });
  const set = streamSettings(c, 'stream.lookup', ALL);
  assert.equal(set.strandedIdleMs, 60_000);
  const actions = planStream(fleet(), set, 100);
  // Without dead_letter the poison entry is requeued like the others; 12-0 (100 s) is now past 60 s.
  assert.deepEqual(
    actions.map((a) => [a.action, a.ids]),
    [['requeue', ['10-0', '11-0', '12-0']]],
  );
  assert.equal(streamSettings(c, 'stream.other', ALL).strandedIdleMs, 1000);
});

test('requeue batches are capped by batch_size', () => {
  const s = fleet();
  s.groups[0]!.pendingEntries = Array.from({ length: 5 }, (_, i) => ({ id: `${i + 1}-0`, consumer: 'dead', idleMs: 900_000, deliveries: 1 }));
  const requeues = planStream(s, streamSettings(cfg(), s.name, new Set(['requeue'])), 2).map((a) => a.ids);
  assert.deepEqual(requeues, [['1-0', '2-0'], ['3-0', '4-0'], ['5-0']]);
});

test('without a live consumer entries are re-added when the stream has one group, and left alone (with the reason) when it has several', () => {
  const s = fleet();
  s.groups[0]!.consumers = s.groups[0]!.consumers.map((c) => ({ ...c, alive: false }));
  const solo = planStream(s, streamSettings(cfg(), s.name, new Set(['requeue'])), 100);
  assert.match(solo[0]!.reason, /re-add to the stream and ack/);
  assert.equal(solo[0]!.skipped, null);
  s.groups.push({ name: 'audit', pending: 0, lastDeliveredId: '0-0', consumers: [], pendingEntries: [] });
  const multi = planStream(s, streamSettings(cfg(), s.name, new Set(['requeue'])), 100);
  assert.match(multi[0]!.skipped!, /1 other group/);
});

test('trim keeps what the slowest group still needs: its oldest pending entry, or the one after its last delivered', () => {
  assert.equal(trimFloor([]), undefined);
  assert.equal(trimFloor([{ pending: 0, lastDeliveredId: '7-3', pendingEntries: [] }]), '7-4');
  assert.equal(
    trimFloor([
      { pending: 0, lastDeliveredId: '90-0', pendingEntries: [] },
      { pending: 2, lastDeliveredId: '95-0', pendingEntries: [{ id: '20-5', consumer: 'x', idleMs: 0, deliveries: 1 }] },
    ]),
    '20-5',
  );
  // A group that never read anything needs the whole stream.
  assert.equal(trimFloor([{ pending: 0, lastDeliveredId: '0-0', pendingEntries: [] }]), '0-1');
});

test('a stream without groups, or already trimmed to its floor, is not trimmed', () => {
  const set = streamSettings(cfg(), 's', new Set(['trim']));
  assert.deepEqual(planStream({ name: 's', length: 5, firstEntryId: '1-0', groups: [] }, set, 100), []);
  const s = fleet();
  s.firstEntryId = '10-0';
  assert.deepEqual(planStream(s, set, 100), []);
});

test('stream IDs compare as numbers, not strings', () => {
  assert.ok(compareIds('9-0', '10-0') < 0);
  assert.ok(compareIds('10-2', '10-10') < 0);
  assert.equal(compareIds('5-0', '5-0'), 0);
  assert.equal(nextId('18446744073709551615-41'), '18446744073709551615-42');
});

test('extended XPENDING rows parse into entries', () => {
  assert.deepEqual(parsePendingPage([['1-0', 'w', 1500, 3]]), [{ id: '1-0', consumer: 'w', idleMs: 1500, deliveries: 3 }]);
  assert.deepEqual(parsePendingPage(null), []);
});

test('a JSON line has exactly the contract keys, in order', () => {
  const [a] = planStream(fleet(), streamSettings(cfg(), 'stream.lookup', ALL), 100);
  assert.deepEqual(Object.keys(JSON.parse(jsonLine(a!))), ['action', 'stream', 'group', 'consumer', 'ids', 'reason', 'applied', 'skipped']);
});

test('bad remediate config is reported with key paths', () => {
  assert.throws(
    () =>
      parseConfig(
        `remediate:
  max_deliveries: 1
  dead_letter_key: dead
  streams:
    "stream.*": { stranded_idle_seconds: -1, bogus: 1 }
  actions: { trim: maybe }
`,
        'r.yml',
        {},
      ),
    (err: Error & { problems?: string[] }) => {
      const text = err.problems!.join('\n');
      assert.match(text, /remediate\.max_deliveries: /);
      assert.match(text, /remediate\.dead_letter_key: must contain \{stream\}/);
      assert.match(text, /remediate\.streams\.stream\.\*\.stranded_idle_seconds: /);
      assert.match(text, /remediate\.streams\.stream\.\*\.bogus: unknown key/);
      assert.match(text, /remediate\.actions\.trim: /);
      return true;
    },
  );
});
