/**
 * Task metrics benchmark: what recording costs a worker, what a flush costs
 * Redis, and what reading the hashes adds to a scrape of the benchmark fleet
 * (bench/synthetic-fleet.ts) with a task-metrics hash for every worker type.
 *
 *   npm run build && node dist/bench/task-metrics-bench.js [--runs 15] [--streams 1000]
 *
 * Redis-side time is INFO commandstats usec (as bench/redis-bench.ts), per
 * command, so the HGETALLs' share of a scrape is read directly.
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { startHeartbeat } from '../src/heartbeat/index.js';
import { TaskMetrics } from '../src/heartbeat/task-metrics.js';
import { ExporterProcess } from '../test/helpers/exporter.js';
import { TestRedis } from '../test/helpers/redis.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
import { median } from './stats.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, streams: { type: 'string', default: String(BENCH_FLEET.streams) } },
});
const RUNS = Number(args.runs);
const shape = { ...BENCH_FLEET, streams: Number(args.streams) };

/** Per-command {calls, usec} from INFO commandstats. */
async function commandStats(r: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of (await r.info('commandstats')).matchAll(/cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/g)) {
    out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

/** Per-command deltas; INFO is the measurement itself, SCAN is discovery on its own interval (not scrape work). */
function delta(a: Map<string, { calls: number; usec: number }>, b: Map<string, { calls: number; usec: number }>, skip = ['info', 'scan']) {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const [cmd, v] of b) {
    if (skip.includes(cmd)) continue;
    const before = a.get(cmd) ?? { calls: 0, usec: 0 };
    if (v.calls > before.calls) out.set(cmd, { calls: v.calls - before.calls, usec: v.usec - before.usec });
  }
  return out;
}

const total = (d: Map<string, { calls: number; usec: number }>, key: 'calls' | 'usec') => [...d.values()].reduce((n, v) => n + v[key], 0);

/** A realistic spread: log-uniform durations 1 ms-20 s, waits 10 ms-1 h, 5 % errors. */
function randomObservations(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    outcome: i % 20 === 0 ? 'error' : 'ok',
    durationSeconds: 10 ** (Math.random() * 4.3 - 3),
    waitSeconds: 10 ** (Math.random() * 5.6 - 2),
  }));
}

/** observe() alone, on a warm accumulator: ns per call. */
function observeCost(): number {
  const obs = randomObservations(1 << 16);
  const m = new TaskMetrics();
  const N = 2_000_000;
  for (let i = 0; i < 200_000; i++) m.observe(obs[i & 0xffff]!); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) m.observe(obs[i & 0xffff]!);
  const observeNs = Number(process.hrtime.bigint() - t0) / N;
  return observeNs;
}

/** wrap() around a synchronous task, and the bare `await` of the same task, in ns per call. */
async function wrapCost(r: Redis): Promise<{ wrapNs: number; awaitNs: number }> {
  const hb = startHeartbeat(r, { workerType: 'bench_wrap', workerId: 'w', ttlSeconds: 3600, handleSignals: false });
  const N = 500_000;
  const task = () => 1;
  const time = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < N / 10; i++) await fn(); // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    return Number(process.hrtime.bigint() - t0) / N;
  };
  const wrapNs = await time(() => hb.wrap(task));
  const awaitNs = await time(async () => task());
  hb.abandon();
  return { wrapNs, awaitNs };
}

async function flushCommands(r: Redis): Promise<{ first: number; steady: number; idle: number; steadyUsec: number }> {
  const hb = startHeartbeat(r, { workerType: 'bench_flush', workerId: 'w', ttlSeconds: 3600, handleSignals: false });
  await hb.flush();
  const measure = async (n: number) => {
    for (const o of randomObservations(n)) hb.observe(o);
    const before = await commandStats(r);
    await hb.flush();
    return delta(before, await commandStats(r));
  };
  const first = total(await measure(100), 'calls');
  const steadyRuns = [];
  for (let i = 0; i < 20; i++) steadyRuns.push(await measure(100));
  const idle = total(await measure(0), 'calls');
  hb.abandon();
  return {
    first,
    steady: median(steadyRuns.map((d) => total(d, 'calls'))),
    idle,
    steadyUsec: median(steadyRuns.map((d) => total(d, 'usec'))),
  };
}

