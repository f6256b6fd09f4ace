import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import yaml from 'js-yaml';
import pino from 'pino';
import { RedisCollector } from '../src/collectors/redis/index.js';
import { parseConfig } from '../src/config/load.js';
import { compareIds } from '../src/remediate/plan.js';
import { Remediation } from '../src/remediate/run.js';
import { CLI, REPO_ROOT } from './helpers/exporter.js';
import { sleep } from './helpers/net.js';
import { valueOf } from './helpers/postgres.js';
import { TestRedis } from './helpers/redis.js';

/**
 * remediate against a real redis-server: a fleet with live workers, phantoms,
 * stranded and poison entries and an untrimmed stream; the plan must change
 * nothing, --apply must fix each and lose no entry.
 */

let redis: TestRedis;
let r: Redis;
const PASSWORD = 'remediate-pw-4711';
const READONLY_PASSWORD = 'exporter-pw-0815';

before(async () => {
  redis = await TestRedis.start();
  r = redis.client();
  // The documented least-privilege users: remediation's own, and the exporter's read-only one (docs/redis.md).
  const line = readFileSync(join(REPO_ROOT, 'deploy/redis-remediate.acl'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('user '))!;
  const rules = line
    .split(/\s+/)
    .slice(2)
    .filter((t) => t !== 'nopass');
  await r.call('ACL', 'SETUSER', 'fleet-remediate', ...rules, `>${PASSWORD}`);
  await r.call('ACL', 'SETUSER', 'fleet', 'on', `>${READONLY_PASSWORD}`, '~*', '+@read', '+info', '+time', '+ping', '+scan', '+client|setname');
});

after(async () => {
  r?.disconnect();
  await redis?.destroy();
});

const id = (n: number) => `${n}-0`;
const HB = (type: string, w: string) => `worker:heartbeat:${type}:${w}`;

/**
 * stream.lookup (groups workers + audit): t1-t20. workers: `live` acked t1-t10, `dead` holds
 * t11-t13, `poison` holds t14 delivered 5 times, t15-t20 undelivered; phantoms ph1, ph2, `bye`
 * (shutdown marker) and `fresh` (created just before the plan). audit: `alive` acked t1-t5.
 * stream.solo (group g, nobody alive): `gone` holds s1-s2, s3 undelivered.
 * stream.nogroup: 5 entries, no group.
 */
async function seed(): Promise<void> {
  await r.flushall();
  for (let n = 1; n <= 20; n++) await r.xadd('stream.lookup', id(n), 'task', `t${n}`);
  await r.xgroup('CREATE', 'stream.lookup', 'workers', '0');
  await r.xgroup('CREATE', 'stream.lookup', 'audit', '0');
  await r.set(HB('lookup', 'live'), String(Date.now()), 'EX', 600);
  await r.set(HB('lookup', 'alive'), String(Date.now()), 'EX', 600);
  await r.xreadgroup('GROUP', 'workers', 'live', 'COUNT', 10, 'STREAMS', 'stream.lookup', '>');
  await r.xack('stream.lookup', 'workers', ...Array.from({ length: 10 }, (_, i) => id(i + 1)));
  await r.xreadgroup('GROUP', 'workers', 'dead', 'COUNT', 3, 'STREAMS', 'stream.lookup', '>');
  await r.xreadgroup('GROUP', 'workers', 'poison', 'COUNT', 1, 'STREAMS', 'stream.lookup', '>');
  await r.xclaim('stream.lookup', 'workers', 'poison', 0, id(14), 'RETRYCOUNT', 5);
  for (const c of ['ph1', 'ph2', 'bye']) await r.xgroup('CREATECONSUMER', 'stream.lookup', 'workers', c);
  await r.set('worker:shutdown:lookup:bye', '1', 'EX', 600);
  await r.xreadgroup('GROUP', 'audit', 'alive', 'COUNT', 5, 'STREAMS', 'stream.lookup', '>');
  await r.xack('stream.lookup', 'audit', ...Array.from({ length: 5 }, (_, i) => id(i + 1)));

  for (let n = 1; n <= 3; n++) await r.xadd('stream.solo', id(n), 'task', `s${n}`);
  await r.xgroup('CREATE', 'stream.solo', 'g', '0');
  await r.xreadgroup('GROUP', 'g', 'gone', 'COUNT', 2, 'STREAMS', 'stream.solo', '>');

  for (let n = 1; n <= 5; n++) await r.xadd('stream.nogroup', id(n), 'task', `n${n}`);
  await sleep(1100); // past the 1 s idle thresholds of the test config
}

const CONFIG = {
  redis: {
    url: '',
    streams: { patterns: ['stream.*'] },
    worker_types: [{ name: 'lookup', stream: 'stream.lookup' }],
  },
  remediate: { phantom_idle_seconds: 1, stranded_idle_seconds: 1, max_deliveries: 5, redis: { username: 'fleet-remediate', password: PASSWORD } },
};

function configFile(over: (c: typeof CONFIG) => object = (c) => c): string {
  const c = structuredClone(CONFIG);
  c.redis.url = redis.url;
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-remediate-')), 'fleet.yml');
  writeFileSync(file, yaml.dump(over(c)));
  return file;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(CLI, ['remediate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const jsonLines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Every key's DUMP plus each group's PEL (ids, owners, delivery counts): equal means nothing changed. */
async function snapshot(): Promise<string> {
  const keys = (await r.keys('*')).sort();
  const out: unknown[] = [];
  for (const k of keys) {
    out.push(k, (await r.dumpBuffer(k))!.toString('base64'));
    if ((await r.type(k)) !== 'stream') continue;
    for (const g of (await r.xinfo('GROUPS', k)) as unknown[][]) {
      const pel = (await r.xpending(k, String(g[1]), '-', '+', 1000)) as unknown[][];
      out.push(
        g,
        pel.map(([i, c, , d]) => [i, c, d]),
      );
    }
  }
  return JSON.stringify(out);
}

/** Where each task of `group` is: undelivered, pending on a consumer, or dead-lettered. */
async function whereabouts(stream: string, group: string): Promise<Map<string, string>> {
  const where = new Map<string, string>();
  const g = ((await r.xinfo('GROUPS', stream)) as unknown[][]).map((x) => Object.fromEntries(Array.from({ length: x.length / 2 }, (_, i) => [x[2 * i], x[2 * i + 1]])));
  const last = String(g.find((x) => x.name === group)!['last-delivered-id']);
  const entries = (await r.xrange(stream, '-', '+')) as [string, string[]][];
  const task = new Map(entries.map(([i, f]) => [i, f[f.indexOf('task') + 1]!] as const));
  for (const [i] of entries) if (compareIds(i, last) > 0) where.set(task.get(i)!, 'undelivered');
  for (const [i, c] of (await r.xpending(stream, group, '-', '+', 1000)) as [string, string][]) where.set(task.get(i)!, `pending:${c}`);
  for (const [, f] of (await r.xrange(`${stream}:dead`, '-', '+')) as [string, string[]][]) {
    if (f[f.indexOf('dead.group') + 1] === group) where.set(f[f.indexOf('task') + 1]!, 'dead');
  }
  return where;
}

test('the plan names exactly the phantoms, stranded and poison entries and the untrimmed stream, and changes nothing', async () => {
  await seed();
  const before = await snapshot();
  const res = await cli(['--config', configFile(), '--json']);
  assert.equal(res.code, 0, res.stderr);
  const plan = jsonLines(res.stdout).map((a) => [a.action, a.stream, a.group, a.consumer, a.ids, a.applied, a.skipped]);
  assert.deepEqual(plan, [
    ['dead_letter', 'stream.lookup', 'workers', null, [id(14)], false, null],
    ['requeue', 'stream.lookup', 'workers', 'dead', [id(11), id(12), id(13)], false, null],
    ['delete_consumer', 'stream.lookup', 'workers', 'ph1', [], false, null],
    ['delete_consumer', 'stream.lookup', 'workers', 'ph2', [], false, null],
    ['trim', 'stream.lookup', null, null, ['5-1'], false, null],
    ['requeue', 'stream.solo', 'g', 'gone', [id(1), id(2)], false, null],
  ]);
  assert.match(res.stderr, /6 action\(s\).*plan only, nothing changed/);
  assert.equal(await snapshot(), before, 'a plan must leave the dataset byte-identical');

  const text = await cli(['--config', configFile(), '--only', 'trim,delete_consumer']);
  assert.equal(text.code, 0, text.stderr);
  assert.deepEqual(
    text.stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ['PLAN delete_consumer', 'PLAN delete_consumer', 'PLAN trim'],
  );
  assert.match(text.stdout, /remediate: 3 action\(s\)/);
  assert.equal(await snapshot(), before);
});

test("the plan counts what the exporter's alerts count: phantoms and orphaned pending entries", async () => {
  await seed();
  const cfg = parseConfig(readFileSync(configFile(), 'utf8'), 'agree.yml', {});
  const run = new Remediation(cfg, { actions: new Set(['dead_letter', 'requeue', 'delete_consumer']), maxActions: 100 });
  await run.open();
  const plan = await run.plan().finally(() => run.close());
  const collector = new RedisCollector(cfg.redis!);
  collector.start(pino({ level: 'silent' }));
  let families;
  try {
    families = (await collector.collect({ signal: AbortSignal.timeout(10_000), deadlineMs: Date.now() + 10_000, log: pino({ level: 'silent' }) })).families;
  } finally {
    await collector.close();
  }
  const ids = (stream: string, ...actions: string[]) => plan.filter((a) => a.stream === stream && actions.includes(a.action)).flatMap((a) => a.ids).length;
  const workers = { stream: 'stream.lookup', group: 'workers' };
  // Every orphaned pending entry is either requeued or dead-lettered (the poison one sits on a dead consumer).
  assert.equal(valueOf(families, 'fleet_stream_group_orphaned_pending', workers), 4);
  assert.equal(ids('stream.lookup', 'requeue', 'dead_letter'), 4);
  assert.equal(valueOf(families, 'fleet_stream_group_orphaned_pending', { stream: 'stream.solo', group: 'g' }), ids('stream.solo', 'requeue'));
  // The phantoms the alert counts are the ones deleted, plus `bye`, kept for its shutdown marker.
  assert.equal(valueOf(families, 'fleet_stream_group_consumers', { ...workers, state: 'phantom' }), 3);
  assert.deepEqual(
    plan.filter((a) => a.action === 'delete_consumer').map((a) => a.consumer),
    ['ph1', 'ph2'],
  );
});

test('--apply fixes each object, and every entry pending or undelivered before is still accounted for afterwards', async () => {
  await seed();
  const before = {
    workers: await whereabouts('stream.lookup', 'workers'),
    audit: await whereabouts('stream.lookup', 'audit'),
    solo: await whereabouts('stream.solo', 'g'),
  };
  assert.equal(before.workers.size, 10); // t11-t20
  assert.equal(before.audit.size, 15); // t6-t20
  const res = await cli(['--config', configFile(), '--apply', '--json']);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  const lines = jsonLines(res.stdout);
  assert.equal(lines.length, 6);
  for (const l of lines) assert.deepEqual([l.action, l.applied, l.skipped], [l.action, true, null]);
  assert.match(res.stderr, /6 applied; 0 skipped; 0 failed/);

  const names = ((await r.xinfo('CONSUMERS', 'stream.lookup', 'workers')) as unknown[][]).map((c) => c[1]);
  assert.deepEqual(names.sort(), ['bye', 'dead', 'live', 'poison']);
  assert.equal(await r.xlen('stream.lookup'), 15, 't1-t5 trimmed: acked by both groups');
  assert.deepEqual(await r.xlen('stream.nogroup'), 5);
  const [dead] = (await r.xrange('stream.lookup:dead', '-', '+')) as [string, string[]][];
  assert.deepEqual(dead![1], ['dead.id', id(14), 'dead.stream', 'stream.lookup', 'dead.group', 'workers', 'dead.consumer', 'poison', 'dead.deliveries', '5', 'task', 't14']);

  // Entry by entry: each is undelivered, pending on a live consumer, or dead-lettered.
  const after = {
    workers: await whereabouts('stream.lookup', 'workers'),
    audit: await whereabouts('stream.lookup', 'audit'),
    solo: await whereabouts('stream.solo', 'g'),
  };
  for (const [k, was] of Object.entries(before) as [keyof typeof before, Map<string, string>][]) {
    for (const task of was.keys()) {
      const now = after[k].get(task);
      assert.ok(now === 'undelivered' || now === 'pending:live' || now === 'pending:alive' || now === 'dead', `${k} ${task}: ${was.get(task)} → ${now}`);
    }
  }
  assert.deepEqual(
    ['t11', 't12', 't13'].map((t) => after.workers.get(t)),
    ['pending:live', 'pending:live', 'pending:live'],
  );
  assert.equal(after.workers.get('t14'), 'dead');
  assert.deepEqual(
    ['s1', 's2', 's3'].map((t) => after.solo.get(t)),
    ['undelivered', 'undelivered', 'undelivered'],
  );
  assert.equal(await r.xlen('stream.solo'), 5, 'the two stranded entries were re-added (the originals stay, acked)');

  // A second run finds only what the first one made: emptied consumers are phantoms now, and the
  // re-added originals in stream.solo are acknowledged, hence trimmable.
  const again = await cli(['--config', configFile(), '--json']);
  assert.deepEqual(
    jsonLines(again.stdout).map((a) => [a.action, a.stream, a.consumer]),
    [
      ['delete_consumer', 'stream.lookup', 'dead'],
      ['delete_consumer', 'stream.lookup', 'poison'],
      ['delete_consumer', 'stream.solo', 'gone'],
      ['trim', 'stream.solo', null],
    ],
  );
});

test('races: a consumer that heartbeats again is not deleted and keeps its entries; an entry acked meanwhile is not requeued', async () => {
  await seed();
  const cfg = parseConfig(readFileSync(configFile(), 'utf8'), 'race.yml', {});
  const run = new Remediation(cfg, { actions: new Set(['requeue', 'delete_consumer']), maxActions: 100 });
  await run.open();
  try {
    const plan = await run.plan();
    // Without dead_letter, the poison entry is requeued like any stranded one.
    assert.deepEqual(
      plan.map((a) => [a.action, a.consumer]),
      [
        ['requeue', 'dead'],
        ['requeue', 'poison'],
        ['delete_consumer', 'ph1'],
        ['delete_consumer', 'ph2'],
        ['requeue', 'gone'],
      ],
    );
    // Between plan and apply: ph1 heartbeats again, `dead` comes back, s1 is acked, ph2 reads an entry.
    await r.set(HB('lookup', 'ph1'), String(Date.now()), 'EX', 60);
    await r.set(HB('lookup', 'dead'), String(Date.now()), 'EX', 60);
    await r.xack('stream.solo', 'g', id(1));
    await r.xadd('stream.lookup', id(21), 'task', 't21');
    await r.xgroup('SETID', 'stream.lookup', 'workers', id(20));
    await r.xreadgroup('GROUP', 'workers', 'ph2', 'COUNT', 1, 'STREAMS', 'stream.lookup', '>');
    const soloBefore = await r.xlen('stream.solo');
    await run.apply(plan);
    assert.deepEqual(
      plan.map((a) => [a.consumer, a.applied, a.skipped]),
      [
        ['dead', false, 'the consumer has a heartbeat again: its entries stay with it'],
        ['poison', true, null],
        ['ph1', false, 'the consumer has a heartbeat again'],
        ['ph2', false, 'the consumer holds 1 pending entries now'],
        ['gone', true, `1 of 2 id(s) no longer pending: acknowledged meanwhile (${id(1)})`],
      ],
    );
    const owners = (await r.xpending('stream.lookup', 'workers', '-', '+', 100)) as [string, string][];
    assert.deepEqual(
      owners.filter(([, c]) => c === 'dead').map(([i]) => i),
      [id(11), id(12), id(13)],
    );
    const names = ((await r.xinfo('CONSUMERS', 'stream.lookup', 'workers')) as unknown[][]).map((c) => c[1]);
    assert.ok(names.includes('ph1') && names.includes('ph2'));
    assert.equal(await r.xlen('stream.solo'), soloBefore + 1, 'only s2 is re-added');
    assert.equal(run.errors.length, 0);
  } finally {
    await run.close();
  }
});

test('a group created between plan and apply keeps the entries it needs: the trim floor is recomputed', async () => {
  await seed();
  const cfg = parseConfig(readFileSync(configFile(), 'utf8'), 'race.yml', {});
  const run = new Remediation(cfg, { actions: new Set(['trim']), maxActions: 100 });
  await run.open();
  try {
    const plan = await run.plan();
    assert.deepEqual(
      plan.map((a) => [a.stream, a.ids]),
      [['stream.lookup', ['5-1']]],
    );
    await r.xgroup('CREATE', 'stream.lookup', 'late', '0');
    await run.apply(plan);
    assert.equal(plan[0]!.applied, false);
    assert.equal(plan[0]!.skipped, 'a group needs older entries now: trimmed to 0-1 instead');
    assert.equal(await r.xlen('stream.lookup'), 20);
  } finally {
    await run.close();
  }
});

test("the exporter's read-only user makes --apply fail cleanly, exit 1, with nothing changed", async () => {
  await seed();
  const before = await snapshot();
  const file = configFile((c) => ({ ...c, remediate: { ...c.remediate, redis: { username: 'fleet', password: READONLY_PASSWORD } } }));
  const res = await cli(['--config', file, '--apply', '--json']);
  assert.equal(res.code, 1);
  const lines = jsonLines(res.stdout);
  assert.equal(lines.length, 6);
  assert.match(String(lines[0]!.skipped), /^error: NOPERM/);
  for (const l of lines.slice(1)) assert.match(String(l.skipped), /^not attempted: an earlier redis write was refused/);
  assert.ok(lines.every((l) => l.applied === false));
  assert.equal(await snapshot(), before);
  assert.ok(!(res.stdout + res.stderr).includes(READONLY_PASSWORD));
});

test('an unreachable Redis is exit 1 with a clear error and no password in it', async () => {
  const file = configFile((c) => ({ ...c, redis: { ...c.redis, url: `redis://:${PASSWORD}@127.0.0.1:1/0` }, remediate: { ...c.remediate, redis: undefined } }));
  const res = await cli(['--config', file]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /redis: .*ECONNREFUSED/);
  assert.ok(!(res.stdout + res.stderr).includes(PASSWORD));
});

test('bad config and bad flags exit 2 with the key path', async () => {
  const bad = await cli(['--config', configFile((c) => ({ ...c, remediate: { ...c.remediate, max_deliveries: 0 } }))]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /remediate\.max_deliveries: /);
  const only = await cli(['--config', configFile(), '--only', 'trim,nuke']);
  assert.equal(only.code, 2);
  assert.match(only.stderr, /unknown action\(s\) nuke/);
  const noPg = await cli(['--config', configFile(), '--only', 'reap_callbacks']);
  assert.equal(noPg.code, 2);
  assert.match(noPg.stderr, /reap_callbacks needs a postgres section/);
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--max-actions N/);
});

test('--stream and --max-actions narrow the plan', async () => {
  await seed();
  const solo = await cli(['--config', configFile(), '--json', '--stream', 'stream.so*']);
  assert.deepEqual(
    jsonLines(solo.stdout).map((a) => a.stream),
    ['stream.solo'],
  );
  const capped = await cli(['--config', configFile(), '--json', '--max-actions', '2']);
  assert.equal(jsonLines(capped.stdout).length, 2);
  assert.match(capped.stderr, /4 more not planned \(--max-actions\)/);
});
