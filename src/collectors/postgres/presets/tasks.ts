import { z } from 'zod';
import type { QuerySpec } from '../parse.js';
import { ago, ageSeconds, ident, literal } from '../sql.js';
import { commonOptions, identifier, statusCounts } from './common.js';
import { metric } from '../../../metrics/names.js';

/*
 * Expected schema:
 *   tasks (status TEXT, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ)
 *     status: pending | assigned | running | completed | failed; updated_at: when the task entered its status
 *   worker_heartbeats (worker_type TEXT, last_heartbeat TIMESTAMPTZ)   -- only with heartbeats.enabled
 *     one row per worker, last_heartbeat refreshed by the worker (seed 000's schema)
 */

const heartbeats = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Export fleet_workers_alive from this table. Turn off when Redis heartbeats report the same worker types.'),
    table: identifier('worker_heartbeats'),
    worker_type_column: identifier('worker_type'),
    last_heartbeat_column: identifier('last_heartbeat'),
    stale_after_seconds: z.number().positive().default(60).describe('A heartbeat older than this is stale (the worker is not alive).'),
    down_after_seconds: z.number().positive().default(300).describe('A heartbeat older than this is down (seed 000: 5 minutes).'),
    forget_after_seconds: z.number().positive().default(86400).describe('Rows older than this are ignored: the worker is gone for good.'),
  })
  .refine((h) => h.stale_after_seconds < h.down_after_seconds && h.down_after_seconds < h.forget_after_seconds, {
    message: 'needs stale_after_seconds < down_after_seconds < forget_after_seconds',
  });

export const options = z.strictObject({
  table: identifier('tasks'),
  status_column: identifier('status'),
  created_column: identifier('created_at'),
  status_since_column: identifier('updated_at').describe('When the task entered its current status.'),
  active_statuses: z.array(z.string().min(1)).default(['pending', 'assigned', 'running']),
  pending_status: z.string().min(1).default('pending'),
  stuck_after_seconds: z
    .record(z.string().min(1), z.number().positive())
    .default({ assigned: 600, running: 3600 })
    .describe('Per status: a task in it for longer than this is stuck.'),
  heartbeats: heartbeats.prefault({}),
  ...commonOptions,
});
export type TasksOptions = z.infer<typeof options>;

/** Seed 000's task summary, stuck tasks and heartbeat table. */
export function queries(o: TasksOptions): QuerySpec[] {
  const t = ident(o.table);
  const status = ident(o.status_column);
  const timeout = { timeoutSeconds: o.timeout_seconds, minIntervalSeconds: 0 };
  const specs: QuerySpec[] = [
    ...statusCounts({
      metric: metric.fleet_tasks,
      help: 'Tasks by status.',
      table: o.table,
      column: o.status_column,
      active: o.active_statuses,
      timeoutSeconds: o.timeout_seconds,
      otherMinIntervalSeconds: o.other_statuses_min_interval_seconds,
    }),
    {
      ids: ['fleet_tasks_oldest_pending_age_seconds'],
      sql: `SELECT coalesce(${ageSeconds(`min(${ident(o.created_column)})`)}, 0) AS age FROM ${t} WHERE ${status} = ${literal(o.pending_status)}`,
      ...timeout,
      metrics: [
        { name: metric.fleet_tasks_oldest_pending_age_seconds, help: `Age of the oldest ${o.pending_status} task (0 when none).`, type: 'gauge', labels: [], value: 'age' },
      ],
    },
  ];
  const stuck = Object.entries(o.stuck_after_seconds);
  if (stuck.length > 0) {
    specs.push({
      ids: ['fleet_tasks_stuck'],
      sql: stuck
        .map(([s, secs]) => `SELECT ${literal(s)}::text AS status, count(*) AS n FROM ${t} WHERE ${status} = ${literal(s)} AND ${ident(o.status_since_column)} < ${ago(secs)}`)
        .join('\nUNION ALL\n'),
      ...timeout,
      metrics: [
        {
          name: metric.fleet_tasks_stuck,
          help: `Tasks in a status for longer than its threshold (${stuck.map(([s, secs]) => `${s}: ${secs}s`).join(', ')}).`,
          type: 'gauge',
          labels: ['status'],
          value: 'n',
        },
      ],
    });
  }
  if (o.heartbeats.enabled) specs.push(heartbeatQuery(o.heartbeats, o.timeout_seconds));
  return specs;
}

/**
 * Heartbeat rows → the same fleet_workers_alive / fleet_worker_heartbeat_max_age_seconds
 * the Redis collector exports for heartbeat keys. State comes from last_heartbeat,
 * not from the row's status column, which only a live worker can keep current.
 */
function heartbeatQuery(h: z.infer<typeof heartbeats>, timeoutSeconds: number): QuerySpec {
  const last = ident(h.last_heartbeat_column);
  const live = `${last} > ${ago(h.stale_after_seconds)}`;
  const down = `${last} <= ${ago(h.down_after_seconds)}`;
  const W = ['worker_type'];
  const state = (s: string) => ({
    name: 'fleet_worker_heartbeats',
    help: `Workers by heartbeat state from last_heartbeat: healthy (< ${h.stale_after_seconds}s), stale, down (>= ${h.down_after_seconds}s).`,
    type: 'gauge' as const,
    labels: W,
    value: s,
    constLabels: { state: s },
  });
  return {
    ids: ['fleet_worker_heartbeats'],
    sql: `SELECT ${ident(h.worker_type_column)}::text AS worker_type,
  count(*) FILTER (WHERE ${live}) AS healthy,
  count(*) FILTER (WHERE NOT (${live}) AND NOT (${down})) AS stale,
  count(*) FILTER (WHERE ${down}) AS down,
  max(${ageSeconds(last)}) FILTER (WHERE ${live}) AS max_age
FROM ${ident(h.table)} WHERE ${last} > ${ago(h.forget_after_seconds)} GROUP BY 1`,
    timeoutSeconds,
    minIntervalSeconds: 0,
    metrics: [
      {
        name: metric.fleet_workers_alive,
        help: `Workers of this type with a heartbeat younger than ${h.stale_after_seconds}s (worker_heartbeats table).`,
        type: 'gauge',
        labels: W,
        value: 'healthy',
      },
      {
        name: metric.fleet_worker_heartbeat_max_age_seconds,
        help: 'Age of the stalest live heartbeat of this type (absent when none is alive).',
        type: 'gauge',
        labels: W,
        value: 'max_age',
      },
      state('healthy'),
      state('stale'),
      state('down'),
    ],
  };
}
