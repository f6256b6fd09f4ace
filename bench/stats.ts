import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** Median of repeated measurements (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Forces a garbage collection when node runs with --expose-gc (memory figures need it). */
export const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** CPU time (user + system) a process has used, in ms: steadier than wall time on a busy machine. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** A process's resident memory now and at its peak (VmHWM), MiB: the peak is what a memory limit must cover. */
export function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Redis's time (µs) by command since its start, INFO itself left out; subcommands (`xinfo|consumers`) count on their own. */
export async function commandUsec(r: Redis): Promise<Map<string, number>> {
  const info = await r.info('commandstats');
  const usec = new Map<string, number>();
  for (const m of info.matchAll(/cmdstat_([\w|]+):calls=\d+,usec=(\d+)/g)) if (m[1] !== 'info') usec.set(m[1]!, Number(m[2]));
  return usec;
}
