import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { fnv1a32, parseShard, shardOf } from '../src/shard.js';
import { TestRedis } from './helpers/redis.js';
import { CLI, ExporterProcess } from './helpers/exporter.js';
import { freePort } from './helpers/net.js';
import type { ParsedSample } from './helpers/exposition.js';

describe('shard assignment', () => {
  test('FNV-1a matches the published 32-bit test vectors, so every process and version agrees', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  test('every worker type has exactly one owner, and shards share the types out', () => {
    const types = Array.from({ length: 200 }, (_, i) => `type-${i}`);
    const perShard = [0, 0, 0, 0];
    for (const t of types) perShard[shardOf(t, 4)]!++;
    assert.equal(
      perShard.reduce((a, b) => a + b),
      200,
    );
    for (const n of perShard) assert.ok(n > 25, `uneven split ${perShard}`);
  });

  test('flags are validated with every problem named', () => {
    assert.deepEqual(parseShard({ hostname: 'h' }), { shard: { index: 0, total: 1 } });
    assert.deepEqual(parseShard({ shard: '1', totalShards: '3', hostname: 'h' }), { shard: { index: 1, total: 3 } });
    const problems = (inputs: Parameters<typeof parseShard>[0]) => ('problems' in parseShard(inputs) ? (parseShard(inputs) as { problems: string[] }).problems : []);
    assert.match(problems({ shard: '2', totalShards: '2', hostname: 'h' }).join(), /must be less than --total-shards 2/);
    assert.match(problems({ shard: '-1', totalShards: '2', hostname: 'h' }).join(), /integer >= 0/);
    assert.match(problems({ shard: '0', totalShards: '0', hostname: 'h' }).join(), /integer >= 1/);
    assert.match(problems({ shard: '1.5', totalShards: 'x', hostname: 'h' }).join('\n'), /--shard "1.5"[^]*--total-shards "x"/);
    assert.match(problems({ shard: '0', hostname: 'h' }).join(), /--shard needs --total-shards/);
    assert.match(problems({ totalShards: '2', hostname: 'h' }).join(), /needs --shard/);
  });

  test("--shard-from-hostname takes a StatefulSet pod's ordinal", () => {
    assert.deepEqual(parseShard({ fromHostname: true, totalShards: '3', hostname: 'fleet-exporter-2' }), { shard: { index: 2, total: 3 } });
    assert.match(JSON.stringify(parseShard({ fromHostname: true, totalShards: '3', hostname: 'fleet-exporter-abc12' })), /does not end in -ORDINAL/);
    assert.match(JSON.stringify(parseShard({ fromHostname: true, totalShards: '3', hostname: 'fleet-exporter-3' })), /must be less than/);
    assert.match(JSON.stringify(parseShard({ fromHostname: true, shard: '1', totalShards: '3', hostname: 'x-1' })), /mutually exclusive/);
  });
});

describe('the CLI validates sharding, also with --check-config', () => {
  const config = join(mkdtempSync(join(tmpdir(), 'fleet-shard-')), 'fleet.yml');
  writeFileSync(config, 'redis:\n  url: redis://127.0.0.1:1/0\n');
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(CLI, ['--check-config', '--config', config, ...args], { encoding: 'utf8', env: { ...process.env, FLEET_SHARD: '', FLEET_TOTAL_SHARDS: '', ...env } });

  test('a valid shard is reported', () => {
    const r = run(['--shard', '1', '--total-shards', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /shard 1 of 2/);
    const fromEnv = run([], { FLEET_SHARD: '2', FLEET_TOTAL_SHARDS: '3' });
    assert.match(fromEnv.stdout, /shard 2 of 3/);
    const fromHost = run(['--shard-from-hostname', '--total-shards', '4'], { HOSTNAME: 'fleet-exporter-3' });
    assert.match(fromHost.stdout, /shard 3 of 4/);
  });

  test('an out-of-range or half-given shard fails with a clear message', () => {
    const r = run(['--shard', '2', '--total-shards', '2']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /invalid sharding:\n {2}--shard 2: must be less than --total-shards 2/);
    const half = run([], { FLEET_SHARD: '1' });
    assert.notEqual(half.status, 0);
    assert.match(half.stderr, /--shard needs --total-shards/);
  });
});

type Series = Map<string, number>;

/** The fleet series (streams, workers) of one exporter, keyed by name and labels. */
function fleetSeries(samples: ParsedSample[]): Series {
  const out: Series = new Map();
  for (const s of samples) {
    if (!/^fleet_(stream|workers?)_/.test(s.name)) continue;
    // Ages move between scrapes; which series exist is what sharding decides.
    const moving = /age_seconds|idle_seconds/.test(s.name);
    out.set(`${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`, moving ? 0 : s.value);
  }
  return out;
}

describe('two shards against one real redis-server', () => {
  const TYPES = Array.from({ length: 10 }, (_, i) => `type-${i}`);
  let redis: TestRedis;
  let r: Redis;
  const exporters: ExporterProcess[] = [];
  let whole: ParsedSample[];
  let shards: ParsedSample[][];
  let daytonaPort: number;

  before(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    daytonaPort = await freePort(); // nothing listens: only which shard runs the collector matters
    const now = Math.floor(Date.now() / 1000);
    for (const [i, type] of TYPES.entries()) {
      // Half the types consume a configured stream of another name, half a discovered one named after the type.
      const stream = i % 2 ? `jobs.${type}` : type;
      for (let k = 0; k < 3 + i; k++) await r.xadd(stream, '*', 'n', String(k));
      await r.xgroup('CREATE', stream, 'g', '0');
      await r.xreadgroup('GROUP', 'g', `${type}-w1`, 'COUNT', 2, 'STREAMS', stream, '>');
      await r.xgroup('CREATECONSUMER', stream, 'g', `${type}-w2`);
      await r.set(`worker:heartbeat:${type}:${type}-w1`, String(now), 'EX', 60);
      await r.set(`worker:shutdown:${type}:${type}-w2`, '1', 'EX', 60);
    }
    // Workers that consume no stream: found only by the heartbeat SCAN.
    for (const o of ['orchestrator-a', 'orchestrator-b', 'orchestrator-c']) await r.set(`worker:heartbeat:${o}:o-1`, String(now), 'EX', 60);
    const config = {
      redis: {
        url: redis.url,
        streams: { patterns: ['type-*'], discovery_interval_seconds: 1 },
        heartbeats: { scan_interval_seconds: 1 },
        worker_types: [...TYPES.filter((_, i) => i % 2).map((name) => ({ name, stream: `jobs.${name}`, min_alive: 2 })), { name: 'configured-only', min_alive: 1 }],
      },
      daytona: { api_url: `http://127.0.0.1:${daytonaPort}/api`, api_key: 'k', timeout_seconds: 1 },
    };
    const start = (shard?: number) =>
      ExporterProcess.start(config, shard === undefined ? { FLEET_SHARD: '', FLEET_TOTAL_SHARDS: '' } : { FLEET_SHARD: String(shard), FLEET_TOTAL_SHARDS: '2' });
    exporters.push(await start(), await start(0), await start(1));
    [whole, ...shards] = await Promise.all(exporters.map((e) => e.samples()));
  });

  after(async () => {
    await Promise.all(exporters.map((e) => e.stop()));
    r?.disconnect();
    await redis?.destroy();
  });

  test('the union of the shards equals the unsharded exporter, with no series on two shards', () => {
    const [a, b] = shards.map(fleetSeries) as [Series, Series];
    const expected = fleetSeries(whole);
    assert.ok(expected.size > 100, `only ${expected.size} fleet series`);
    assert.ok(a.size > 0 && b.size > 0, `a shard is empty: ${a.size} / ${b.size}`);
    for (const key of a.keys()) assert.ok(!b.has(key), `on both shards: ${key}`);
    assert.deepEqual(new Map([...a, ...b]), expected);
  });

  test('a worker type never splits: its streams, groups and workers all live on its owner', () => {
    for (const [i, samples] of shards.entries()) {
      const typeOfStream = new Map(samples.filter((s) => s.name === 'fleet_worker_stream_info').map((s) => [s.labels.stream!, s.labels.worker_type!]));
      for (const s of samples) {
        const type = s.labels.worker_type ?? (s.labels.stream !== undefined ? typeOfStream.get(s.labels.stream) : undefined);
        if (!/^fleet_(stream|workers?)_/.test(s.name)) continue;
        assert.ok(type !== undefined, `${s.name} ${JSON.stringify(s.labels)} has no worker type`);
        assert.equal(shardOf(type, 2), i, `${type} (${s.name}) on shard ${i}`);
      }
    }
    // Every type, its configured minimum, markers and scanned orchestrators are somewhere.
    const alive = shards
      .flat()
      .filter((s) => s.name === 'fleet_workers_alive')
      .map((s) => s.labels.worker_type!);
    assert.deepEqual(alive.sort(), [...TYPES, 'configured-only', 'orchestrator-a', 'orchestrator-b', 'orchestrator-c'].sort());
  });

  test('every exporter says which shard it is', () => {
    const info = (samples: ParsedSample[]) => samples.filter((s) => s.name === 'fleet_exporter_shard_info').map((s) => s.labels);
    assert.deepEqual(info(whole), [{ shard: '0', total_shards: '1' }]);
    assert.deepEqual(info(shards[0]!), [{ shard: '0', total_shards: '2' }]);
    assert.deepEqual(info(shards[1]!), [{ shard: '1', total_shards: '2' }]);
  });

  test('the cloud collectors run on shard 0 only', () => {
    const runsDaytona = (samples: ParsedSample[]) => samples.some((s) => s.name === 'fleet_collector_up' && s.labels.collector === 'daytona');
    assert.equal(runsDaytona(whole), true);
    assert.equal(runsDaytona(shards[0]!), true);
    assert.equal(runsDaytona(shards[1]!), false);
  });

  test('sharding.sources_on_every_shard runs a source on every shard', async () => {
    const e = await ExporterProcess.start(
      {
        daytona: { api_url: `http://127.0.0.1:${daytonaPort}/api`, api_key: 'k', timeout_seconds: 1 },
        sharding: { sources_on_every_shard: ['daytona'] },
      },
      { FLEET_SHARD: '1', FLEET_TOTAL_SHARDS: '2' },
    );
    try {
      const samples = await e.samples();
      assert.ok(samples.some((s) => s.name === 'fleet_collector_up' && s.labels.collector === 'daytona'));
    } finally {
      await e.stop();
    }
  });
});
