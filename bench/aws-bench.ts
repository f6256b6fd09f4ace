/**
 * EC2 + CloudWatch refresh benchmark: a fresh exporter's time to complete
 * data (discovery, then the chained CloudWatch refresh), each refresh on its
 * own, API calls per refresh, memory, and the scrape that serves it, for N
 * instances (default 2,000) against the local fake EC2/CloudWatch endpoint.
 * The fake runs in a child process so its memory and CPU do not count.
 *
 *   npm run build && node --expose-gc dist/bench/aws-bench.js [--instances 2000] [--runs 7]
 */
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { AwsCollector } from '../src/collectors/aws/index.js';
import { awsSchema } from '../src/collectors/aws/schema.js';
import { PROMETHEUS_TEXT, render } from '../src/metrics/exposition.js';
import { FakeAws, syntheticFleet } from '../test/fakes/aws-server.js';
import { gc, median } from './stats.js';

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    instances: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '7' },
  },
});

const mib = (b: number) => Number((b / 1024 / 1024).toFixed(1));
const ms = (x: number) => Number(x.toFixed(1));

async function serve(n: number): Promise<void> {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(n, { stoppedEvery: 20 });
  fake.keepRequests = 0;
  const endpoint = await fake.start();
  process.send!({ endpoint });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
}

async function bench(): Promise<void> {
  const n = Number(values.instances);
  const runs = Number(values.runs);
  if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for stable memory figures');
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIABENCHBENCHBENCH0';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const child = fork(new URL(import.meta.url).pathname, ['--serve', String(n)], { stdio: 'inherit' });
  const endpoint = await new Promise<string>((resolve) => child.once('message', (m: { endpoint: string }) => resolve(m.endpoint)));

  const cfg = awsSchema.parse({ regions: ['us-east-1'], endpoint, refresh_seconds: 3600, cloudwatch_refresh_seconds: 3600, max_instance_series: n });
  const log = pino({ level: 'silent' });
  const fresh: number[] = [];
  const ec2Ms: number[] = [];
  const cwMs: number[] = [];
  const scrapeMs: number[] = [];
  const retained: number[] = [];
  const peak: number[] = [];
  let calls: Record<string, number> = {};
  let series = 0;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const collector = new AwsCollector(cfg);
    gc();
    const before = process.memoryUsage().heapUsed;
    let top = before;
    const sampler = setInterval(() => (top = Math.max(top, process.memoryUsage().heapUsed)), 2);
    const t0 = performance.now();
    collector.start(log);
    while (collector.cloudwatch!.lastSuccessSeconds() === undefined) await new Promise((r) => setTimeout(r, 1));
    fresh.push(performance.now() - t0);
    clearInterval(sampler);
    peak.push(Math.max(top, process.memoryUsage().heapUsed) - before);
    gc();
    retained.push(process.memoryUsage().heapUsed - before);

    const count = (op: string) => collector.cost.requests.get([op === 'GetMetricData' ? 'cloudwatch' : 'ec2', op, 'success']);
    calls = Object.fromEntries(['DescribeInstances', 'DescribeInstanceStatus', 'GetMetricData'].map((op) => [op, count(op)]));
    let t = performance.now();
    await collector.ec2.runOnce();
    ec2Ms.push(performance.now() - t);
    t = performance.now();
    await collector.cloudwatch!.runOnce();
    cwMs.push(performance.now() - t);

    t = performance.now();
    const { families } = await collector.collect();
    const text = render(families, PROMETHEUS_TEXT);
    scrapeMs.push(performance.now() - t);
    series = families.reduce((a, f) => a + f.samples.length, 0);
    bytes = text.length;
    await collector.close();
  }
  child.disconnect();

  console.log(
    JSON.stringify(
      {
        instances: n,
        running: n - Math.floor(n / 20),
        runs,
        calls_per_refresh: calls,
        cloudwatch_metrics_requested_per_refresh: (n - Math.floor(n / 20)) * 2,
        fresh_exporter_complete_ms_median: ms(median(fresh)),
        ec2_refresh_ms_median: ms(median(ec2Ms)),
        ec2_refresh_ms_max: ms(Math.max(...ec2Ms)),
        cloudwatch_refresh_ms_median: ms(median(cwMs)),
        cloudwatch_refresh_ms_max: ms(Math.max(...cwMs)),
        collect_and_render_ms_median: ms(median(scrapeMs)),
        series,
        exposition_bytes: bytes,
        retained_heap_mib_median: mib(median(retained)),
        peak_heap_growth_mib_median: mib(median(peak)),
        peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
        node: process.version,
      },
      null,
      2,
    ),
  );
}

if (values.serve) await serve(Number(values.serve));
else await bench();
