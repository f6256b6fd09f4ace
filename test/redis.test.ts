import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { TestRedis } from './helpers/redis.js';
import { ExporterProcess } from './helpers/exporter.js';
import { parseExposition, promtoolCheckMetrics, valueOf, type ParsedSample } from './helpers/exposition.js';
import { sleep, waitFor } from './helpers/net.js';

const S = 'stream.lookup';

/** Truth straight from Redis, to compare the exporter's output with. */
async function groupTruth(r: Redis, stream: string) {
  const groups = (await r.xinfo('GROUPS', stream)) as unknown[][];
  return groups.map((g) => {
    const f = new Map<string, unknown>();
    for (let i = 0; i < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
    return { name: String(f.get('name')), pending: Number(f.get('pending')), lag: f.get('lag'), entriesRead: f.get('entries-read') };
  });
}

async function commandCalls(r: Redis, command: string): Promise<number> {
  const info = await r.info('commandstats');
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return m ? Number(m[1]) : 0;
}

describe('Redis collector against a real redis-server', () => {
  let redis: TestRedis;
  let r: Redis;
  let exporter: ExporterProcess;
  let samples: ParsedSample[];

  before(async () => {
    redis = await TestRedis.start(['--enable-debug-command', 'local']);
    r = redis.client();
    const now = Math.floor(Date.now() / 1000);
    // stream.lookup: 5 entries, group "g" read 3 of them by two consumers.
    for (let i = 0; i < 5; i++) await r.xadd(S, '*', 'task', String(i));
    await r.xgroup('CREATE', S, 'g', '0');
    await r.xreadgroup('GROUP', 'g', 'alive-1', 'COUNT', 2, 'STREAMS', S, '>');
    await r.xreadgroup('GROUP', 'g', 'crashed-1', 'COUNT', 1, 'STREAMS', S, '>');
    await r.xgroup('CREATECONSUMER', S, 'g', 'phantom-1');
    await r.xack(S, 'g', ((await r.xpending(S, 'g', '-', '+', 10, 'alive-1')) as string[][])[0]![0]!);
    await r.set(`worker:heartbeat:lookup:alive-1`, String(now - 3), 'EX', 15);
    // A second group that has read nothing.
    await r.xgroup('CREATE', S, 'idle-group', '$');
    // A stream without groups, a non-stream key matching the pattern, an orchestrator without a stream.
    await r.xadd('stream.empty-groups', '*', 'a', '1');
    await r.set('stream.not-a-stream', 'x');
    await r.set('worker:heartbeat:orchestrator:o-1', '', 'EX', 15);
    // Malformed heartbeat values still count as alive.
    await r.xgroup('CREATE', 'stream.odd', 'g', '$', 'MKSTREAM');
    for (const [id, value] of [
      ['garbage', 'not a time'],
      ['brokenjson', '{"ts":'],
      ['nots', '{"status":"ok"}'],
    ] as const) {
      await r.xgroup('CREATECONSUMER', 'stream.odd', 'g', id);
      await r.set(`worker:heartbeat:stream.odd:${id}`, value, 'EX', 10);
    }
    await r.xgroup('CREATECONSUMER', 'stream.odd', 'g', 'hash-hb');
    await r.hset('worker:heartbeat:stream.odd:hash-hb', 'ts', 'x');
    await r.expire('worker:heartbeat:stream.odd:hash-hb', 10);

    exporter = await ExporterProcess.start({
      redis: {
        url: redis.url,
        streams: { patterns: ['stream.*'], names: ['stream.not-a-stream'], discovery_interval_seconds: 1 },
        heartbeats: { ttl_seconds: 15, scan_interval_seconds: 1 },
        worker_types: [
          { name: 'lookup', stream: S, min_alive: 2, concurrency: 4 },
          { name: 'never-ran', min_alive: 1 },
        ],
      },
    });
    samples = await exporter.samples();
  });

  after(async () => {
    await exporter?.stop();
    r?.disconnect();
    await redis?.destroy();
  });

  test('Redis basics match INFO', async () => {
    assert.equal(valueOf(samples, 'fleet_redis_up'), 1);
    assert.equal(valueOf(samples, 'fleet_collector_up', { collector: 'redis' }), 1);
    const info = await r.info('memory');
    assert.equal(valueOf(samples, 'fleet_redis_maxmemory_bytes'), Number(/maxmemory:(\d+)/.exec(info)![1]));
    assert.ok(valueOf(samples, 'fleet_redis_used_memory_bytes')! > 100_000);
    assert.ok(valueOf(samples, 'fleet_redis_connected_clients')! >= 2);
  });

  test('stream metrics match XINFO STREAM', async () => {
    const s = { stream: S };
    assert.equal(valueOf(samples, 'fleet_stream_length', s), await r.xlen(S));
    assert.equal(valueOf(samples, 'fleet_stream_entries_added_total', s), 5);
    const age = valueOf(samples, 'fleet_stream_oldest_entry_age_seconds', s)!;
    assert.ok(age >= 0 && age < 30, `oldest entry age ${age}`);
    assert.ok(valueOf(samples, 'fleet_stream_last_entry_age_seconds', s)! <= age);
  });

  test('group metrics match XINFO GROUPS and XPENDING', async () => {
    for (const g of await groupTruth(r, S)) {
      const l = { stream: S, group: g.name };
      assert.equal(valueOf(samples, 'fleet_stream_group_pending', l), g.pending, `pending of ${g.name}`);
      assert.equal(valueOf(samples, 'fleet_stream_group_lag', l), Number(g.lag), `lag of ${g.name}`);
      assert.equal(valueOf(samples, 'fleet_stream_group_entries_read_total', l), g.entriesRead === null ? undefined : Number(g.entriesRead));
    }
    const g = { stream: S, group: 'g' };
    assert.equal(valueOf(samples, 'fleet_stream_group_lag', g), 2);
    assert.equal(valueOf(samples, 'fleet_stream_group_pending', g), 2);
    const [oldest] = (await r.xpending(S, 'g', '-', '+', 1)) as [string, string, number, number][];
    assert.equal(valueOf(samples, 'fleet_stream_group_oldest_pending_deliveries', g), oldest![3]);
    assert.ok(valueOf(samples, 'fleet_stream_group_oldest_pending_idle_seconds', g)! >= 0);
    assert.equal(valueOf(samples, 'fleet_stream_group_oldest_pending_idle_seconds', { stream: S, group: 'idle-group' }), 0);
  });

  test('consumers are split into alive, stranding and phantom by their heartbeats', () => {
    const g = { stream: S, group: 'g' };
    assert.equal(valueOf(samples, 'fleet_stream_group_consumers', { ...g, state: 'alive' }), 1);
    assert.equal(valueOf(samples, 'fleet_stream_group_consumers', { ...g, state: 'stranding' }), 1);
    assert.equal(valueOf(samples, 'fleet_stream_group_consumers', { ...g, state: 'phantom' }), 1);
    assert.equal(valueOf(samples, 'fleet_stream_group_orphaned_pending', g), 1, "crashed-1's pending entry");
  });

  test('a stream named in worker_types reports under its type, with configured minimum and concurrency', () => {
    const w = { worker_type: 'lookup' };
    assert.equal(valueOf(samples, 'fleet_workers_alive', w), 1);
    assert.equal(valueOf(samples, 'fleet_worker_min_alive', w), 2);
    assert.equal(valueOf(samples, 'fleet_worker_concurrency', w), 4);
    const age = valueOf(samples, 'fleet_worker_heartbeat_max_age_seconds', w)!;
    assert.ok(age >= 3 && age < 20, `age from the value: ${age}`);
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: S }), undefined, 'not also under the stream name');
    assert.equal(valueOf(samples, 'fleet_worker_stream_info', { worker_type: 'lookup', stream: S }), 1);
  });

  test('known worker types always have a series: configured, with groups, or seen in heartbeats', () => {
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: 'never-ran' }), 0);
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: 'orchestrator' }), 1, 'found by the heartbeat SCAN');
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: 'stream.empty-groups' }), undefined, 'no groups, no worker type');
  });

  test('malformed heartbeat values and non-string heartbeat keys count as alive; age falls back to TTL math', () => {
    assert.equal(valueOf(samples, 'fleet_workers_alive', { worker_type: 'stream.odd' }), 4);
    const age = valueOf(samples, 'fleet_worker_heartbeat_max_age_seconds', { worker_type: 'stream.odd' })!;
    assert.ok(age >= 5 && age <= 15, `TTL 10 of configured 15 → about 5 s old, got ${age}`);
    assert.equal(valueOf(samples, 'fleet_stream_group_consumers', { stream: 'stream.odd', group: 'g', state: 'alive' }), 4);
  });

  test('a key of the wrong type is skipped without failing the scrape, and warned about once', async () => {
    assert.equal(valueOf(samples, 'fleet_stream_length', { stream: 'stream.not-a-stream' }), undefined);
    await exporter.samples();
    await exporter.samples();
    const warnings = exporter.logs.split('\n').filter((l) => l.includes('is not a stream'));
    assert.equal(warnings.length, 1, exporter.logs);
    assert.equal(valueOf(await exporter.samples(), 'fleet_collector_errors_total', { collector: 'redis' }), 0);
  });

  test('a new stream shows up after discovery, without a restart', async () => {
    await r.xadd('stream.new', '*', 'a', '1');
    await r.xgroup('CREATE', 'stream.new', 'g', '0');
    await waitFor(async () => valueOf(await exporter.samples(), 'fleet_stream_length', { stream: 'stream.new' }) === 1, 10_000, 300);
  });

  test('ten concurrent scrapes cause one collection', async () => {
    await sleep(200);
    const before = await commandCalls(r, 'time');
    // Hold Redis for a moment so all ten requests arrive while the first collection is in flight.
    const blocker = redis.client();
    const sleeping = blocker.call('DEBUG', 'SLEEP', '0.5');
    await sleep(50);
    const bodies = await Promise.all(Array.from({ length: 10 }, () => exporter.text()));
    await sleeping;
    blocker.disconnect();
    assert.ok(bodies.every((b) => b.status === 200));
    assert.equal((await commandCalls(r, 'time')) - before, 1, 'one TIME per collection');
  });

  test('a collection is a handful of pipelined batches, not a round trip per stream', async () => {
    const before = Number(/total_commands_processed:(\d+)/.exec(await r.info('stats'))![1]);
    await exporter.text();
    const after = Number(/total_commands_processed:(\d+)/.exec(await r.info('stats'))![1]);
    // Commands scale with streams/groups, but they are sent pipelined: the
    // scrape takes far fewer round trips than commands (checked by the benchmark).
    assert.ok(after - before > 10);
  });

  test('OpenMetrics is served when asked for', async () => {
    const om = await exporter.text('/metrics', { Accept: 'application/openmetrics-text;version=1.0.0' });
    assert.match(om.contentType, /application\/openmetrics-text/);
    assert.ok(om.body.endsWith('# EOF\n'));
    assert.match(om.body, /^fleet_stream_entries_added_total\{stream="stream.lookup"\} 5$/m);
  });

  test('the whole exposition passes promtool check metrics', async () => {
    const { body } = await exporter.text();
    const check = promtoolCheckMetrics(body);
    assert.ok(check.ok, `promtool parses and lints the exposition clean: ${check.output}`);
  });
});

