/**
 * Daytona refresh benchmark: time and memory of one background refresh of
 * N sandboxes (default 10,000) against the local fake Daytona API, plus the
 * scrape that serves it. The fake runs in a child process so its memory and
 * CPU do not count against the collector's.
 *
 *   npm run build && node --expose-gc dist/bench/daytona-bench.js [--sandboxes 10000] [--runs 9] [--max-series 5000]
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DaytonaCollector } from '../src/collectors/daytona/index.js';
import { daytonaSchema } from '../src/collectors/daytona/schema.js';
import { PROMETHEUS_TEXT, render } from '../src/metrics/exposition.js';
import { FakeDaytona, makeSandboxes } from '../test/fakes/daytona-server.js';
import { gc, median } from './stats.js';

const API_KEY = 'dtn_bench_key';
const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    sandboxes: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '9' },
    'max-series': { type: 'string', default: '5000' },
  },
});

const mib = (b: number) => (b / 1024 / 1024).toFixed(1);

async function serve(n: number): Promise<void> {
  const fake = await FakeDaytona.start({ apiKey: API_KEY, sandboxes: makeSandboxes(n) });
  process.send!({ apiUrl: fake.apiUrl });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
}

async function bench(): Promise<void> {
  const n = Number(values.sandboxes);
  const runs = Number(values.runs);
  if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for stable memory figures');
  const child = fork(new URL(import.meta.url).pathname, ['--serve', String(n)], { stdio: 'inherit' });
  const apiUrl = await new Promise<string>((resolve) => child.once('message', (m: { apiUrl: string }) => resolve(m.apiUrl)));

  const cfg = daytonaSchema.parse({ api_url: apiUrl, api_key: API_KEY, max_sandbox_series: Number(values['max-series']) });
  const log = pino({ level: 'silent' });
  const refreshMs: number[] = [];
  /** CPU time of this process during the refresh: less sensitive than wall time to a busy machine. */
  const refreshCpuMs: number[] = [];
  const renderMs: number[] = [];
  const retainedBytes: number[] = [];
  const peakBytes: number[] = [];
  let series = 0;
  let bytes = 0;
  let pages = 0;
  for (let i = 0; i < runs; i++) {
    const collector = new DaytonaCollector(cfg);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    // Sampled while the refresh runs: the transient peak (pages, parsed list) that the retained figure hides.
    let peak = heapBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await collector.refresher.runOnce(log);
    refreshMs.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    refreshCpuMs.push((cpu.user + cpu.system) / 1000);
    clearInterval(sampler);
    peakBytes.push(Math.max(peak, process.memoryUsage().heapUsed) - heapBefore);
    gc();
    retainedBytes.push(process.memoryUsage().heapUsed - heapBefore);

    const t1 = performance.now();
    const { families } = await collector.collect();
    const text = render(families, PROMETHEUS_TEXT);
    renderMs.push(performance.now() - t1);
    series = families.reduce((a, f) => a + f.samples.length, 0);
    bytes = text.length;
    pages = collector.requests.get(['list_sandboxes', 'success']);
    await collector.close();
  }
  child.disconnect();

  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify(
      {
        sandboxes: n,
        runs,
        max_sandbox_series: cfg.max_sandbox_series,
        pages_per_refresh: pages,
        series,
        exposition_bytes: bytes,
        refresh_ms_median: Number(median(refreshMs).toFixed(1)),
        refresh_ms_min: Number(Math.min(...refreshMs).toFixed(1)),
        refresh_ms_max: Number(Math.max(...refreshMs).toFixed(1)),
        refresh_cpu_ms_median: Number(median(refreshCpuMs).toFixed(1)),
        load_average_1m: Number(loadavg()[0]!.toFixed(2)),
        collect_and_render_ms_median: Number(median(renderMs).toFixed(1)),
        retained_heap_mib_median: Number(mib(median(retainedBytes))),
        peak_heap_growth_mib_median: Number(mib(median(peakBytes))),
        peak_rss_mib: Number(mib(peakRss)),
        node: process.version,
      },
      null,
      2,
    ),
  );
}

if (values.serve) await serve(Number(values.serve));
else await bench();
