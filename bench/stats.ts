/** Median of repeated measurements (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Forces a garbage collection when node runs with --expose-gc (memory figures need it). */
export const gc = () => (globalThis as { gc?: () => void }).gc?.();
