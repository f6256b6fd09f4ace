import { z } from 'zod';
import type { QuerySpec } from '../parse.js';
import { ago, ident } from '../sql.js';
import { identifier } from './common.js';
import { metric } from '../../../metrics/names.js';

/*
 * Expected schema:
 *   sandbox_events (sandbox_id TEXT, created_at TIMESTAMPTZ NOT NULL)
 *     one row per event a sandbox reported; needs the (sandbox_id, created_at) index
 */

export const options = z.strictObject({
  table: identifier('sandbox_events'),
  sandbox_column: identifier('sandbox_id'),
  created_column: identifier('created_at'),
  lookback_seconds: z.number().positive().default(86400).describe('Sandboxes silent for longer than this are considered gone and not exported.'),
  max_sandboxes: z.number().int().positive().default(1000).describe('Cap on exported sandboxes (the stalest are kept).'),
  timeout_seconds: z.number().positive().default(2),
});
export type SandboxEventsOptions = z.infer<typeof options>;

/**
 * Seed 000's zombie check: the last event's age per sandbox. A loose index
 * scan (recursive CTE) walks the (sandbox_id, created_at) index backwards:
 * each step is one probe that lands on the next sandbox's newest event. Cost
 * grows with the number of sandboxes in the table, not of events; without
 * the index it is hopeless (statement_timeout stops it).
 */
export function queries(o: SandboxEventsOptions): QuerySpec[] {
  const t = ident(o.table);
  const s = ident(o.sandbox_column);
  const c = ident(o.created_column);
  return [
    {
      ids: ['fleet_sandbox_last_event_age_seconds'],
      sql: `WITH RECURSIVE last AS (
  (SELECT ${s} AS id, ${c} AS at FROM ${t} ORDER BY ${s} DESC, ${c} DESC LIMIT 1)
  UNION ALL
  SELECT n.id, n.at FROM last, LATERAL (
    SELECT e.${s} AS id, e.${c} AS at FROM ${t} e WHERE e.${s} < last.id ORDER BY e.${s} DESC, e.${c} DESC LIMIT 1) n
)
SELECT id::text AS sandbox_id, extract(epoch from now() - at)::float8 AS age FROM last
WHERE at > ${ago(o.lookback_seconds)} ORDER BY at, id`,
      timeoutSeconds: o.timeout_seconds,
      minIntervalSeconds: 0,
      maxRows: o.max_sandboxes,
      metrics: [
        {
          name: metric.fleet_sandbox_last_event_age_seconds,
          help: `Time since each sandbox's last event (sandboxes with an event in the last ${o.lookback_seconds}s; capped, stalest kept).`,
          type: 'gauge',
          labels: ['sandbox_id'],
          value: 'age',
        },
      ],
    },
  ];
}
