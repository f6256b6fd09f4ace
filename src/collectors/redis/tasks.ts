import { metric } from '../../metrics/names.js';
import { Snapshot, type FamilyBuilder, type MetricFamily } from '../../metrics/family.js';
import { formatValue } from '../../metrics/exposition.js';

/** The wire format's outcome names (docs/task-metrics.md). */
const OUTCOME = /^[a-z_]{1,32}$/;
const PRIORITY_OUTCOMES = ['ok', 'error'];
export const RECENT_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** One histogram as the hash holds it: non-cumulative counts by upper bound (Infinity for `+Inf`). */
export interface RawHistogram {
  buckets: Map<number, number>;
  sum: number;
}

/** What one worker type's `worker:metrics:{worker_type}` hash says, and how many fields were malformed. */
export interface ParsedTaskHash {
  outcomes: Map<string, number>;
  duration?: RawHistogram;
  wait?: RawHistogram;
  invalid: number;
}

const count = (v: string): number | undefined => {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : undefined;
};
const bound = (le: string): number | undefined => {
  if (le === '+Inf') return Infinity;
  return count(le);
};

/**
 * Parses an HGETALL reply. A field with an unknown name, a non-numeric or
 * negative value, a bad `le` or outcome is skipped and counted: one worker's
 * bug never fails the scrape. `le` values are merged by number, so `1` and
 * `1.0` written by workers in different languages are one bucket.
 */
export function parseTaskHash(fields: Record<string, string>): ParsedTaskHash {
  const out: ParsedTaskHash = { outcomes: new Map(), invalid: 0 };
  const histogram = (kind: 'duration' | 'wait') => (out[kind] ??= { buckets: new Map(), sum: 0 });
  for (const [field, raw] of Object.entries(fields)) {
    const value = count(raw);
    const colon = field.indexOf(':');
    const name = colon < 0 ? field : field.slice(0, colon);
    const arg = field.slice(colon + 1);
    if (value === undefined) out.invalid++;
    else if (name === 'tasks' && colon > 0 && OUTCOME.test(arg)) out.outcomes.set(arg, value);
    else if ((name === 'duration_bucket' || name === 'wait_bucket') && colon > 0 && bound(arg) !== undefined) {
      const h = histogram(name === 'duration_bucket' ? 'duration' : 'wait');
      const le = bound(arg)!;
      h.buckets.set(le, (h.buckets.get(le) ?? 0) + value);
    } else if (field === 'duration_sum' || field === 'wait_sum') histogram(field === 'duration_sum' ? 'duration' : 'wait').sum = value;
    else out.invalid++;
  }
  // A sum alone (no bucket field) is no histogram.
  if (out.duration?.buckets.size === 0) delete out.duration;
  if (out.wait?.buckets.size === 0) delete out.wait;
  return out;
}

/** Cumulative buckets sorted by `le`, ending with `+Inf` (= the count). */
export function cumulativeBuckets(h: RawHistogram): { le: number; count: number }[] {
  const sorted = [...h.buckets.entries()].filter(([le]) => le !== Infinity).sort((a, b) => a[0] - b[0]);
  let running = 0;
  const out = sorted.map(([le, n]) => ({ le, count: (running += n) }));
  out.push({ le: Infinity, count: running + (h.buckets.get(Infinity) ?? 0) });
  return out;
}

function addHistogram(f: FamilyBuilder, workerType: string, h: RawHistogram): void {
  const name = f.family.name;
  const buckets = cumulativeBuckets(h);
  for (const b of buckets) {
    f.family.samples.push({ name: `${name}_bucket`, labelValues: [workerType], extraLabels: { le: formatValue(b.le) }, value: b.count });
  }
  f.family.samples.push({ name: `${name}_sum`, labelValues: [workerType], value: h.sum });
  f.family.samples.push({ name: `${name}_count`, labelValues: [workerType], value: buckets[buckets.length - 1]!.count });
}

/** Quantile of sorted values, linear between the closest ranks (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface TaskMetricsInput {
  /** HGETALL reply per worker type (empty when the hash does not exist). */
  hashes: ReadonlyMap<string, Record<string, string>>;
  /** LRANGE reply per worker type: elapsed milliseconds, newest first (seed-compatible latency lists). */
  recent: ReadonlyMap<string, readonly string[]>;
  /** Keys of another type than expected, per worker type (counted as one malformed field). */
  wrongType: ReadonlyMap<string, number>;
}

const W = ['worker_type'];

/** Turns the task-metrics hashes and latency lists into families (pure: no I/O, no clock). */
export function buildTaskMetrics(input: TaskMetricsInput, maxOutcomes: number): { families: MetricFamily[]; dropped: number } {
  const snap = new Snapshot();
  const tasks = snap.counter(metric.fleet_tasks_total, 'Tasks finished by workers of this type, by outcome (from the worker:metrics hash workers flush with their heartbeat).', [
    'worker_type',
    'outcome',
  ]);
  const duration = snap.histogram(metric.fleet_task_duration_seconds, "Task duration as workers observed it (buckets are the workers' choice).", W);
  const wait = snap.histogram(metric.fleet_task_queue_wait_seconds, 'Queue wait of tasks: first delivery time minus the stream entry id time.', W);
  const recent = snap.summary(
    metric.fleet_task_recent_duration_seconds,
    "Quantiles of the newest task durations in the workers' latency list (not aggregatable across types or time: use fleet_task_duration_seconds).",
    ['worker_type', 'quantile'],
  );
  const invalid = snap.gauge(
    metric.fleet_task_metrics_invalid_fields,
    'Fields of the task-metrics hash (and latency-list entries) skipped as malformed: unknown name, non-numeric or negative value.',
    W,
  );
  let dropped = 0;

  const types = [...new Set([...input.hashes.keys(), ...input.recent.keys(), ...input.wrongType.keys()])].sort();
  for (const type of types) {
    let bad = input.wrongType.get(type) ?? 0;
    let seen = bad > 0;
    const fields = input.hashes.get(type);
    if (fields && Object.keys(fields).length > 0) {
      seen = true;
      const parsed = parseTaskHash(fields);
      bad += parsed.invalid;
      // ok and error first, then by name: the kept set is stable from scrape to scrape.
      const names = [...parsed.outcomes.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
      names.forEach((o, i) => (i < maxOutcomes ? tasks.set(parsed.outcomes.get(o)!, type, o) : dropped++));
      if (parsed.duration) addHistogram(duration, type, parsed.duration);
      if (parsed.wait) addHistogram(wait, type, parsed.wait);
    }
    const list = input.recent.get(type);
    if (list && list.length > 0) {
      seen = true;
      const ms = list.map(count);
      const values = ms.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
      bad += ms.length - values.length;
      if (values.length > 0) for (const q of RECENT_QUANTILES) recent.set(quantile(values, q) / 1000, type, String(q));
    }
    if (seen) invalid.set(bad, type);
  }
  return { families: snap.families(), dropped };
}

const rank = (outcome: string) => {
  const i = PRIORITY_OUTCOMES.indexOf(outcome);
  return i < 0 ? PRIORITY_OUTCOMES.length : i;
};
