import { z } from 'zod';
import type { QuerySpec } from '../parse.js';
import { ident, literal, literalList } from '../sql.js';

/** An SQL identifier from the config: a name, or schema.name. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
export const optionalIdentifier = () => z.string().regex(IDENT, 'must be a table or column name (optionally schema.name)').optional();
export const identifier = (def: string) => z.string().regex(IDENT, 'must be a table or column name (optionally schema.name)').default(def);

export const commonOptions = {
  timeout_seconds: z.number().positive().default(2).describe("statement_timeout of each of the preset's queries."),
  other_statuses_min_interval_seconds: z
    .number()
    .nonnegative()
    .default(300)
    .describe('Counts of statuses outside active_statuses scan the whole table; they are refreshed this often.'),
};

interface StatusCountOptions {
  metric: string;
  help: string;
  table: string;
  column: string;
  active: readonly string[];
  timeoutSeconds: number;
  otherMinIntervalSeconds: number;
}

/**
 * `<metric>{status}` in two queries: the active statuses, exactly on every
 * scrape (one index lookup per status, zero-filled, served by the partial
 * index in sql/indexes.sql), and every other status (completed, failed: most
 * of a big table) by a full count refreshed every otherMinIntervalSeconds.
 */
export function statusCounts(o: StatusCountOptions): QuerySpec[] {
  const t = ident(o.table);
  const c = ident(o.column);
  const help = `${o.help} Statuses other than ${o.active.join(', ') || '(none)'} are refreshed every ${o.otherMinIntervalSeconds}s.`;
  const metrics = [{ name: o.metric, help, type: 'gauge' as const, labels: ['status'], value: 'n' }];
  const specs: QuerySpec[] = [];
  if (o.active.length > 0) {
    specs.push({
      ids: [o.metric],
      sql: o.active.map((s) => `SELECT ${literal(s)}::text AS status, count(*) AS n FROM ${t} WHERE ${c} = ${literal(s)}`).join('\nUNION ALL\n'),
      timeoutSeconds: o.timeoutSeconds,
      minIntervalSeconds: 0,
      metrics,
    });
  }
  const notActive = o.active.length > 0 ? ` WHERE ${c} NOT IN (${literalList(o.active)})` : '';
  specs.push({
    ids: [`${o.metric}_other_statuses`],
    sql: `SELECT ${c}::text AS status, count(*) AS n FROM ${t}${notActive} GROUP BY 1`,
    timeoutSeconds: o.timeoutSeconds,
    minIntervalSeconds: o.otherMinIntervalSeconds,
    metrics,
  });
  return specs;
}
