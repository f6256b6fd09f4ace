import type pg from 'pg';
import type { Logger } from '../../log.js';
import { CounterVec, Snapshot, type MetricFamily } from '../../metrics/family.js';
import { errorMessage } from '../../redact.js';
import { CollectError, type Collector, type CollectContext, type CollectResult } from '../types.js';
import { HEALTH_SQL, healthFamilies, probeFamily, upFamily, type HealthRow } from './metrics.js';
import { presetQueries, type PresetName } from './presets/index.js';
import { labelNames, samplesFromRows, specsFromConfig, type QuerySamples, type QuerySpec } from './parse.js';
import { createPool, isCanceled, runReadOnly, withClient } from './client.js';
import type { PostgresConfig } from './schema.js';
import { metric } from '../../metrics/names.js';

/** Kept back from the collection's deadline: a cut statement's rollback, and the reply. */
const MARGIN_MS = 200;
/** A query is not started with less time than this left. */
const MIN_QUERY_MS = 50;

interface QueryState {
  spec: QuerySpec;
  /** When the query last ran (ms); it runs again once min_interval has passed. */
  lastRunMs: number;
  durationSeconds?: number;
  /** The last good result, kept until the next run (undefined after a failure). */
  result?: QuerySamples;
  lastError?: string;
}

/**
 * PostgreSQL: database health (probe, connections, size, oldest transaction,
 * lock waits) and declarative SQL metrics from presets and the config.
 * Each scrape: a SELECT 1 probe and one health statement on one connection,
 * then every due query concurrently over the pool, each in its own read-only
 * transaction. A failing query only loses its own metrics; so does one the
 * collection's time budget cuts short (its statement_timeout is capped to
 * the time left) or leaves no time to start.
 */
export class PostgresCollector implements Collector {
  readonly name = 'postgres';
  readonly timeoutSeconds: number;
  readonly minIntervalSeconds = 0; // queries cache themselves (min_interval_seconds)
  private pool?: pg.Pool;
  private log?: Logger;
  private readonly queries: QueryState[];
  private readonly errors = new CounterVec(
    metric.fleet_sql_query_errors_total,
    'Failed runs per query: SQL error, timeout, or a result that cannot be exported (non-numeric value, missing column).',
    ['query'],
  );

  constructor(private readonly cfg: PostgresConfig) {
    this.timeoutSeconds = cfg.timeout_seconds;
    const specs = [
      ...[...new Set(cfg.presets)].flatMap((p) => presetQueries(p as PresetName, cfg.preset_options).map((s) => ({ ...s, trusted: true }))),
      ...specsFromConfig(cfg.metrics),
    ];
    this.queries = specs.map((spec) => ({ spec: { ...spec, maxRows: spec.maxRows ?? cfg.max_rows_per_query }, lastRunMs: 0 }));
    for (const q of this.queries) for (const id of q.spec.ids) this.errors.touch([id]);
  }

  start(log: Logger): void {
    this.log = log;
    this.pool = createPool(this.cfg);
    let lastError = '';
    // An idle connection dropped by the server (restart, admin shutdown) is
    // removed by the pool; without a listener the 'error' event would crash the process.
    this.pool.on('error', (err) => {
      const msg = errorMessage(err);
      if (msg !== lastError) log.warn({ error: msg }, 'postgres connection lost');
      lastError = msg;
    });
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
  }