describe('worker types that stop', () => {
  test('crash vs clean scale-down: alive drops to 0 and shutdown markers tell which', async () => {
    const redis = await TestRedis.start();
    const r = redis.client();
    const exporter = await ExporterProcess.start({
      redis: { url: redis.url, streams: { patterns: ['stream.*'], discovery_interval_seconds: 1 }, heartbeats: { scan_interval_seconds: 1 } },
    });
    try {
      for (const type of ['stream.crashy', 'stream.scaled']) {
        await r.xgroup('CREATE', type, 'g', '$', 'MKSTREAM');
        await r.xgroup('CREATECONSUMER', type, 'g', 'w1');
        await r.set(`worker:heartbeat:${type}:w1`, String(Date.now() / 1000), 'EX', 15);
      }
      await waitFor(async () => valueOf(await exporter.samples(), 'fleet_workers_alive', { worker_type: 'stream.scaled' }) === 1, 10_000, 300);
      await r.del('worker:heartbeat:stream.crashy:w1'); // crash: the key just expires
      await r.multi().set('worker:shutdown:stream.scaled:w1', '1', 'EX', 120).del('worker:heartbeat:stream.scaled:w1').exec();
      const s = await exporter.samples();
      assert.equal(valueOf(s, 'fleet_workers_alive', { worker_type: 'stream.crashy' }), 0);
      assert.equal(valueOf(s, 'fleet_worker_shutdown_markers', { worker_type: 'stream.crashy' }), 0);
      assert.equal(valueOf(s, 'fleet_workers_alive', { worker_type: 'stream.scaled' }), 0);
      assert.equal(valueOf(s, 'fleet_worker_shutdown_markers', { worker_type: 'stream.scaled' }), 1);
    } finally {
      await exporter.stop();
      r.disconnect();
      await redis.destroy();
    }
  });
});

