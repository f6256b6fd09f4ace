import pg from 'pg';
import type { ShepherdOptions } from '../collectors/postgres/presets/shepherd.js';
import { withPassword } from '../collectors/postgres/client.js';
import type { PostgresConfig } from '../collectors/postgres/schema.js';
import { ident } from '../collectors/postgres/sql.js';
import type { Action } from './action.js';
import type { RemediateConfig } from './schema.js';

/**
 * reap_callbacks: callback rows (shepherd preset tables) whose query is in
 * one of `reap_statuses`. Planned per batch of queries holding at most
 * batch_size rows; each batch is deleted in its own transaction, and the
 * DELETE itself re-checks the query's status, so a query re-opened between
 * plan and apply keeps its callbacks.
 */
export class CallbackReaper {
  private readonly client: pg.Client;
  private readonly sql: { plan: string; reap: string };

  constructor(
    pgCfg: PostgresConfig,
    private readonly cfg: RemediateConfig,
  ) {
    const o: ShepherdOptions = pgCfg.preset_options.shepherd;
    const url = cfg.postgres?.url ?? pgCfg.url;
    const password = cfg.postgres?.password ?? (cfg.postgres?.url ? undefined : pgCfg.password);
    this.client = new pg.Client({
      connectionString: password === undefined ? url : withPassword(url, password),
      connectionTimeoutMillis: pgCfg.connect_timeout_seconds * 1000,
      statement_timeout: pgCfg.timeout_seconds * 1000,
      application_name: 'fleet-exporter-remediate',
    });
    this.client.on('error', () => undefined); // a lost connection fails the next query instead
    const [q, c] = [ident(o.queries_table), ident(o.callbacks_table)];
    const join = `FROM ${c} c JOIN ${q} q ON q.${ident(o.id_column)} = c.${ident(o.callback_query_column)} WHERE q.${ident(o.status_column)} = ANY($1::text[])`;
    this.sql = {
      plan: `SELECT c.${ident(o.callback_query_column)}::text AS id, count(*)::int AS n ${join} GROUP BY 1 ORDER BY 1 LIMIT $2`,
      reap: `DELETE FROM ${c} c USING ${q} q WHERE q.${ident(o.id_column)} = c.${ident(o.callback_query_column)} AND q.${ident(o.status_column)} = ANY($1::text[]) AND c.${ident(o.callback_query_column)}::text = ANY($2::text[])`,
    };
  }

  connect(): Promise<void> {
    return this.client.connect();
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  /** Batches in query id order, from at most maxBatches × batch_size queries (the caller cuts to maxBatches). */
  async plan(maxBatches: number): Promise<Action[]> {
    const statuses = this.cfg.reap_statuses;
    const res = await this.client.query<{ id: string; n: number }>(this.sql.plan, [statuses, maxBatches * this.cfg.batch_size]);
    const out: Action[] = [];
    let ids: string[] = [];
    let rows = 0;
    const flush = () => {
      if (ids.length === 0) return;
      out.push({
        action: 'reap_callbacks',
        stream: null,
        group: null,
        consumer: null,
        ids,
        reason: `${rows} callback row(s) of ${ids.length} quer${ids.length === 1 ? 'y' : 'ies'} in status ${statuses.join('|')}`,
        applied: false,
        skipped: null,
        params: { statuses, rows },
      });
      ids = [];
      rows = 0;
    };
    for (const r of res.rows) {
      if (rows > 0 && rows + r.n > this.cfg.batch_size) flush();
      ids.push(r.id);
      rows += r.n;
    }
    flush();
    return out;
  }

  /** One batch, one transaction: all of its rows or none. */
  async apply(a: Action): Promise<void> {
    const p = a.params as { statuses: string[]; rows: number };
    await this.client.query('BEGIN');
    try {
      const res = await this.client.query(this.sql.reap, [p.statuses, a.ids]);
      await this.client.query('COMMIT');
      a.applied = (res.rowCount ?? 0) > 0;
      if ((res.rowCount ?? 0) < p.rows) a.skipped = `${p.rows - (res.rowCount ?? 0)} of ${p.rows} row(s) left: their query changed status or they were deleted meanwhile`;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
