// scratch: promoted bytes of the bare ioredis floor
import { Redis } from 'ioredis';
import { TestRedis } from '../test/helpers/redis.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
async function floor(r: Redis, streams: string[], lanes: number) {
  const groupReplies = await Promise.all(streams.map((s) => Promise.all([r.xinfo('STREAM', s), r.xinfo('GROUPS', s)])));
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < streams.length) {
        const lo = next;
        next += 50;
        const keys: string[] = [];
        await Promise.all(
          streams.slice(lo, lo + 50).flatMap((s, j) =>
            (groupReplies[lo + j]![1] as unknown[][]).map(async (g) => {
              const group = String(g[1]);
              const [consumers] = await Promise.all([r.xinfo('CONSUMERS', s, group), r.xpending(s, group, '-', '+', 1)]);
              for (const c of consumers as unknown[][]) keys.push(`worker:heartbeat:${s}:${String(c[1])}`);
            }),
          ),
        );
        const lookups: Promise<unknown>[] = [];
        for (let i = 0; i < keys.length; i += 1000) lookups.push(r.mget(keys.slice(i, i + 1000)));
        await Promise.all(lookups);
      }
    }),
  );
}
async function main() {
  const redis = await TestRedis.start();
  const w = redis.client();
  await writeFleet(w, BENCH_FLEET);
  const streams = (await w.keys('stream.*')).sort();
  const r = new Redis(redis.url, { enableAutoPipelining: !process.env.NOAP, commandTimeout: Number(process.env.CT ?? 0) || undefined });
  const lanes = Number(process.env.LANES ?? 1000);
  for (let i = 0; i < 2; i++) await floor(r, streams, lanes);
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true });
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    await floor(r, streams, lanes);
    console.log('floor', (performance.now() - t0).toFixed(0));
  }
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as any;
  let tot = 0;
  const walk = (n: any) => {
    tot += n.selfSize;
    n.children.forEach(walk);
  };
  walk(profile.head);
  console.log('promoted per pass MB', (tot / 2 / 2 ** 20).toFixed(1));
  const bySite = new Map<string, number>();
  const walk2 = (n: any, stack: string[]) => {
    const cf = n.callFrame;
    const st = [...stack, `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`];
    if (n.selfSize > 0) bySite.set(st.slice(-4).reverse().join(' < '), (bySite.get(st.slice(-4).reverse().join(' < ')) ?? 0) + n.selfSize);
    n.children.forEach((c: any) => walk2(c, st));
  };
  walk2(profile.head, []);
  for (const [k, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log((v / 2 / 2 ** 20).toFixed(1).padStart(6), k);
  r.disconnect();
  w.disconnect();
  await redis.destroy();
}
main();
