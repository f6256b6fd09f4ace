import type { ChainableCommander } from 'ioredis';

/** OpenTelemetry's advisory buckets for messaging.process.duration, in seconds. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Queue wait under backlog runs far longer than a task: 50 ms to 30 min. */
export const DEFAULT_WAIT_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export const OUTCOME = /^[a-z_]{1,32}$/;

export interface Observation {
  /** `ok`, `error`, or any [a-z_]{1,32}; default `ok`. Never an id: each outcome is a series. */
  outcome?: string;
  durationSeconds: number;
  /** Queue wait (see queueWaitSeconds); leave out when unknown, e.g. on a redelivery. */
  waitSeconds?: number;
}

/**
 * Queue wait of a stream entry: delivery time minus the milliseconds in its
 * id (`1718000000000-0`), clamped at 0 (clocks of producer and worker differ).
 */
export function queueWaitSeconds(entryId: string, deliveredAtMs = Date.now()): number {
  const dash = entryId.indexOf('-');
  const ms = Number(dash < 0 ? entryId : entryId.slice(0, dash));
  if (!Number.isFinite(ms)) return 0;
  return Math.max(0, (deliveredAtMs - ms) / 1000);
}

/** The `le` as written in field names: shortest round-trip decimal, `+Inf` for the last. */
export const formatLe = (le: number): string => (le === Infinity ? '+Inf' : String(le));

class Buckets {
  readonly bounds: readonly number[];
  readonly fields: readonly string[];
  counts: Float64Array;
  sum = 0;

  constructor(
    bounds: readonly number[],
    readonly prefix: 'duration' | 'wait',
  ) {
    if (bounds.some((b, i) => !Number.isFinite(b) || b < 0 || (i > 0 && b <= bounds[i - 1]!))) {
      throw new RangeError(`${prefix} buckets must be finite, non-negative and increasing`);
    }
    this.bounds = bounds;
    this.fields = [...bounds, Infinity].map((b) => `${prefix}_bucket:${formatLe(b)}`);
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
  }

  /** HINCRBYs for the non-zero buckets; all of them on a worker's first flush, so the exporter sees every `le` from the start. */
  write(m: ChainableCommander, key: string, layout: boolean): void {
    for (let i = 0; i < this.counts.length; i++) if (layout || this.counts[i]) m.hincrby(key, this.fields[i]!, this.counts[i]!);
    if (layout || this.sum) m.hincrbyfloat(key, `${this.prefix}_sum`, this.sum);
  }

  add(o: Buckets): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += o.counts[i]!;
    this.sum += o.sum;
  }
}

/**
 * Task counts summed in memory between flushes: one observation costs a few
 * array writes, and a flush is a handful of HINCRBY / HINCRBYFLOAT in the
 * heartbeat's own MULTI (wire format: docs/task-metrics.md).
 */
export class TaskMetrics {
  private duration: Buckets;
  private wait: Buckets;
  private outcomes = new Map<string, number>();
  private observed = 0;
  private layoutWritten = false;
  /** Outcomes already checked against OUTCOME: the regex runs once per outcome, not per task. */
  private readonly validOutcomes = new Set<string>();

  constructor(
    readonly durationBuckets: readonly number[] = DEFAULT_DURATION_BUCKETS,
    readonly waitBuckets: readonly number[] = DEFAULT_WAIT_BUCKETS,
  ) {
    this.duration = new Buckets(durationBuckets, 'duration');
    this.wait = new Buckets(waitBuckets, 'wait');
  }

  observe({ outcome = 'ok', durationSeconds, waitSeconds }: Observation): void {
    if (!this.validOutcomes.has(outcome)) {
      if (!OUTCOME.test(outcome)) throw new RangeError(`outcome must match ${OUTCOME}: ${JSON.stringify(outcome)}`);
      this.validOutcomes.add(outcome);
    }
    if (!Number.isFinite(durationSeconds)) throw new RangeError(`durationSeconds must be finite: ${durationSeconds}`);
    this.duration.observe(Math.max(0, durationSeconds));
    if (waitSeconds !== undefined && Number.isFinite(waitSeconds)) this.wait.observe(Math.max(0, waitSeconds));
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    this.observed++;
  }

  /**
   * Moves what was observed into `m` (HINCRBYs on `key`) and returns an undo
   * that puts it back, for when the MULTI fails: counts then go with the
   * next flush instead of being lost.
   */
  drainInto(m: ChainableCommander, key: string): (() => void) | undefined {
    if (this.observed === 0) return undefined;
    const layout = !this.layoutWritten;
    const { duration, wait, outcomes } = this;
    duration.write(m, key, layout);
    wait.write(m, key, layout);
    for (const [outcome, n] of outcomes) m.hincrby(key, `tasks:${outcome}`, n);
    this.duration = new Buckets(this.durationBuckets, 'duration');
    this.wait = new Buckets(this.waitBuckets, 'wait');
    this.outcomes = new Map();
    const observed = this.observed;
    this.observed = 0;
    this.layoutWritten = true;
    return () => {
      this.duration.add(duration);
      this.wait.add(wait);
      for (const [o, n] of outcomes) this.outcomes.set(o, (this.outcomes.get(o) ?? 0) + n);
      this.observed += observed;
      if (layout) this.layoutWritten = false;
    };
  }

  /** Observations not yet flushed (what a SIGKILL now would lose). */
  get unflushed(): number {
    return this.observed;
  }
}
