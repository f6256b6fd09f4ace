import { levels, q, row, stat, table, timeseries, upLevels, type DashboardSpec } from '../builder.js';
import type { Thresholds } from '../../../rules/src/thresholds.js';
import { metric as m } from '../../../src/metrics/names.js';

export function postgres(t: Thresholds): DashboardSpec {
  const tk = t.tasks;
  const pg = t.postgres;
  return {
    uid: 'fleet-postgres',
    title: 'Postgres and application state',
    description: 'Application state kept in Postgres (queries, callbacks, tasks, operations, sandbox events) and the database itself.',
    variables: [],
    items: [
      row(1, 'Queries and callbacks'),
      timeseries(2, 'Queries by status', 'short', [q(`sum by (status) (${m.fleet_queries})`, '{{status}}')], {
        description: 'Rows of the queries table by status (shepherd preset).',
        stacked: true,
      }),
      timeseries(3, 'Oldest running query', 's', [q(`${m.fleet_queries_oldest_running_age_seconds}`, 'oldest running')], {
        description: `Age of the oldest query still RUNNING. Line: queries_stuck_seconds (${tk.queries_stuck_seconds}).`,
        thresholds: levels(tk.queries_stuck_seconds),
      }),
      timeseries(
        4,
        'Callbacks pending and orphaned',
        'short',
        [q(`${m.fleet_callbacks_pending}`, 'pending'), q(`${m.fleet_callbacks_orphaned}`, 'orphaned (parent query finished)')],
        {
          description: 'Pending callback rows; orphaned ones belong to queries that already finished and should have been reaped.',
        },
      ),
      timeseries(5, 'Oldest pending callback', 's', [q(`${m.fleet_callbacks_oldest_age_seconds}`, 'oldest callback')], {
        description: `Age of the oldest pending callback row. Line: callbacks_stale_seconds (${tk.callbacks_stale_seconds}).`,
        thresholds: levels(tk.callbacks_stale_seconds),
      }),
      row(6, 'Tasks and operations'),
      timeseries(7, 'Tasks by status', 'short', [q(`sum by (status) (${m.fleet_tasks})`, '{{status}}')], {
        description: 'Rows of the tasks table by status (tasks preset).',
        stacked: true,
      }),
      timeseries(8, 'Stuck tasks', 'short', [q(`sum by (status) (${m.fleet_tasks_stuck})`, '{{status}}')], {
        description: 'Tasks that stayed in an active status (assigned / running) without progress longer than the preset allows.',
      }),
      timeseries(9, 'Operations by status and stale', 'short', [q(`sum by (status) (${m.fleet_operations})`, '{{status}}'), q(`${m.fleet_operations_stale}`, 'stale RUNNING')], {
        description: "Operations by status; stale = RUNNING without a state update for the preset's stale_after_seconds.",
      }),
      table(10, 'Sandboxes with the oldest last event', 's', [q(`topk(10, ${m.fleet_sandbox_last_event_age_seconds})`)], {
        description: 'Time since the last sandbox_events row per sandbox: a sandbox that stopped reporting (sandbox_events preset).',
        w: 24,
        h: 7,
      }),
      row(11, 'Database'),
      stat(12, 'Postgres up', 'none', [q(`${m.fleet_postgres_up}`, '{{instance}}')], {
        description: 'Whether the exporter could connect and run its probe.',
        w: 4,
        thresholds: upLevels(),
      }),
      timeseries(13, 'Connections', 'short', [q(`sum by (state) (${m.fleet_postgres_connections})`, '{{state}}'), q(`${m.fleet_postgres_max_connections}`, 'max_connections')], {
        description: `Backends by state against max_connections; alerts at ${pg.connections_warning_ratio * 100} % / ${pg.connections_critical_ratio * 100} %.`,
        w: 10,
        stacked: false,
      }),
      timeseries(14, 'Database size', 'bytes', [q(`${m.fleet_postgres_database_size_bytes}`)], { description: 'pg_database_size of the monitored database.', w: 10 }),
      timeseries(15, 'Oldest transaction', 's', [q(`${m.fleet_postgres_oldest_transaction_age_seconds}`, 'oldest transaction')], {
        description: 'Age of the oldest open transaction: long ones hold locks and block vacuum.',
      }),
      timeseries(16, 'SQL query duration', 's', [q(`${m.fleet_sql_query_duration_seconds}`, '{{query}}'), q(`${m.fleet_postgres_probe_duration_seconds}`, 'probe')], {
        description: 'Time each preset / declarative query took on the last scrape.',
      }),
      timeseries(17, 'SQL query errors', 'ops', [q(`sum by (query) (rate(${m.fleet_sql_query_errors_total}[$__rate_interval]))`, '{{query}}')], {
        description: 'Failing queries per second (wrong schema, timeouts, permissions).',
      }),
    ],
  };
}
