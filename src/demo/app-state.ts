import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import type { Clock } from './clock.js';

/** The preset schemas the Postgres collector reads, shipped in sql/schemas/. */
const SCHEMA_DIR = new URL('../../../sql/schemas/', import.meta.url);
/** Sandboxes that report events; the last one falls silent in the scenario. */
export const SANDBOXES = ['sbx-demo-1', 'sbx-demo-2', 'sbx-demo-3', 'sbx-demo-4'];

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/**
 * Application state in Postgres that moves like a real platform's: queries
 * (shepherd_brain) with callbacks, tasks, operations and sandbox events, plus
 * the stuck rows and leaks the scenario injects.
 */
export class AppState {
  private readonly pool: pg.Pool;
  private readonly held: pg.Client[] = [];
  private seq = 0;
  /** While true, one in ten finished queries leaks its callback rows (FleetCallbacksOrphaned). */
  leakCallbacks = true;
  readonly silentSandboxes = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly clock: Clock,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: 3 });
    this.pool.on('error', () => undefined);
  }

  async setup(): Promise<void> {
    for (const f of readdirSync(SCHEMA_DIR)
      .filter((n) => n.endsWith('.sql'))
      .sort()) {
      await this.pool.query(readFileSync(new URL(f, SCHEMA_DIR), 'utf8'));
    }
  }

  /** One step of normal life: new work arrives, running work progresses, old rows are cleaned up. */
  async tick(): Promise<void> {
    const id = `q-${Date.now().toString(36)}-${this.seq++}`;
    const leak = this.leakCallbacks && this.seq % 10 === 0;
    await this.pool.query(
      `WITH q AS (INSERT INTO shepherd_brain (qid, state, start_time, domain) VALUES ($1, 'QUEUED', now(), $2) RETURNING qid)
       INSERT INTO callbacks (query_id, callback_id) SELECT qid, qid || '-cb' || g FROM q, generate_series(1, 2) g`,
      [id, pick(['aragorn', 'bte', 'arax'])],
    );
    await this.pool.query(
      `UPDATE shepherd_brain SET state = 'RUNNING', start_time = now() WHERE qid IN (SELECT qid FROM shepherd_brain WHERE state = 'QUEUED' ORDER BY start_time LIMIT 1)`,
    );
    const done = await this.pool.query<{ qid: string }>(
      `UPDATE shepherd_brain SET state = 'COMPLETED', stop_time = now()
       WHERE qid IN (SELECT qid FROM shepherd_brain WHERE state = 'RUNNING' AND qid NOT LIKE 'stuck-%' ORDER BY start_time LIMIT 1) RETURNING qid`,
    );
    if (!leak) await this.pool.query('DELETE FROM callbacks WHERE query_id = ANY($1)', [done.rows.map((r) => r.qid)]);

    await this.pool.query(`INSERT INTO tasks (status) VALUES ('pending')`);
    for (const [from, to] of [
      ['running', Math.random() < 0.9 ? 'completed' : 'failed'],
      ['assigned', 'running'],
      ['pending', 'assigned'],
    ] as const) {
      await this.pool.query(
        `UPDATE tasks SET status = $2, updated_at = now() WHERE id IN (SELECT id FROM tasks WHERE status = $1 AND id > 0 AND updated_at > now() - interval '5 minutes' ORDER BY id LIMIT 1)`,
        [from, to],
      );
    }
    await this.pool.query(`INSERT INTO operations (status) VALUES ('PENDING')`);
    await this.pool.query(
      `UPDATE operations SET status = 'RUNNING', last_state_update_timestamp = now() WHERE id IN (SELECT id FROM operations WHERE status = 'PENDING' ORDER BY id LIMIT 1)`,
    );
    await this.pool.query(
      `UPDATE operations SET status = $1, last_state_update_timestamp = now() WHERE id IN (SELECT id FROM operations WHERE status = 'RUNNING' AND last_state_update_timestamp > now() - interval '5 minutes' ORDER BY id LIMIT 1)`,
      [Math.random() < 0.95 ? 'COMPLETED' : 'FAILED'],
    );
    const talking = SANDBOXES.filter((s) => !this.silentSandboxes.has(s));
    if (talking.length > 0) await this.pool.query(`INSERT INTO sandbox_events (sandbox_id, event_type) VALUES ($1, 'progress')`, [pick(talking)]);

    // Keep the tables small: the demo runs for days in someone's compose stack.
    if (this.seq % 50 === 0) {
      await this.pool.query(`DELETE FROM callbacks WHERE query_id IN (SELECT qid FROM shepherd_brain WHERE state = 'COMPLETED' AND stop_time < now() - interval '2 hours')`);
      await this.pool.query(
        `DELETE FROM shepherd_brain WHERE state = 'COMPLETED' AND stop_time < now() - interval '2 hours' AND qid NOT IN (SELECT query_id FROM callbacks WHERE query_id IS NOT NULL)`,
      );
      await this.pool.query(`DELETE FROM tasks WHERE status IN ('completed', 'failed') AND updated_at < now() - interval '2 hours'`);
      await this.pool.query(`DELETE FROM operations WHERE status IN ('COMPLETED', 'FAILED') AND last_state_update_timestamp < now() - interval '2 hours'`);
      await this.pool.query(`DELETE FROM sandbox_events WHERE created_at < now() - interval '2 hours'`);
    }
  }

  start(everyScenarioSeconds = 2): void {
    this.clock.every(everyScenarioSeconds, () => this.tick());
  }

  /**
   * Rows that stopped moving, back-dated past the presets' thresholds so the
   * alerts' own `for:` windows are the only wait: a query RUNNING (with its
   * callback) for 11 minutes, a task `assigned` for 11 minutes, an operation
   * RUNNING without a state update for 11 minutes.
   */
  async injectStuckWork(): Promise<void> {
    await this.pool.query(
      `WITH q AS (INSERT INTO shepherd_brain (qid, state, start_time, domain) VALUES ('stuck-' || $1, 'RUNNING', now() - interval '11 minutes', 'aragorn') RETURNING qid)
       INSERT INTO callbacks (query_id, callback_id) SELECT qid, qid || '-cb' FROM q`,
      [Date.now().toString(36)],
    );
    await this.pool.query(`INSERT INTO tasks (status, created_at, updated_at) VALUES ('assigned', now() - interval '12 minutes', now() - interval '11 minutes')`);
    await this.pool.query(`INSERT INTO operations (status, last_state_update_timestamp) VALUES ('RUNNING', now() - interval '11 minutes')`);
  }

  /** Someone finally unsticks the work (and a janitor reaps leaked callbacks). */
  async resolveStuckWork(): Promise<void> {
    await this.pool.query(`UPDATE shepherd_brain SET state = 'COMPLETED', stop_time = now() WHERE qid LIKE 'stuck-%' AND state = 'RUNNING'`);
    await this.pool.query(`DELETE FROM callbacks WHERE query_id IN (SELECT qid FROM shepherd_brain WHERE state = 'COMPLETED')`);
    await this.pool.query(`UPDATE tasks SET status = 'failed', updated_at = now() WHERE status IN ('assigned', 'running') AND updated_at < now() - interval '5 minutes'`);
    await this.pool.query(
      `UPDATE operations SET status = 'FAILED', last_state_update_timestamp = now() WHERE status = 'RUNNING' AND last_state_update_timestamp < now() - interval '5 minutes'`,
    );
  }

  /** Opens idle connections up to `ratio` of max_connections (FleetPostgresConnectionsHigh). */
  async holdConnections(ratio: number): Promise<number> {
    const max = Number((await this.pool.query<{ max_connections: string }>('SHOW max_connections')).rows[0]!.max_connections);
    const used = Number((await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = $1', ['client backend'])).rows[0]!.n);
    // Stay clear of the superuser reserve and leave room for the exporter.
    const n = Math.min(Math.ceil(max * ratio) - used + 1, max - used - 6);
    for (let i = 0; i < n; i++) {
      const c = new pg.Client({ connectionString: this.url });
      c.on('error', () => undefined);
      await c.connect();
      this.held.push(c);
    }
    return n;
  }

  async releaseConnections(): Promise<void> {
    await Promise.all(this.held.splice(0).map((c) => c.end().catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.releaseConnections();
    await this.pool.end();
  }
}
