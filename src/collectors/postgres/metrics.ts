import { Snapshot } from '../../metrics/family.js';
import { sampleValue } from './parse.js';
import { metric } from '../../metrics/names.js';

/** Metric names this collector exports itself; config metrics may not reuse them. */
export const BUILTIN_METRICS = [
  metric.fleet_postgres_up,
  metric.fleet_postgres_probe_duration_seconds,
  metric.fleet_postgres_connections,
  metric.fleet_postgres_max_connections,
  metric.fleet_postgres_database_size_bytes,
  metric.fleet_postgres_oldest_transaction_age_seconds,
  metric.fleet_postgres_lock_waiting_queries,
  metric.fleet_sql_query_duration_seconds,
  metric.fleet_sql_query_errors_total,
];

/** pg_stat_activity's own state names: always exported, also at 0. */
export const CONNECTION_STATES = ['active', 'idle', 'idle in transaction', 'idle in transaction (aborted)', 'fastpath function call', 'disabled'];

/**
 * Database health in one statement (one round trip). Sessions are client
 * backends of the monitored database, of every role: seeing other roles'
 * state needs pg_monitor (sql/grant-readonly.sql). The exporter's own
 * session is left out of the oldest transaction, since it is in one now.
 */
export const HEALTH_SQL = `SELECT
  current_setting('max_connections')::int AS max_connections,
  pg_database_size(current_database()) AS database_size,
  (SELECT coalesce(greatest(0, max(extract(epoch from now() - xact_start))), 0)::float8 FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend' AND xact_start IS NOT NULL AND pid <> pg_backend_pid()) AS oldest_xact,
  (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock') AS lock_waiting,
  (SELECT coalesce(json_object_agg(state, n), '{}') FROM (
    SELECT coalesce(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend' GROUP BY 1) s) AS connections`;

export interface HealthRow {
  max_connections: unknown;
  database_size: unknown;
  oldest_xact: unknown;
  lock_waiting: unknown;
  connections: unknown;
}

export function upFamily(snap: Snapshot, up: boolean): void {
  snap.gauge(metric.fleet_postgres_up, 'Whether PostgreSQL answered the SELECT 1 probe of the last scrape.').set(up ? 1 : 0);
}

export function probeFamily(snap: Snapshot, seconds: number): void {
  snap.gauge(metric.fleet_postgres_probe_duration_seconds, 'Round trip of the SELECT 1 probe.').set(seconds);
}

/** Health families from HEALTH_SQL's row (pure). */
export function healthFamilies(snap: Snapshot, row: HealthRow): void {
  const set = (name: string, help: string, v: unknown, column: string) => {
    const value = sampleValue(v, column);
    if (value !== undefined) snap.gauge(name, help).set(value);
  };
  set(metric.fleet_postgres_max_connections, 'The max_connections setting.', row.max_connections, 'max_connections');
  set(metric.fleet_postgres_database_size_bytes, 'Size of the monitored database on disk.', row.database_size, 'database_size');
  set(
    metric.fleet_postgres_oldest_transaction_age_seconds,
    'Age of the oldest open transaction in the monitored database, idle-in-transaction sessions included (0 when none).',
    row.oldest_xact,
    'oldest_xact',
  );
  set(metric.fleet_postgres_lock_waiting_queries, 'Sessions of the monitored database waiting for a lock.', row.lock_waiting, 'lock_waiting');
  const byState = (typeof row.connections === 'string' ? JSON.parse(row.connections) : (row.connections ?? {})) as Record<string, number>;
  const conns = snap.gauge(metric.fleet_postgres_connections, 'Client connections to the monitored database by pg_stat_activity state, all roles.', ['state']);
  for (const state of new Set([...CONNECTION_STATES, ...Object.keys(byState)])) conns.set(Number(byState[state] ?? 0), state);
}
