// scratch: live heap of one collection, in process
import v8 from 'node:v8';
import { TestRedis } from '../test/helpers/redis.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
import { parseConfig } from '../src/config/load.js';
import { createCollectors } from '../src/collectors/index.js';
import { render, PROMETHEUS_TEXT } from '../src/metrics/exposition.js';
import pino from 'pino';
const gc = (globalThis as any).gc as () => void;
const mb = (n: number) => (n / 2 ** 20).toFixed(1);
function report(label: string) {
  gc();
  gc();
  const m = process.memoryUsage();
  console.log(`${label.padEnd(28)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} rss ${mb(m.rss)}`);
}
async function main() {
  const redis = await TestRedis.start();
  const r = redis.client();
  await writeFleet(r, { ...BENCH_FLEET, streams: Number(process.argv[2] ?? 1000) });
  report('baseline');
  const config = parseConfig(`redis:\n  url: ${redis.url}\n  streams:\n    patterns: ["stream.*"]\n  discovery_max_redis_share: 1\n`, 'x.yml');
  const [c] = createCollectors(config as any);
  c!.start(pino({ level: 'warn' }) as any);
  const ctx = () => ({ signal: new AbortController().signal, deadlineMs: Date.now() + 60000, log: pino({ level: 'warn' }) as any });
  let res = await c!.collect(ctx());
  await new Promise((r) => setTimeout(r, 3000));
  res = await c!.collect(ctx());
  report('after discovery + 1 collect (result held)');
  let text = render(res.families, PROMETHEUS_TEXT);
  report('+ rendered string held');
  console.log(
    'exposition',
    mb(text.length),
    'MB',
    'series',
    res.families.reduce((a, f) => a + f.samples.length, 0),
  );
  text = '';
  res = undefined as any;
  report('result dropped');
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true });
  for (let i = 0; i < Number(process.env.N ?? 2); i++) {
    const t0 = performance.now();
    const r2 = await c!.collect(ctx());
    console.log('collect', (performance.now() - t0).toFixed(0), 'ms');
    if (process.env.RENDER) {
      const { gzipSync } = await import('node:zlib');
      const b = gzipSync(Buffer.from(render(r2.families, PROMETHEUS_TEXT)), { level: 1 });
      void b;
    }
  }
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as any;
  const bySite = new Map<string, number>();
  const walk = (n: any, stack: string[]) => {
    const cf = n.callFrame;
    const here = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`;
    const st = [...stack, here];
    if (n.selfSize > 0) {
      const key = st.slice(-3).join(' < ');
      bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, st);
  };
  walk(profile.head, []);
  let tot = 0;
  for (const v of bySite.values()) tot += v;
  console.log('sampled live/promoted', mb(tot));
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(mb(v).padStart(7), k.split(' < ').reverse().join(' < '));
  const hs = v8.getHeapSpaceStatistics();
  for (const s of hs) console.log(s.space_name, mb(s.space_size), mb(s.space_used_size));
  await c!.close();
  r.disconnect();
  await redis.destroy();
}
main();
