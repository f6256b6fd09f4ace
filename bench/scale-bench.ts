/**
 * Scale curve: the benchmark fleet (bench/synthetic-fleet.ts: 1,000 streams ×
 * 3 groups × 20 consumers = 60,000 consumers) grown 1×, 2×, 4×, 8× in one
 * throwaway redis-server, each size scraped by a fresh fleet-exporter and a
 * fresh prometheus-redis-exporter -check-streams (while it still answers
 * within --peer-limit-seconds); at the largest size also by two shards, in
 * the same alternation. Then the cloud collectors' own benches at the same
 * factors (10,000 sandboxes and 2,000 instances at 1×).
 *
 *   npm run bench:scale -- [--factors 1,2,4,8] [--runs 3] [--peer-limit-seconds 30] [--skip-cloud]
 *
 * Few runs per point (medians of 3): on a shared machine compare the ratios
 * within a row, not absolute figures across runs.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { TestRedis } from '../test/helpers/redis.js';
import { ExporterProcess } from '../test/helpers/exporter.js';
import { freePort, waitFor } from '../test/helpers/net.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
import { commandUsec, cpuMs, median, rssMiB } from './stats.js';

const { values: args } = parseArgs({
  options: {
    factors: { type: 'string', default: '1,2,4,8' },
    runs: { type: 'string', default: '3' },
    'peer-limit-seconds': { type: 'string', default: '30' },
    'skip-cloud': { type: 'boolean', default: false },
  },
});
const FACTORS = args.factors.split(',').map(Number);
const RUNS = Number(args.runs);
const PEER_LIMIT_MS = Number(args['peer-limit-seconds']) * 1000;
const CONSUMERS_1X = BENCH_FLEET.streams * BENCH_FLEET.groupsPerStream * BENCH_FLEET.consumersPerGroup;

/** Redis's time (µs) over every command but INFO. */
async function redisUsec(r: Redis): Promise<number> {
  let total = 0;
  for (const usec of (await commandUsec(r)).values()) total += usec;
  return total;
}

interface Target {
  name: string;
  url: string;
  pid: number;
  /** A body that proves the scrape read Redis (not a timeout's `up 0`). */
  ok: (body: string) => boolean;
}

interface Point {
  wallMs: number;
  cpuMs: number;
  redisMs: number;
  series: number;
  rss: number;
  peak: number;
}

async function scrape(t: Target, r: Redis): Promise<Omit<Point, 'rss' | 'peak'>> {
  const before = await redisUsec(r);
  const cpu0 = cpuMs(t.pid);
  const t0 = performance.now();
  const res = await fetch(t.url, { headers: { 'Accept-Encoding': 'gzip' } });
  const body = await res.text();
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(t.pid) - cpu0;
  const redisMs = ((await redisUsec(r)) - before) / 1000;
  if (res.status !== 200 || !t.ok(body)) throw new Error(`${t.name} did not read Redis (${res.status})`);
  let series = 0;
  for (const line of body.split('\n')) if (line && line[0] !== '#') series++;
  return { wallMs, cpuMs: cpu, redisMs, series };
}

/** One warm-up, then RUNS scrapes of each target, alternating so noise hits all alike. */
async function measure(targets: Target[], r: Redis): Promise<Point[]> {
  for (const t of targets) await scrape(t, r);
  const samples = targets.map(() => [] as Awaited<ReturnType<typeof scrape>>[]);
  for (let i = 0; i < RUNS; i++) for (const [k, t] of targets.entries()) samples[k]!.push(await scrape(t, r));
  return targets.map((t, k) => {
    const m = (f: (s: Awaited<ReturnType<typeof scrape>>) => number) => median(samples[k]!.map(f));
    return { wallMs: m((s) => s.wallMs), cpuMs: m((s) => s.cpuMs), redisMs: m((s) => s.redisMs), series: m((s) => s.series), ...rssMiB(t.pid) };
  });
}

const exporterConfig = (url: string) => ({
  // A timeout well above the scrape, so the curve shows the cost rather than a cut-off.
  redis: { url, timeout_seconds: 120, streams: { patterns: ['stream.*'] } },
  scrape_timeout_seconds: 120,
});
const fleetExporter = (e: ExporterProcess, name: string): Target => ({
  name,
  url: `${e.base}/metrics`,
  pid: e.pid!,
  ok: (body) => /^fleet_redis_up 1$/m.test(body),
});