/** Writes one worker:metrics hash per stream (worker type) as a worker's first flush would. */
async function writeTaskHashes(r: Redis, types: string[]): Promise<number> {
  let fields = 0;
  for (let i = 0; i < types.length; i += 200) {
    const p = r.pipeline();
    for (const type of types.slice(i, i + 200)) {
      const m = new TaskMetrics();
      for (const o of randomObservations(500)) m.observe(o);
      const before = p.length;
      m.drainInto(p, `worker:metrics:${type}`);
      fields += p.length - before;
    }
    await p.exec();
  }
  return fields / types.length;
}

async function scrapeRedisSide(e: ExporterProcess, r: Redis) {
  const before = await commandStats(r);
  const res = await fetch(`${e.base}/metrics`);
  await res.text();
  if (res.status !== 200) throw new Error(`exporter answered ${res.status}`);
  const d = delta(before, await commandStats(r));
  const tasks = (d.get('hgetall')?.usec ?? 0) / 1000;
  return { totalMs: total(d, 'usec') / 1000, tasksMs: tasks, hgetalls: d.get('hgetall')?.calls ?? 0 };
}

async function main(): Promise<void> {
  const observeNs = observeCost();
  const redis = await TestRedis.start();
  const r = redis.client();
  const { wrapNs, awaitNs } = await wrapCost(r);
  const flush = await flushCommands(r);
  await r.flushall();

  await writeFleet(r, shape);
  const types = (await r.keys('stream.*')).sort();
  const fieldsPerHash = await writeTaskHashes(r, types);
  const config = (enabled: boolean) => ({
    redis: { url: redis.url, streams: { patterns: ['stream.*'] }, task_metrics: { enabled } },
    scrape_timeout_seconds: 30,
  });
  const withTasks = await ExporterProcess.start(config(true));
  const without = await ExporterProcess.start(config(false));
  for (let i = 0; i < 2; i++) {
    await scrapeRedisSide(withTasks, r);
    await scrapeRedisSide(without, r);
  }
  const on: Awaited<ReturnType<typeof scrapeRedisSide>>[] = [];
  const off: Awaited<ReturnType<typeof scrapeRedisSide>>[] = [];
  for (let i = 0; i < RUNS; i++) {
    on.push(await scrapeRedisSide(withTasks, r));
    off.push(await scrapeRedisSide(without, r));
  }
  await withTasks.stop();
  await without.stop();
  r.disconnect();
  await redis.destroy();

  const fmt = (n: number, d = 1) => n.toFixed(d);
  const tasksMs = median(on.map((s) => s.tasksMs));
  const onMs = median(on.map((s) => s.totalMs));
  const offMs = median(off.map((s) => s.totalMs));
  console.log('worker side (in memory, no Redis round trip per task):');
  console.log(`| observe() per task | ${fmt(observeNs, 0)} ns |`);
  console.log(`| wrap() per task (a synchronous task; awaiting it bare: ${fmt(awaitNs, 0)} ns) | ${fmt(wrapNs, 0)} ns |`);
  console.log(
    `| commands per flush: first (every bucket), steady (100 tasks since the last), idle tick | ${flush.first} / ${flush.steady} / ${flush.idle} (MULTI … EXEC, one round trip) |`,
  );
  console.log(`| Redis-side time of a steady flush | ${fmt(flush.steadyUsec, 0)} µs |`);
  console.log(
    `\nexporter side: ${shape.streams} streams × ${shape.groupsPerStream} groups × ${shape.consumersPerGroup} consumers, ${shape.unrelatedKeys} unrelated keys, one hash of ${fmt(fieldsPerHash, 0)} fields per worker type; ${RUNS} scrapes each, medians`,
  );
  console.log(`| HGETALLs per scrape | ${median(on.map((s) => s.hgetalls))} |`);
  console.log(`| Redis-side per scrape, task metrics on / off | ${fmt(onMs)} ms / ${fmt(offMs)} ms |`);
  console.log(`| HGETALL share of the scrape's Redis-side time | ${fmt(tasksMs, 2)} ms = ${fmt((100 * tasksMs) / onMs)} % (target ≤ 5 %) |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
