/**
 * Redis collector benchmark: a synthetic fleet (1,000 streams × 3 groups × 20
 * consumers with heartbeats, 100,000 unrelated keys) in a throwaway
 * redis-server, scraped alternately by fleet-exporter and by
 * prometheus-redis-exporter -check-streams (Debian's package, when installed).
 *
 *   npm run build && node dist/bench/redis-bench.js [--runs 15] [--streams 1000] [--cpu-prof DIR] [--node-flags='…']
 *
 * Reports medians: scrape wall time, exporter CPU, Redis-side time per scrape
 * (INFO commandstats usec delta), series count, exporter RSS at the end and at
 * its peak; the floors (the Redis-side time of the plain pipelined reads the
 * contract needs, and the wall time of a bare ioredis client issuing them);
 * and, for the 1× and 4× fleets, the targets of docs/benchmarks.md as pass/fail.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { TestRedis } from '../test/helpers/redis.js';
import { ExporterProcess, shebangFlags } from '../test/helpers/exporter.js';
import { freePort, waitFor } from '../test/helpers/net.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
import { commandUsec, cpuMs, median, rssMiB } from './stats.js';
import { cpuByPart, cpuTable } from './cpu-profile.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    streams: { type: 'string', default: String(BENCH_FLEET.streams) },
    // A directory: fleet-exporter runs with --cpu-prof there, and the bench prints where its CPU went.
    'cpu-prof': { type: 'string' },
    // Node flags for fleet-exporter instead of its shebang's (to measure others).
    'node-flags': { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const shape = { ...BENCH_FLEET, streams: Number(args.streams) };

/** Redis-side ms by command between two readings, and their sum. */
function redisSince(before: Map<string, number>, after: Map<string, number>): { ms: number; byCommand: Map<string, number> } {
  const byCommand = new Map<string, number>();
  let ms = 0;
  for (const [command, usec] of after) {
    const delta = (usec - (before.get(command) ?? 0)) / 1000;
    if (delta > 0) byCommand.set(command, delta);
    ms += delta;
  }
  return { ms, byCommand };
}

/** Adds one reading's per-command ms into a running total. */
function addInto(total: Map<string, number>, byCommand: Map<string, number>): void {
  for (const [command, ms] of byCommand) total.set(command, (total.get(command) ?? 0) + ms);
}

/**
 * Waits until both discovery SCANs have completed a pass: the first runs
 * paced (a tenth of Redis's time) for a while on a big keyspace, and its SCANs
 * must not count in the scrapes' Redis-side time.
 */
async function discoveriesDone(url: string, startedMs: number): Promise<void> {
  await waitFor(
    async () => {
      const sentMs = Date.now(); // the exporter computes the ages after this
      const body = await (await fetch(url)).text();
      const ages = [...body.matchAll(/^fleet_redis_discovery_age_seconds\{discovery="\w+"\} (\S+)$/gm)].map((m) => Number(m[1]));
      // Until a pass completes, the age counts from the collector's creation, before `startedMs`.
      return ages.length === 2 && ages.every((age) => age < (sentMs - startedMs) / 1000);
    },
    600_000,
    2_000,
  );
}

interface Target {
  name: string;
  url: string;
  pid: number;
  samples: { wallMs: number; cpuMs: number; redisMs: number; series: number }[];
  /** Redis-side ms by command, summed over the measured scrapes. */
  byCommand: Map<string, number>;
}

async function scrapeOnce(t: Target, r: Redis): Promise<void> {
  const before = await commandUsec(r);
  const cpu0 = cpuMs(t.pid);
  const t0 = performance.now();
  const res = await fetch(t.url);
  const body = await res.text();
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(t.pid) - cpu0;
  const { ms: redisMs, byCommand } = redisSince(before, await commandUsec(r));
  addInto(t.byCommand, byCommand);
  if (res.status !== 200) throw new Error(`${t.name} answered ${res.status}`);
  let series = 0;
  for (const line of body.split('\n')) if (line && line[0] !== '#') series++;
  t.samples.push({ wallMs, cpuMs: cpu, redisMs, series });
}

