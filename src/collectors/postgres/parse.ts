import type { Sample } from '../../metrics/family.js';
import type { SqlMetricConfig } from './schema.js';

/** One exported metric read from one value column of a query's rows. */
export interface MetricSpec {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  /** Columns whose values become labels, named as the columns. */
  labels: readonly string[];
  /** The column holding the sample value. */
  value: string;
  /** Labels with a fixed value (several value columns of one row → one family). */
  constLabels?: Readonly<Record<string, string>>;
}

/** One SQL statement, run read-only on its own schedule, feeding one or more metrics. */
export interface QuerySpec {
  /** Values of the `query` label on fleet_sql_query_{duration_seconds,errors_total}. */
  ids: readonly string[];
  sql: string;
  timeoutSeconds: number;
  minIntervalSeconds: number;
  metrics: readonly MetricSpec[];
  /** Rows beyond this are left out and counted in fleet_series_dropped_total. */
  maxRows?: number;
  /** SQL built by the exporter (presets), not taken from the config: may share a round trip with BEGIN/ROLLBACK. */
  trusted?: boolean;
}

export class QueryResultError extends Error {}

/** Label names of a metric, in order: row labels, then constant labels. */
export function labelNames(m: MetricSpec): string[] {
  return [...m.labels, ...Object.keys(m.constLabels ?? {})];
}

/**
 * The config's declarative metrics as query specs. Metrics with the same SQL
 * text, timeout and interval share one execution; a metric with several
 * value columns becomes `<name>_<column>`.
 */
export function specsFromConfig(metrics: readonly SqlMetricConfig[]): QuerySpec[] {
  const byQuery = new Map<string, { ids: string[]; metrics: MetricSpec[]; cfg: SqlMetricConfig }>();
  for (const m of metrics) {
    const key = JSON.stringify([m.query.trim(), m.timeout_seconds, m.min_interval_seconds]);
    let group = byQuery.get(key);
    if (!group) byQuery.set(key, (group = { ids: [], metrics: [], cfg: m }));
    group.ids.push(m.name);
    for (const column of m.values) {
      group.metrics.push({
        name: m.values.length === 1 ? m.name : `${m.name}_${column}`,
        help: m.help,
        type: m.type,
        labels: m.labels,
        value: column,
      });
    }
  }
  return [...byQuery.values()].map(({ ids, metrics: ms, cfg }) => ({
    ids,
    sql: cfg.query,
    timeoutSeconds: cfg.timeout_seconds,
    minIntervalSeconds: cfg.min_interval_seconds,
    metrics: ms,
  }));
}

const NUMERIC = /^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|NaN|Infinity)\s*$/;

/**
 * A sample value from what `pg` returns: numbers, numeric/bigint as strings,
 * booleans as 1/0. NULL is `undefined` (skipped, never exported as 0);
 * anything else is an error for the whole query.
 */
export function sampleValue(v: unknown, column: string): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  const shown = typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v) : typeof v;
  throw new QueryResultError(`column "${column}" has a non-numeric value ${shown}`);
}

function labelValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export interface QuerySamples {
  /** Samples of each of spec.metrics, in order (label values in labelNames order). */
  samples: Sample[][];
  /** Series left out because of maxRows. */
  dropped: number;
}

/**
 * Turns a query's rows into samples (pure). Throws QueryResultError when a
 * configured column is missing, a value is not numeric, or two rows carry
 * the same labels: the query's result as a whole is then discarded.
 */
export function samplesFromRows(spec: QuerySpec, columns: readonly string[], rows: readonly Record<string, unknown>[]): QuerySamples {
  const present = new Set(columns);
  for (const m of spec.metrics) {
    for (const c of [...m.labels, m.value]) {
      if (!present.has(c)) throw new QueryResultError(`column "${c}" (metric ${m.name}) is not in the result (columns: ${columns.join(', ') || 'none'})`);
    }
  }
  const limit = spec.maxRows ?? Infinity;
  const kept = rows.slice(0, limit);
  const samples: Sample[][] = [];
  let dropped = 0;
  for (const m of spec.metrics) {
    const out: Sample[] = [];
    const seen = new Set<string>();
    const consts = Object.values(m.constLabels ?? {});
    for (const row of kept) {
      const labelValues = [...m.labels.map((l) => labelValue(row[l])), ...consts];
      const key = labelValues.join('\u0000');
      if (seen.has(key)) throw new QueryResultError(`two rows have the same labels {${labelValues.join(', ')}} (metric ${m.name})`);
      seen.add(key);
      const value = sampleValue(row[m.value], m.value);
      if (value !== undefined) out.push({ labelValues, value });
    }
    for (const row of rows.slice(kept.length)) if (row[m.value] !== null && row[m.value] !== undefined) dropped++;
    samples.push(out);
  }
  return { samples, dropped };
}
