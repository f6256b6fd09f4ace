import { z } from 'zod';
import type { QuerySpec } from '../parse.js';
import { ago, ageSeconds, ident, literal, literalList } from '../sql.js';
import { commonOptions, identifier, optionalIdentifier, statusCounts } from './common.js';
import { metric } from '../../../metrics/names.js';

/*
 * Expected schema:
 *   shepherd_brain (qid PRIMARY KEY, state TEXT, start_time TIMESTAMP, domain TEXT)
 *     state: QUEUED | RUNNING | COMPLETED; domain: the target (ARA) of the query
 *   callbacks (query_id REFERENCES shepherd_brain(qid))
 *     one row per outstanding callback; a row whose query is no longer QUEUED/RUNNING is orphaned
 */

export const options = z.strictObject({
  queries_table: identifier('shepherd_brain'),
  id_column: identifier('qid'),
  status_column: identifier('state'),
  started_column: identifier('start_time').describe('When the query started; also the age of its callbacks.'),
  target_column: identifier('domain'),
  callbacks_table: identifier('callbacks'),
  callback_query_column: identifier('query_id'),
  callback_created_column: optionalIdentifier().describe('A creation time on callback rows; without it a callback is as old as its query.'),
  active_statuses: z
    .array(z.string().min(1))
    .min(1)
    .default(['QUEUED', 'RUNNING'])
    .describe('Queries still in progress; their callbacks are live, any other callback is orphaned.'),
  running_status: z.string().min(1).default('RUNNING'),
  target_window_seconds: z.number().positive().default(3600).describe('Window of fleet_queries_by_target.'),
  ...commonOptions,
});
export type ShepherdOptions = z.infer<typeof options>;

/** Seed 002's monitor: query states, the callbacks backlog and its leaks, volume per target. */
export function queries(o: ShepherdOptions): QuerySpec[] {
  const q = ident(o.queries_table);
  const status = ident(o.status_column);
  const started = ident(o.started_column);
  const timeout = { timeoutSeconds: o.timeout_seconds, minIntervalSeconds: 0 };
  const callbackAge = o.callback_created_column ? `c.${ident(o.callback_created_column)}` : 'a.started';
  return [
    ...statusCounts({
      metric: metric.fleet_queries,
      help: 'Queries by status.',
      table: o.queries_table,
      column: o.status_column,
      active: o.active_statuses,
      timeoutSeconds: o.timeout_seconds,
      otherMinIntervalSeconds: o.other_statuses_min_interval_seconds,
    }),
    {
      ids: ['fleet_queries_oldest_running_age_seconds'],
      sql: `SELECT coalesce(${ageSeconds(`min(${started})`)}, 0) AS age FROM ${q} WHERE ${status} = ${literal(o.running_status)}`,
      ...timeout,
      metrics: [
        { name: metric.fleet_queries_oldest_running_age_seconds, help: `Age of the oldest ${o.running_status} query (0 when none).`, type: 'gauge', labels: [], value: 'age' },
      ],
    },
    {
      // Callbacks are matched against the active queries only (a few hundred
      // rows through the partial index), not looked up one by one among all
      // queries: a callback without an active query is orphaned.
      ids: ['fleet_callbacks'],
      sql: `SELECT count(*) AS pending,
  coalesce(${ageSeconds(`min(${callbackAge}) FILTER (WHERE a.id IS NOT NULL)`)}, 0) AS oldest_age,
  count(*) FILTER (WHERE a.id IS NULL) AS orphaned
FROM ${ident(o.callbacks_table)} c
LEFT JOIN (SELECT ${ident(o.id_column)} AS id, ${started} AS started FROM ${q} WHERE ${status} IN (${literalList(o.active_statuses)})) a
  ON a.id = c.${ident(o.callback_query_column)}`,
      ...timeout,
      metrics: [
        { name: metric.fleet_callbacks_pending, help: 'Callback rows outstanding, orphaned ones included.', type: 'gauge', labels: [], value: 'pending' },
        {
          name: metric.fleet_callbacks_oldest_age_seconds,
          help: 'Age of the oldest callback of an active query (0 when none; orphans are counted apart).',
          type: 'gauge',
          labels: [],
          value: 'oldest_age',
        },
        {
          name: metric.fleet_callbacks_orphaned,
          help: `Callback rows whose query is no longer ${o.active_statuses.join(' or ')} (completed, failed or gone: nothing will consume them).`,
          type: 'gauge',
          labels: [],
          value: 'orphaned',
        },
      ],
    },
    {
      ids: ['fleet_queries_by_target'],
      sql: `SELECT coalesce(${ident(o.target_column)}::text, 'unknown') AS target, count(*) AS n FROM ${q} WHERE ${started} > ${ago(o.target_window_seconds)} GROUP BY 1`,
      ...timeout,
      metrics: [
        { name: metric.fleet_queries_by_target, help: `Queries started in the last ${o.target_window_seconds}s, per target.`, type: 'gauge', labels: ['target'], value: 'n' },
      ],
    },
  ];
}
