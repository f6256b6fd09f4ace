/**
 * Redis collector benchmark: a synthetic fleet (1,000 streams × 3 groups × 20
 * consumers with heartbeats, 100,000 unrelated keys) in a throwaway
 * redis-server, scraped alternately by fleet-exporter and by
 * prometheus-redis-exporter -check-streams (Debian's package, when installed).
 *
 *   npm run build && node dist/bench/redis-bench.js [--runs 15] [--streams 1000]
 *
 * Reports medians: scrape wall time, Redis-side time per scrape (INFO
 * commandstats usec delta), series count, exporter RSS; and the floor: the
 * Redis-side time of the plain pipelined reads the contract needs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TestRedis } from '../test/helpers/redis.js';
import { ExporterProcess } from '../test/helpers/exporter.js';
import { freePort, waitFor } from '../test/helpers/net.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
import { median } from './stats.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, streams: { type: 'string', default: String(BENCH_FLEET.streams) } },
});
const RUNS = Number(args.runs);
const shape = { ...BENCH_FLEET, streams: Number(args.streams) };

async function redisUsec(r: Redis): Promise<number> {
  const info = await r.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/cmdstat_(\w+):calls=\d+,usec=(\d+)/g)) if (m[1] !== 'info') total += Number(m[2]);
  return total;
}

/** CPU time (user + system) the process has used, in ms: steadier than wall time on a busy machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

interface Target {
  name: string;
  url: string;
  pid: number;
  samples: { wallMs: number; cpuMs: number; redisMs: number; series: number }[];
}

async function scrapeOnce(t: Target, r: Redis): Promise<void> {
  const before = await redisUsec(r);
  const cpu0 = cpuMs(t.pid);
  const t0 = performance.now();
  const res = await fetch(t.url);
  const body = await res.text();
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(t.pid) - cpu0;
  const redisMs = ((await redisUsec(r)) - before) / 1000;
  if (res.status !== 200) throw new Error(`${t.name} answered ${res.status}`);
  let series = 0;
  for (const line of body.split('\n')) if (line && line[0] !== '#') series++;
  t.samples.push({ wallMs, cpuMs: cpu, redisMs, series });
}

/** The floor: the Redis-side time of the plain pipelined reads this contract needs. */
async function floorOnce(r: Redis, streams: string[]): Promise<number> {
  const before = await redisUsec(r);
  const p1 = r.pipeline();
  for (const s of streams) p1.xinfo('STREAM', s).xinfo('GROUPS', s);
  const groupReplies = (await p1.exec())!;
  const p2 = r.pipeline();
  const consumersOf: string[][] = [];
  streams.forEach((s, i) => {
    for (const g of groupReplies[i * 2 + 1]![1] as unknown[][]) {
      const name = String(g[1]);
      p2.xinfo('CONSUMERS', s, name).xpending(s, name, '-', '+', 1);
    }
  });
  const consumerReplies = (await p2.exec())!;
  for (let i = 0; i < consumerReplies.length; i += 2) {
    consumersOf.push((consumerReplies[i]![1] as unknown[][]).map((c) => String(c[1])));
  }
  const p3 = r.pipeline();
  let g = 0;
  for (const s of streams) {
    for (let k = 0; k < shape.groupsPerStream; k++, g++) for (const c of consumersOf[g] ?? []) p3.exists(`worker:heartbeat:${s}:${c}`);
  }
  await p3.exec();
  return ((await redisUsec(r)) - before) / 1000;
}

/**
 * The client floor: the same reads issued by a bare ioredis client in this
 * process (auto-pipelined, one MGET per 1,000 heartbeat keys), no metrics
 * built: the wall time any exporter built on ioredis starts from.
 */
