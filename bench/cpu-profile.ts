/**
 * Where an exporter's CPU goes: a V8 CPU profile (node --cpu-prof), its self
 * time grouped by what runs it. Shares of the profile's busy time (idle and
 * module loading left out), so they apply to a scrape's CPU time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The part of the exporter (or of what it runs on) a function belongs to. */
function partOf({ functionName, url }: ProfileNode['callFrame']): string | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url.includes('/redis-parser/')) return 'RESP parsing (redis-parser)';
  if (url.includes('/ioredis/')) return 'ioredis: commands, replies';
  if (url.startsWith('node:internal/modules') || url.includes('cjs-module-lexer') || url.startsWith('node:internal/bootstrap')) return undefined; // start-up
  if (/\/src\/collectors\/redis\/metrics\.js$|\/src\/metrics\/family\.js$/.test(url)) return 'exporter: building metric families';
  if (url.includes('/src/metrics/exposition.js')) return 'exporter: rendering the exposition';
  if (url.includes('/src/collectors/redis/')) return 'exporter: Redis collector (join, parsing, worker table)';
  if (url.includes('/src/')) return 'exporter: other';
  if ((url === '' && functionName !== '(program)') || url.startsWith('node:buffer') || url.startsWith('node:internal/buffer')) {
    return 'native: string and Buffer encoding, socket writes';
  }
  if (url.startsWith('node:zlib') || url.includes('/express/') || url.startsWith('node:_http') || url.startsWith('node:http')) return 'HTTP and gzip';
  return 'Node.js: streams, timers, promises, other';
}

/** Busy time by part, in ms, over every .cpuprofile in `dir`. */
export function cpuByPart(dir: string): Map<string, number> {
  const byPart = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const parts = new Map(profile.nodes.map((n) => [n.id, partOf(n.callFrame)]));
    profile.samples.forEach((id, i) => {
      const part = parts.get(id);
      if (part) byPart.set(part, (byPart.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
  }
  return byPart;
}

/** A Markdown table of shares, scaled to `cpuMsPerScrape`. */
export function cpuTable(byPart: Map<string, number>, cpuMsPerScrape: number): string {
  const total = [...byPart.values()].reduce((a, b) => a + b, 0);
  const rows = [...byPart].sort((a, b) => b[1] - a[1]);
  const lines = ['| part | share of CPU | ms per scrape |', '|---|---:|---:|'];
  for (const [part, ms] of rows) lines.push(`| ${part} | ${((100 * ms) / total).toFixed(1)} % | ${((cpuMsPerScrape * ms) / total).toFixed(0)} |`);
  return lines.join('\n');
}