describe('faults', () => {
  test('Redis killed mid-run: the scrape still answers fast with up=0, and recovers after restart', async () => {
    const redis = await TestRedis.start();
    const r = redis.client();
    await r.xgroup('CREATE', 'stream.a', 'g', '$', 'MKSTREAM');
    r.disconnect();
    const config = { redis: { url: redis.url, streams: { patterns: ['stream.*'] } } };
    const exporter = await ExporterProcess.start(config);
    try {
      assert.equal(valueOf(await exporter.samples(), 'fleet_redis_up'), 1);
      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const { status, body } = await exporter.text();
        const took = Date.now() - t0;
        assert.equal(status, 200);
        assert.ok(took < 5000, `scrape took ${took} ms`);
        const s = parseExposition(body);
        assert.equal(valueOf(s, 'fleet_collector_up', { collector: 'redis' }), 0);
        assert.equal(valueOf(s, 'fleet_redis_up'), 0);
        assert.equal(valueOf(s, 'fleet_stream_length', { stream: 'stream.a' }), undefined, 'no stale stream data');
        assert.ok(valueOf(s, 'process_resident_memory_bytes')! > 0, 'the rest of the exposition is intact');
      }
      await redis.launch();
      await waitFor(async () => valueOf(await exporter.samples(), 'fleet_redis_up') === 1, 15_000, 250);
      // The restarted server is empty (no persistence): the stream is gone, the collector is healthy.
      assert.equal(valueOf(await exporter.samples(), 'fleet_collector_up', { collector: 'redis' }), 1);
    } finally {
      await exporter.stop();
      await redis.destroy();
    }
  });

  test('an exporter started while Redis is down serves up=0, then recovers', async () => {
    const redis = await TestRedis.start();
    await redis.stop();
    const exporter = await ExporterProcess.start({ redis: { url: redis.url } });
    try {
      const { status, body } = await exporter.text();
      assert.equal(status, 200);
      assert.equal(valueOf(parseExposition(body), 'fleet_redis_up'), 0);
      await redis.launch();
      await waitFor(async () => valueOf(await exporter.samples(), 'fleet_redis_up') === 1, 15_000, 250);
    } finally {
      await exporter.stop();
      await redis.destroy();
    }
  });
});