async function clientFloorOnce(r: Redis, streams: string[]): Promise<number> {
  const t0 = performance.now();
  const groupReplies = await Promise.all(streams.map((s) => Promise.all([r.xinfo('STREAM', s), r.xinfo('GROUPS', s)])));
  const keys: string[] = [];
  await Promise.all(
    streams.flatMap((s, i) =>
      (groupReplies[i]![1] as unknown[][]).map(async (g) => {
        const group = String(g[1]);
        const [consumers] = await Promise.all([r.xinfo('CONSUMERS', s, group), r.xpending(s, group, '-', '+', 1)]);
        for (const c of consumers as unknown[][]) keys.push(`worker:heartbeat:${s}:${String(c[1])}`);
      }),
    ),
  );
  const lookups: Promise<unknown>[] = [];
  for (let i = 0; i < keys.length; i += 1000) lookups.push(r.mget(keys.slice(i, i + 1000)));
  await Promise.all(lookups);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const redis = await TestRedis.start();
  const r = redis.client();
  const t0 = Date.now();
  await writeFleet(r, shape);
  console.error(`fleet written in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${await r.dbsize()} keys`);

  const ours = await ExporterProcess.start({
    redis: { url: redis.url, streams: { patterns: ['stream.*'] } }, // defaults otherwise (heartbeat SCAN every 60 s included)
    scrape_timeout_seconds: 30,
  });
  const targets: Target[] = [{ name: 'fleet-exporter', url: `${ours.base}/metrics`, pid: ours.pid!, samples: [] }];
  let peer: ChildProcess | undefined;
  const peerBin = spawnSync('sh', ['-c', 'command -v prometheus-redis-exporter']).stdout.toString().trim();
  if (peerBin) {
    const port = await freePort();
    peer = spawn(peerBin, ['-redis.addr', redis.url, '-check-streams', 'stream.*', '-web.listen-address', `127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.ok ?? false, 10_000);
    targets.push({ name: 'prometheus-redis-exporter -check-streams', url: `http://127.0.0.1:${port}/metrics`, pid: peer.pid!, samples: [] });
  }

  const streams = (await r.keys('stream.*')).sort();
  const bare = new Redis(redis.url, { enableAutoPipelining: true });
  const clientFloors: number[] = [];
  const floors: number[] = [];

  // Warm up, then alternate targets so machine noise hits all alike.
  for (const t of targets) for (let i = 0; i < 2; i++) await scrapeOnce(t, r);
  for (let i = 0; i < 2; i++) await clientFloorOnce(bare, streams);
  for (const t of targets) t.samples = [];
  for (let i = 0; i < RUNS; i++) {
    for (const t of targets) await scrapeOnce(t, r);
    clientFloors.push(await clientFloorOnce(bare, streams));
    floors.push(await floorOnce(r, streams));
  }
  bare.disconnect();
  const clientFloorMs = median(clientFloors);

  const floorMs = median(floors);

  const rows = targets.map((t) => ({
    name: t.name,
    wallMs: median(t.samples.map((s) => s.wallMs)),
    cpuMs: median(t.samples.map((s) => s.cpuMs)),
    redisMs: median(t.samples.map((s) => s.redisMs)),
    series: median(t.samples.map((s) => s.series)),
    rssMiB: rssBytes(t.pid) / 2 ** 20,
  }));
  const fmt = (n: number, d = 0) => n.toFixed(d);
  console.log(
    `fleet: ${shape.streams} streams × ${shape.groupsPerStream} groups × ${shape.consumersPerGroup} consumers, ${shape.unrelatedKeys} unrelated keys; ${RUNS} scrapes each, medians`,
  );
  console.log('| exporter | scrape wall (ms) | exporter CPU per scrape (ms) | Redis-side per scrape (ms) | series | RSS (MiB) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(`| ${row.name} | ${fmt(row.wallMs)} | ${fmt(row.cpuMs)} | ${fmt(row.redisMs, 1)} | ${row.series} | ${fmt(row.rssMiB)} |`);
  console.log(`| floor: plain pipelined reads (XINFO ×3, XPENDING, EXISTS per consumer) | – | – | ${fmt(floorMs, 1)} | – | – |`);
  console.log(`| client floor: the same reads by a bare ioredis client (MGET per 1,000 heartbeats), no metrics | ${fmt(clientFloorMs)} | – | – | – | – |`);
  if (rows.length === 2) {
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    console.log(
      `\nratios: wall ${fmt(a.wallMs / b.wallMs, 2)}× the peer (target ≤ 0.25; the bare ioredis client floor alone is ${fmt(clientFloorMs / b.wallMs, 2)}×), CPU ${fmt(a.cpuMs / b.cpuMs, 2)}× the peer, Redis-side ${fmt(a.redisMs / floorMs, 2)}× the floor (target ≤ 1.2) and ${fmt(a.redisMs / b.redisMs, 2)}× the peer (target ≤ 1), series ${fmt(a.series / b.series, 2)}× the peer (target ≤ 0.33)`,
    );
  }

  await ours.stop();
  peer?.kill();
  r.disconnect();
  await redis.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
