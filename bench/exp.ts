// scratch: A/B variants of the exporter on one fleet
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseArgs } from 'node:util';
import { TestRedis } from '../test/helpers/redis.js';
import { CLI } from '../test/helpers/exporter.js';
import { freePort, waitFor } from '../test/helpers/net.js';
import { BENCH_FLEET, writeFleet } from './synthetic-fleet.js';
import { median } from './stats.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, streams: { type: 'string', default: '1000' }, variants: { type: 'string' }, rounds: { type: 'string', default: '2' } },
});
interface Variant {
  name: string;
  node?: string[];
  env?: Record<string, string>;
}
const variants: Variant[] = JSON.parse(args.variants!);
import { openSync } from 'node:fs';
const require_fd = (n: string) => openSync('/tmp/exp-' + n.replace(/\W+/g, '_') + '.log', 'w');
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
function mem(pid: number) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+) kB`).exec(s)?.[1]) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}
async function main() {
  const redis = await TestRedis.start();
  const r = redis.client();
  await writeFleet(r, { ...BENCH_FLEET, streams: Number(args.streams) });
  const dir = mkdtempSync(join(tmpdir(), 'exp-'));
  const file = join(dir, 'c.yml');
  writeFileSync(file, yaml.dump({ redis: { url: redis.url, streams: { patterns: ['stream.*'] } }, scrape_timeout_seconds: 60 }));
  const results = new Map<string, { wall: number[]; cpu: number[]; rss: number[]; peak: number[] }>();
  for (let round = 0; round < Number(args.rounds ?? 2); round++) {
    for (const v of variants) {
      const port = await freePort();
      const p = spawn(process.execPath, [...(v.node ?? []), CLI, '--config', file, '--listen', `127.0.0.1:${port}`], {
        env: { ...process.env, ...v.env },
        stdio: ['ignore', require_fd(v.name), require_fd(v.name + '.err')],
      });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ?? false, 15000);
      const url = `http://127.0.0.1:${port}/metrics`;
      await new Promise((res) => setTimeout(res, Number(process.env.EXP_WAIT ?? 25000))); // first discovery passes
      if (process.env.EXP_DEBUG) console.log('before scrapes', JSON.stringify(mem(p.pid!)));
      const s: { wall: number; cpu: number }[] = [];
      for (let i = 0; i < Number(args.runs) + 2; i++) {
        const c0 = cpuMs(p.pid!);
        const t0 = performance.now();
        const res = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
        const body = await res.text();
        const wall = performance.now() - t0;
        if (!body.includes('fleet_redis_up 1')) throw new Error(v.name + ' not up');
        if (process.env.EXP_DEBUG) console.log(v.name, i, wall.toFixed(0), (cpuMs(p.pid!) - c0).toFixed(0), JSON.stringify(mem(p.pid!)));
        if (i >= 2) s.push({ wall, cpu: cpuMs(p.pid!) - c0 });
      }
      const m = mem(p.pid!);
      p.kill('SIGINT');
      await new Promise((res) => p.once('exit', res));
      const e = results.get(v.name) ?? { wall: [], cpu: [], rss: [], peak: [] };
      e.wall.push(median(s.map((x) => x.wall)));
      e.cpu.push(median(s.map((x) => x.cpu)));
      e.rss.push(m.rss);
      e.peak.push(m.peak);
      results.set(v.name, e);
    }
  }
  const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join('/');
  for (const [name, e] of results) console.log(`${name.padEnd(24)} wall ${f(e.wall)}  cpu ${f(e.cpu)}  rss ${f(e.rss)}  peak ${f(e.peak)}`);
  r.disconnect();
  await redis.destroy();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