describe('hostile names', () => {
  test('stream, group and consumer names with quotes, backslashes, newlines and non-ASCII give valid exposition', async () => {
    const redis = await TestRedis.start();
    const r = redis.client();
    const names = ['q"uote', 'back\\slash', 'new\nline', 'ünï漢字✓', '} fleet_fake 1'];
    for (const n of names) {
      await r.xgroup('CREATE', `stream.${n}`, `g-${n}`, '$', 'MKSTREAM');
      await r.xgroup('CREATECONSUMER', `stream.${n}`, `g-${n}`, `c-${n}`);
    }
    const exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { patterns: ['stream.*'], per_consumer: true } } });
    try {
      const { body } = await exporter.text();
      const check = promtoolCheckMetrics(body);
      assert.ok(!/parse error|text format parsing error/i.test(check.output), check.output);
      const s = parseExposition(body);
      for (const n of names) {
        assert.equal(valueOf(s, 'fleet_stream_length', { stream: `stream.${n}` }), 0);
        assert.equal(valueOf(s, 'fleet_stream_consumer_pending', { stream: `stream.${n}`, group: `g-${n}`, consumer: `c-${n}` }), 0);
      }
      assert.equal(valueOf(s, 'fleet_fake'), undefined, 'a name cannot inject a series');
      const page = await exporter.text('/');
      assert.ok(!page.body.includes('<script') && page.body.includes('} fleet_fake 1'));
    } finally {
      await exporter.stop();
      r.disconnect();
      await redis.destroy();
    }
  });
});

