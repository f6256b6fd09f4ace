// HA: two real Prometheus servers (Debian's /usr/bin/prometheus), as two
// replicas of one HA pair, scrape one exporter every 5 s, at offsets of their
// own. With redis.min_interval_seconds: 4 the second replica's scrape is
// served from the first one's collection, so Redis does the work of one
// collection per interval, not two. Measured on a real redis-server with
// INFO commandstats: TIME is sent once per collection, XINFO per stream and group.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Redis } from 'ioredis';
import { TestRedis } from './helpers/redis.js';
import { ExporterProcess, stopProcess } from './helpers/exporter.js';
import { freePort, sleep, waitFor } from './helpers/net.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const INTERVAL_SECONDS = 5;
const MIN_INTERVAL_SECONDS = 4;
const WINDOW_SECONDS = 30;
const STREAMS = 5;
const GROUPS_PER_STREAM = 2;

async function calls(r: Redis): Promise<{ time: number; xinfo: number }> {
  const info = await r.info('commandstats');
  // Redis 7 counts subcommands apart: cmdstat_xinfo|stream, cmdstat_xinfo|groups, …
  const count = (cmd: string) => [...info.matchAll(new RegExp(`cmdstat_${cmd}(\\|\\w+)?:calls=(\\d+)`, 'g'))].reduce((n, m) => n + Number(m[2]), 0);
  return { time: count('time'), xinfo: count('xinfo') };
}

class Prometheus {
  private proc?: ChildProcess;
  logs = '';
  base = '';

  static async start(replica: string, exporterPort: number): Promise<Prometheus> {
    const p = new Prometheus();
    const port = await freePort();
    p.base = `http://127.0.0.1:${port}`;
    const dir = mkdtempSync(join(tmpdir(), `fleet-ha-${replica}-`));
    const config = {
      global: { scrape_interval: `${INTERVAL_SECONDS}s`, scrape_timeout: '4s', external_labels: { replica } },
      scrape_configs: [{ job_name: 'fleet-exporter', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
    };
    writeFileSync(join(dir, 'prometheus.yml'), yaml.dump(config));
    p.proc = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.proc.stdout!.on('data', (d) => (p.logs += d));
    p.proc.stderr!.on('data', (d) => (p.logs += d));
    await waitFor(async () => (await fetch(`${p.base}/-/ready`).catch(() => undefined))?.status === 200, 30_000, 100);
    return p;
  }

  async query(expr: string, timeSeconds: number): Promise<number> {
    const url = `${this.base}/api/v1/query?query=${encodeURIComponent(expr)}&time=${timeSeconds}`;
    const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? 0);
  }

  /** Unix ms of this server's last scrape of the exporter. */
  async lastScrapeMs(): Promise<number> {
    const body = (await (await fetch(`${this.base}/api/v1/targets`)).json()) as { data: { activeTargets: { lastScrape: string }[] } };
    return Date.parse(body.data.activeTargets[0]!.lastScrape);
  }

  stop(): Promise<void> {
    return stopProcess(this.proc);
  }
}

describe('two Prometheus replicas scraping one exporter with redis.min_interval_seconds', () => {
  let redis: TestRedis;
  let r: Redis;
  let exporter: ExporterProcess;
  const prometheus: Prometheus[] = [];

  before(async () => {
    redis = await TestRedis.start();
    r = redis.client();
    for (let s = 0; s < STREAMS; s++) {
      for (let e = 0; e < 3; e++) await r.xadd(`stream.${s}`, '*', 'n', String(e));
      for (let g = 0; g < GROUPS_PER_STREAM; g++) {
        await r.xgroup('CREATE', `stream.${s}`, `g${g}`, '0');
        await r.xreadgroup('GROUP', `g${g}`, `w-${s}-${g}`, 'COUNT', 1, 'STREAMS', `stream.${s}`, '>');
      }
    }
    exporter = await ExporterProcess.start({
      redis: { url: redis.url, min_interval_seconds: MIN_INTERVAL_SECONDS, streams: { patterns: ['stream.*'] } },
    });
    prometheus.push(await Prometheus.start('a', exporter.port), await Prometheus.start('b', exporter.port));
    // Both replicas have scraped at least once.
    await waitFor(
      async () => {
        const ups = await Promise.all(prometheus.map((p) => p.query('up{job="fleet-exporter"}', Date.now() / 1000)));
        return ups.every((u) => u === 1);
      },
      30_000,
      200,
    );
  });

  after(async () => {
    await Promise.all(prometheus.map((p) => p.stop()));
    await exporter?.stop();
    r?.disconnect();
    await redis?.destroy();
  });

  test('Redis does about one collection per scrape interval, not one per replica', async () => {
    const before = await calls(r);
    const t0 = Date.now() / 1000;
    await sleep(WINDOW_SECONDS * 1000);
    const after = await calls(r);
    const t1 = Date.now() / 1000;
    const scrapes = await Promise.all(prometheus.map((p) => p.query(`count_over_time(up{job="fleet-exporter"}[${Math.floor(t1 - t0)}s])`, t1)));
    const collections = after.time - before.time;
    const intervals = (t1 - t0) / INTERVAL_SECONDS;
    const [a, b] = await Promise.all(prometheus.map((p) => p.lastScrapeMs()));
    const apartMs = Math.abs(a! - b!) % (INTERVAL_SECONDS * 1000);
    const detail = `${collections} collections, scrapes ${scrapes.join(' + ')} in ${(t1 - t0).toFixed(1)} s; the replicas scrape ${apartMs} ms apart`;

    // Both replicas really scraped on every interval …
    for (const n of scrapes) assert.ok(n >= intervals - 1.5, detail);
    // … and Redis saw one collection per interval (the first one of a window may fall on either side).
    assert.ok(collections >= intervals - 1.5 && collections <= intervals + 1, detail);
    assert.ok(collections <= (scrapes[0]! + scrapes[1]!) * 0.65, detail);
    // The XINFO work of one collection per interval: STREAM and GROUPS per stream, CONSUMERS per group.
    const xinfoPerCollection = STREAMS * 2 + STREAMS * GROUPS_PER_STREAM;
    // (A collection in flight when the window closed may have sent its TIME but not all of its XINFOs.)
    assert.ok(Math.abs(after.xinfo - before.xinfo - collections * xinfoPerCollection) <= xinfoPerCollection, `${after.xinfo - before.xinfo} XINFO; ${detail}`);
  });

  test('HELP says the values are cached and for how long', async () => {
    const { body } = await exporter.text();
    assert.match(body, /# HELP fleet_stream_length Entries in the stream \(XLEN\)\. Cached: read from Redis at most once per 4s \(redis\.min_interval_seconds\)\./);
    assert.match(body, /# HELP fleet_workers_alive .* Cached: read from Redis at most once per 4s/);
    // The exporter's own health is never cached.
    assert.doesNotMatch(body, /# HELP fleet_collector_up .*Cached/);
  });
});
