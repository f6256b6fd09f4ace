import { z } from 'zod';
import type { QuerySpec } from '../parse.js';
import { ago, ident, literal } from '../sql.js';
import { commonOptions, identifier, statusCounts } from './common.js';
import { metric } from '../../../metrics/names.js';

/*
 * Expected schema:
 *   operations (status TEXT, last_state_update_timestamp TIMESTAMPTZ)
 *     status: PENDING | RUNNING | COMPLETED | FAILED; the timestamp moves on every state update
 */

export const options = z.strictObject({
  table: identifier('operations'),
  status_column: identifier('status'),
  updated_column: identifier('last_state_update_timestamp'),
  active_statuses: z.array(z.string().min(1)).default(['PENDING', 'RUNNING']),
  running_status: z.string().min(1).default('RUNNING'),
  stale_after_seconds: z.number().positive().default(600).describe("A RUNNING operation not updated for this long is stale (the watchdog's zombie check)."),
  ...commonOptions,
});
export type OperationsOptions = z.infer<typeof options>;

/** Seed 004's watchdog: operations by status, and RUNNING operations that stopped updating. */
export function queries(o: OperationsOptions): QuerySpec[] {
  return [
    ...statusCounts({
      metric: metric.fleet_operations,
      help: 'Operations by status.',
      table: o.table,
      column: o.status_column,
      active: o.active_statuses,
      timeoutSeconds: o.timeout_seconds,
      otherMinIntervalSeconds: o.other_statuses_min_interval_seconds,
    }),
    {
      ids: ['fleet_operations_stale'],
      sql: `SELECT count(*) AS n FROM ${ident(o.table)} WHERE ${ident(o.status_column)} = ${literal(o.running_status)} AND ${ident(o.updated_column)} < ${ago(o.stale_after_seconds)}`,
      timeoutSeconds: o.timeout_seconds,
      minIntervalSeconds: 0,
      metrics: [
        {
          name: metric.fleet_operations_stale,
          help: `${o.running_status} operations whose last state update is older than ${o.stale_after_seconds}s.`,
          type: 'gauge',
          labels: [],
          value: 'n',
        },
      ],
    },
  ];
}