describe('series caps', () => {
  test('per-consumer series are capped and the dropped ones counted', async () => {
    const redis = await TestRedis.start();
    const r = redis.client();
    await r.xgroup('CREATE', 'stream.big', 'g', '$', 'MKSTREAM');
    for (let i = 0; i < 10; i++) await r.xgroup('CREATECONSUMER', 'stream.big', 'g', `c${i}`);
    const exporter = await ExporterProcess.start({
      redis: { url: redis.url, streams: { patterns: ['stream.*'], per_consumer: true, max_consumer_series: 4 } },
    });
    try {
      const s = await exporter.samples();
      assert.equal(s.filter((x) => x.name === 'fleet_stream_consumer_idle_seconds').length, 4);
      assert.equal(valueOf(s, 'fleet_series_dropped_total', { collector: 'redis' }), 6, 'the 6 consumers over the cap');
    } finally {
      await exporter.stop();
      r.disconnect();
      await redis.destroy();
    }
  });
});

describe('authentication', () => {
  test('an ACL user with a password connects; the password never reaches logs or /metrics', async () => {
    const password = 'Sup3r-Secret-Pw';
    const redis = await TestRedis.start(['--requirepass', 'admin-pass-xyz']);
    const admin = new (await import('ioredis')).Redis(redis.port, '127.0.0.1', { password: 'admin-pass-xyz' });
    await admin.call('ACL', 'SETUSER', 'fleet', 'on', `>${password}`, '~*', '+@read', '+info', '+time', '+ping', '+client|setname', '+scan');
    await admin.xgroup('CREATE', 'stream.x', 'g', '$', 'MKSTREAM');
    const good = await ExporterProcess.start({
      redis: { url: `redis://fleet:${password}@127.0.0.1:${redis.port}/0`, streams: { patterns: ['stream.*'] } },
    });
    const bad = await ExporterProcess.start({
      redis: { url: `redis://fleet:wrong-${password}@127.0.0.1:${redis.port}/0`, streams: { patterns: ['stream.*'] } },
    });
    try {
      const s = await good.samples();
      assert.equal(valueOf(s, 'fleet_redis_up'), 1, good.logs);
      assert.equal(valueOf(s, 'fleet_stream_length', { stream: 'stream.x' }), 0);
      const badBody = await bad.text();
      assert.equal(valueOf(parseExposition(badBody.body), 'fleet_redis_up'), 0);
      const page = await bad.text('/');
      for (const text of [good.logs, bad.logs, badBody.body, page.body, (await good.text()).body]) {
        assert.ok(!text.includes(password), 'password leaked');
      }
      assert.match(page.body, /WRONGPASS|invalid username-password|NOAUTH/i, 'the status page says why');
    } finally {
      await good.stop();
      await bad.stop();
      admin.disconnect();
      await redis.destroy();
    }
  });
});