/** The floor: the Redis-side time of the plain pipelined reads this contract needs. */
async function floorOnce(r: Redis, streams: string[], byCommand: Map<string, number>): Promise<number> {
  const before = await commandUsec(r);
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
  const since = redisSince(before, await commandUsec(r));
  addInto(byCommand, since.byCommand);
  return since.ms;
}

/**
 * The client floor: the same reads issued by a bare ioredis client in this
 * process (pipelined as the exporter does, without auto-pipelining; one MGET
 * per 1,000 heartbeat keys), no metrics built: the wall time any exporter
 * built on ioredis starts from.
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

  const scanBefore = (await commandUsec(r)).get('scan') ?? 0;
  const profileDir = args['cpu-prof'] && resolve(args['cpu-prof']);
  const nodeFlags = args['node-flags'] !== undefined ? args['node-flags'].split(/\s+/).filter(Boolean) : shebangFlags();
  console.error(`fleet-exporter runs with Node flags: ${nodeFlags.join(' ') || '(none)'}`);
  const ours = await ExporterProcess.start(
    {
      // Defaults otherwise, but discovery SCANs only once, before the measured scrapes: a pass
      // landing in one scrape's window (or the floor's) would blur both; its cost is reported on its own.
      redis: {
        url: redis.url,
        streams: { patterns: ['stream.*'], discovery_interval_seconds: 3600 },
        heartbeats: { scan_interval_seconds: 3600 },
      },
      scrape_timeout_seconds: 30,
    },
    {},
    [],
    [...nodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
  );
  // No pass can have completed yet: the first starts with the first scrape.
  const oursStartedMs = Date.now();
  const targets: Target[] = [{ name: 'fleet-exporter', url: `${ours.base}/metrics`, pid: ours.pid!, samples: [], byCommand: new Map() }];
  let peer: ChildProcess | undefined;
  const peerBin = spawnSync('sh', ['-c', 'command -v prometheus-redis-exporter']).stdout.toString().trim();
  if (peerBin) {
    const port = await freePort();
    peer = spawn(peerBin, ['-redis.addr', redis.url, '-check-streams', 'stream.*', '-web.listen-address', `127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.ok ?? false, 10_000);
    targets.push({ name: 'prometheus-redis-exporter -check-streams', url: `http://127.0.0.1:${port}/metrics`, pid: peer.pid!, samples: [], byCommand: new Map() });
  }

  const streams = (await r.keys('stream.*')).sort();
  await discoveriesDone(`${ours.base}/metrics`, oursStartedMs);
  const discoveryMs = (((await commandUsec(r)).get('scan') ?? 0) - scanBefore) / 1000;
  const bare = new Redis(redis.url);
  const clientFloors: number[] = [];
  const floors: number[] = [];

  // Warm up, then alternate targets so machine noise hits all alike.
  for (const t of targets) for (let i = 0; i < 2; i++) await scrapeOnce(t, r);
  for (let i = 0; i < 2; i++) await clientFloorOnce(bare, streams);
  for (const t of targets) {
    t.samples = [];
    t.byCommand.clear();
  }
  const floorByCommand = new Map<string, number>();
  for (let i = 0; i < RUNS; i++) {
    for (const t of targets) await scrapeOnce(t, r);
    clientFloors.push(await clientFloorOnce(bare, streams));
    floors.push(await floorOnce(r, streams, floorByCommand));
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
    ...rssMiB(t.pid),
  }));
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const consumers = shape.streams * shape.groupsPerStream * shape.consumersPerGroup;
  console.log(
    `fleet: ${shape.streams} streams × ${shape.groupsPerStream} groups × ${shape.consumersPerGroup} consumers (${consumers} consumers), ${shape.unrelatedKeys} unrelated keys; ${RUNS} scrapes each, medians`,
  );
  console.log('| exporter | scrape wall (ms) | exporter CPU per scrape (ms) | Redis-side per scrape (ms) | series | RSS at end (MiB) | peak RSS (MiB) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.name} | ${fmt(row.wallMs)} | ${fmt(row.cpuMs)} | ${fmt(row.redisMs, 1)} | ${row.series} | ${fmt(row.rss)} | ${fmt(row.peak)} |`);
  }
  console.log(`| floor: plain pipelined reads (XINFO ×3, XPENDING, EXISTS per consumer) | – | – | ${fmt(floorMs, 1)} | – | – | – |`);
  console.log(`| client floor: the same reads by a bare ioredis client (MGET per 1,000 heartbeats), no metrics | ${fmt(clientFloorMs)} | – | – | – | – | – |`);
  const mine = rows[0]!;
  console.log(
    `discovery: one pass of both SCANs (streams, heartbeat keys) took ${fmt(discoveryMs, 1)} ms of Redis time, not counted above; by default they repeat every 15 s and 30 s, so at most that much per 15 s`,
  );
  console.log(`\nmemory: ${fmt((mine.rss * 10_000) / consumers, 1)} MiB at end and ${fmt((mine.peak * 10_000) / consumers, 1)} MiB at peak per 10,000 consumers`);
  if (rows.length === 2) {
    const peer = rows[1]!;
    const checks: [string, number, number, 'ratio' | 'MiB'][] = [
      ['Redis-side time vs the floor', mine.redisMs / floorMs, 1.2, 'ratio'],
      ['Redis-side time vs the peer', mine.redisMs / peer.redisMs, 1, 'ratio'],
      ['series vs the peer', mine.series / peer.series, 0.33, 'ratio'],
    ];
    // The targets of the 1× and 4× fleets (docs/benchmarks.md); other sizes print the ratios only.
    const factor = shape.streams / BENCH_FLEET.streams;
    if (factor === 1)
      checks.unshift(
        ['RSS at end', mine.rss, 256, 'MiB'],
        ['scrape wall vs the peer', mine.wallMs / peer.wallMs, 0.4, 'ratio'],
        ['CPU vs the peer', mine.cpuMs / peer.cpuMs, 0.45, 'ratio'],
      );
    if (factor === 4) checks.unshift(['RSS at end', mine.rss, 384, 'MiB'], ['scrape wall vs the peer', mine.wallMs / peer.wallMs, 0.45, 'ratio']);
    console.log(`client floor: ${fmt(clientFloorMs / peer.wallMs, 2)}× the peer's wall time; CPU ${fmt(mine.cpuMs / peer.cpuMs, 2)}× the peer`);
    for (const [what, value, target, unit] of checks) {
      const shown = unit === 'MiB' ? `${fmt(value)} MiB` : `${fmt(value, 2)}×`;
      console.log(`${value <= target ? 'PASS' : 'FAIL'}  ${what}: ${shown} (target ≤ ${target}${unit === 'MiB' ? ' MiB' : '×'})`);
    }
  }

  const commands = [...new Set([...targets[0]!.byCommand.keys(), ...floorByCommand.keys()])].sort(
    (a, b) => (targets[0]!.byCommand.get(b) ?? 0) - (targets[0]!.byCommand.get(a) ?? 0),
  );
  console.log('\nRedis-side ms per scrape by command (medians are of totals; these are means):');
  console.log('| command | fleet-exporter | floor |');
  console.log('|---|---:|---:|');
  for (const c of commands) console.log(`| ${c.replace('|', ' ')} | ${fmt((targets[0]!.byCommand.get(c) ?? 0) / RUNS, 1)} | ${fmt((floorByCommand.get(c) ?? 0) / RUNS, 1)} |`);

  await ours.stop();
  peer?.kill();
  if (profileDir) console.log(`\nfleet-exporter's CPU by part (${profileDir}):\n${cpuTable(cpuByPart(profileDir), rows[0]!.cpuMs)}`);
  r.disconnect();
  await redis.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