  async collect({ signal, deadlineMs }: CollectContext): Promise<CollectResult> {
    const pool = this.pool!;
    // Cut just before the engine gives up on this collection: what finished by
    // then is returned, and only the queries still running lose their series.
    const cut = AbortSignal.any([signal, AbortSignal.timeout(Math.max(0, deadlineMs - MARGIN_MS / 2 - Date.now()))]);
    const leftSeconds = (limit: number) => Math.min(limit, (deadlineMs - MARGIN_MS - Date.now()) / 1000);
    const snap = new Snapshot();
    let probeSeconds: number | undefined;
    let health: HealthRow;
    try {
      health = await withClient(pool, cut, async (client) => {
        const t0 = performance.now();
        await client.query('SELECT 1');
        probeSeconds = (performance.now() - t0) / 1000;
        const res = await runReadOnly(client, HEALTH_SQL, leftSeconds(this.cfg.timeout_seconds), true);
        return res.rows[0] as unknown as HealthRow;
      });
    } catch (err) {
      upFamily(snap, probeSeconds !== undefined);
      if (probeSeconds !== undefined) probeFamily(snap, probeSeconds);
      throw new CollectError(errorMessage(err), [...snap.families(), ...this.errorFamilies()]);
    }
    upFamily(snap, true);
    probeFamily(snap, probeSeconds!);
    healthFamilies(snap, health);

    const now = Date.now();
    const due = this.queries.filter((q) => now - q.lastRunMs >= q.spec.minIntervalSeconds * 1000);
    // At most pool_size queries in flight: pg's connectionTimeoutMillis also
    // bounds the wait for a free pooled connection, so queueing in the pool
    // would fail queries that merely waited their turn.
    const workers = Math.min(this.cfg.pool_size, due.length);
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let q = due.shift(); q; q = due.shift()) {
          if (cut.aborted || leftSeconds(Infinity) * 1000 < MIN_QUERY_MS) this.failed(q, 'not started: the collection ran out of time', true);
          else await this.run(q, pool, cut, leftSeconds);
        }
      }),
    );
    const dropped = this.queryFamilies(snap);
    return { families: [...snap.families(), ...this.errorFamilies()], droppedSeries: dropped };
  }

  /** Runs one query, its statement_timeout capped to the time this collection has left. */
  private async run(q: QueryState, pool: pg.Pool, cut: AbortSignal, leftSeconds: (limit: number) => number): Promise<void> {
    const started = performance.now();
    q.lastRunMs = Date.now();
    let capped = false;
    try {
      const res = await withClient(pool, cut, (client) => {
        const timeout = leftSeconds(q.spec.timeoutSeconds);
        capped = timeout < q.spec.timeoutSeconds;
        return runReadOnly(client, q.spec.sql, timeout, q.spec.trusted);
      });
      q.result = samplesFromRows(q.spec, res.columns, res.rows);
      if (q.lastError) this.log?.info({ query: q.spec.ids.join(',') }, 'query succeeds again');
      q.lastError = undefined;
    } catch (err) {
      const outOfTime = cut.aborted || (capped && isCanceled(err));
      this.failed(q, outOfTime ? 'cut short: the collection ran out of time' : errorMessage(err), outOfTime);
    } finally {
      q.durationSeconds = (performance.now() - started) / 1000;
    }
  }

  downFamilies(): MetricFamily[] {
    const snap = new Snapshot();
    upFamily(snap, false);
    return [...snap.families(), ...this.errorFamilies()];
  }

  /** A query that failed, or did not finish within the collection, loses its series until its next run. */
  private failed(q: QueryState, msg: string, outOfTime: boolean): void {
    q.result = undefined;
    for (const i of q.spec.ids) this.errors.inc([i]);
    if (msg === q.lastError) return; // logged once per change, never once per scrape
    const why = outOfTime ? ' (raise postgres.timeout_seconds, or the scrape timeout, or make the query faster)' : '';
    this.log?.warn({ query: q.spec.ids.join(','), error: msg }, `query failed; its metrics are left out${why}`);
    q.lastError = msg;
  }

  /** Process-lifetime error counters; left out while no query is configured. */
  private errorFamilies(): MetricFamily[] {
    const errors = this.errors.family();
    return errors.samples.length > 0 ? [errors] : [];
  }

  /** Adds query results (fresh or cached) and per-query durations to snap; returns the series dropped by caps. */
  private queryFamilies(snap: Snapshot): number {
    const duration = snap.gauge(metric.fleet_sql_query_duration_seconds, 'Time the last run of each query took (cached queries keep their last run).', ['query']);
    const seen = new Map<string, Set<string>>();
    let dropped = 0;
    for (const q of this.queries) {
      if (q.durationSeconds !== undefined) for (const id of q.spec.ids) duration.set(q.durationSeconds, id);
      if (!q.result) continue;
      dropped += q.result.dropped;
      for (const [i, m] of q.spec.metrics.entries()) {
        const family = m.type === 'counter' ? snap.counter(m.name, m.help, labelNames(m)) : snap.gauge(m.name, m.help, labelNames(m));
        let keys = seen.get(m.name);
        if (!keys) seen.set(m.name, (keys = new Set()));
        for (const s of q.result.samples[i]!) {
          const key = s.labelValues.join('\u0000');
          if (keys.has(key)) continue; // two queries of one family reported the same series: the first wins
          keys.add(key);
          family.set(s.value, ...s.labelValues);
        }
      }
    }
    return dropped;
  }
}