async function startPeer(bin: string, url: string): Promise<{ proc: ChildProcess; target: Target }> {
  const port = await freePort();
  const proc = spawn(bin, ['-redis.addr', url, '-check-streams', 'stream.*', '-web.listen-address', `127.0.0.1:${port}`], { stdio: 'ignore' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.ok ?? false, 10_000);
  return { proc, target: { name: 'redis_exporter', url: `http://127.0.0.1:${port}/metrics`, pid: proc.pid!, ok: (b) => /^redis_up 1$/m.test(b) } };
}

const f0 = (n: number) => Math.round(n).toLocaleString('en');
const f1 = (n: number) => n.toFixed(1);

async function redisCurve(): Promise<void> {
  const redis = await TestRedis.start();
  const r = redis.client();
  const peerBin = spawnSync('sh', ['-c', 'command -v prometheus-redis-exporter']).stdout.toString().trim();
  let peerAnswers = peerBin !== '';
  const rows: string[] = [];
  let written = 0;
  for (const factor of FACTORS) {
    const t0 = Date.now();
    // Grow the same fleet: each step adds streams under a new prefix (all match stream.*).
    const add = factor - written;
    await writeFleet(r, { ...BENCH_FLEET, streams: BENCH_FLEET.streams * add, streamPrefix: `stream.x${factor}.`, unrelatedKeys: written === 0 ? BENCH_FLEET.unrelatedKeys : 0 });
    written = factor;
    const redisMiB = Number(/used_memory:(\d+)/.exec(await r.info('memory'))![1]) / 2 ** 20;
    console.error(`${factor}×: fleet written in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${f0(await r.dbsize())} keys, Redis ${f0(redisMiB)} MiB`);

    const largest = factor === Math.max(...FACTORS);
    const ours = await ExporterProcess.start(exporterConfig(redis.url));
    const targets = [fleetExporter(ours, 'fleet-exporter')];
    const peer = peerAnswers ? await startPeer(peerBin, redis.url) : undefined;
    if (peer) targets.push(peer.target);
    // At the largest size, the same fleet split over two shards, measured in the same alternation.
    const shards = largest
      ? [
          await ExporterProcess.start(exporterConfig(redis.url), { FLEET_SHARD: '0', FLEET_TOTAL_SHARDS: '2' }),
          await ExporterProcess.start(exporterConfig(redis.url), { FLEET_SHARD: '1', FLEET_TOTAL_SHARDS: '2' }),
        ]
      : [];
    targets.push(...shards.map((e, i) => fleetExporter(e, `shard ${i}`)));
    let points: Point[];
    try {
      points = await measure(targets, r);
    } finally {
      await Promise.all([ours, ...shards].map((e) => e.stop()));
      peer?.proc.kill();
    }
    const a = points[0]!;
    const b = peer ? points[1] : undefined;
    const consumers = `${factor}× (${f0(factor * CONSUMERS_1X)})`;
    const load = loadavg()[0]!.toFixed(1);
    const peerCells = b ? `${f0(b.wallMs)} ms | ${f0(b.cpuMs)} ms | ${f1(b.redisMs)} ms | ${f0(b.peak)} MiB | ${(a.wallMs / b.wallMs).toFixed(2)}` : '– | – | – | – | –';
    rows.push(`| ${consumers} | ${f0(a.wallMs)} ms | ${f0(a.cpuMs)} ms | ${f1(a.redisMs)} ms | ${f0(a.series)} | ${f0(a.rss)} / ${f0(a.peak)} MiB | ${peerCells} | ${load} |`);
    for (const [i, p] of points.slice(peer ? 2 : 1).entries()) {
      rows.push(
        `| ${consumers}, shard ${i} of 2 | ${f0(p.wallMs)} ms | ${f0(p.cpuMs)} ms | ${f1(p.redisMs)} ms | ${f0(p.series)} | ${f0(p.rss)} / ${f0(p.peak)} MiB | – | – | – | – | – | ${load} |`,
      );
    }
    for (const row of rows.slice(-1 - shards.length)) console.error(row);
    if (b && b.wallMs > PEER_LIMIT_MS) peerAnswers = false;
  }
  r.disconnect();
  await redis.destroy();
  console.log(`Redis: ${RUNS} scrapes per point after a warm-up, medians; RSS after the scrapes / peak (VmHWM)`);
  console.log(
    '| consumers | scrape wall | CPU / scrape | Redis-side / scrape | series | RSS / peak | redis_exporter wall | its CPU | its Redis-side | its peak RSS | wall ratio (ours / its) | load 1m |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

/** Runs one of the existing cloud benches in its own process and returns its JSON report. */
function cloudBench(script: string, flag: string, n: number): Record<string, number> {
  const out = execFileSync(process.execPath, ['--expose-gc', new URL(script, import.meta.url).pathname, flag, String(n), '--runs', String(RUNS)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.slice(out.indexOf('{'))) as Record<string, number>;
}

function cloudCurve(): void {
  console.log(`\nDaytona (10,000 sandboxes at 1×; default max_sandbox_series 5,000), ${RUNS} refreshes per point, medians`);
  console.log('| sandboxes | refresh wall | refresh CPU | collect + render | series | peak heap growth | peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const factor of FACTORS) {
    const d = cloudBench('./daytona-bench.js', '--sandboxes', 10_000 * factor);
    console.log(
      `| ${factor}× (${f0(d.sandboxes!)}) | ${f0(d.refresh_ms_median!)} ms | ${f0(d.refresh_cpu_ms_median!)} ms | ${f1(d.collect_and_render_ms_median!)} ms | ${f0(d.series!)} | ${f0(d.peak_heap_growth_mib_median!)} MiB | ${f0(d.peak_rss_mib!)} MiB |`,
    );
  }
  console.log(`\nAWS (2,000 instances at 1×, every 20th stopped), ${RUNS} refreshes per point, medians`);
  console.log('| instances | fresh exporter to complete data | EC2 refresh | CloudWatch refresh | collect + render | series | peak heap growth | peak RSS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const factor of FACTORS) {
    const a = cloudBench('./aws-bench.js', '--instances', 2_000 * factor);
    console.log(
      `| ${factor}× (${f0(a.instances!)}) | ${f0(a.fresh_exporter_complete_ms_median!)} ms | ${f0(a.ec2_refresh_ms_median!)} ms | ${f0(a.cloudwatch_refresh_ms_median!)} ms | ${f1(a.collect_and_render_ms_median!)} ms | ${f0(a.series!)} | ${f0(a.peak_heap_growth_mib_median!)} MiB | ${f0(a.peak_rss_mib!)} MiB |`,
    );
  }
}

await redisCurve();
if (!args['skip-cloud']) cloudCurve();
