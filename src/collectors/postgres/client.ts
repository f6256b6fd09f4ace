import pg from 'pg';
import type { PostgresConfig } from './schema.js';

/**
 * The exporter's own small pool (default 2 connections). Every session is
 * read-only by default and says who it is in pg_stat_activity.
 */
export function createPool(cfg: PostgresConfig): pg.Pool {
  return new pg.Pool({
    connectionString: cfg.password === undefined ? cfg.url : withPassword(cfg.url, cfg.password),
    max: cfg.pool_size,
    connectionTimeoutMillis: cfg.connect_timeout_seconds * 1000,
    idleTimeoutMillis: 0, // keep connections between scrapes
    application_name: 'fleet-exporter',
    options: '-c default_transaction_read_only=on',
    keepAlive: true,
  });
}

const guarded = new WeakSet<pg.PoolClient>();

/**
 * The password (from `password` or `password_file`) goes into the URL: `pg`
 * lets every field parsed from a connection string, even an empty password,
 * override the same option given beside it.
 */
export function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export interface RunResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

/**
 * Holds one pooled connection for a unit of work. When the collection's
 * time budget runs out (signal aborts), the server is asked to cancel the
 * statement in flight and the connection is destroyed, which also fails
 * whatever query is still waiting on it; a connection that saw a protocol or
 * network error is never returned to the pool.
 */
export async function withClient<T>(pool: pg.Pool, signal: AbortSignal, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  const client = await pool.connect();
  if (!guarded.has(client)) {
    // A connection that dies while checked out (server shutdown) emits 'error'
    // besides failing its query; unheard, that event would crash the process.
    client.on('error', () => undefined);
    guarded.add(client);
  }
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err ?? false);
  };
  const onAbort = () => {
    cancelStatement(pool, client);
    release(new Error('collection timed out'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await work(client);
    release();
    return result;
  } catch (err) {
    // An SQL error (timeout, missing table) leaves a healthy session behind; anything else does not.
    release(err instanceof pg.DatabaseError ? undefined : (err as Error));
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Asks the server to stop the statement running on `client`, with a
 * CancelRequest on a new socket (what psql sends on Ctrl-C; no login
 * needed). Closing our end alone would leave it running on the server until
 * its statement_timeout, still holding a backend.
 */
function cancelStatement(pool: pg.Pool, client: pg.PoolClient): void {
  const query = (client as unknown as { activeQuery?: unknown }).activeQuery;
  if (!query) return;
  const canceller = new pg.Client(pool.options) as pg.Client & { cancel(c: pg.PoolClient, q: unknown): void };
  canceller.connection.on('error', () => undefined); // a server that is gone needs no cancel
  canceller.cancel(client, query);
}

/** Whether a statement was stopped by statement_timeout or a cancel request. */
export function isCanceled(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === '57014';
}

/**
 * Runs one statement in a READ ONLY transaction with statement_timeout set
 * from its timeout, so a query can neither write nor run on past its budget.
 *
 * Config queries go through the extended protocol, which accepts exactly one
 * statement: a query text cannot smuggle in a COMMIT followed by a write.
 * SQL the exporter builds itself (presets, health: `trusted`) is sent with
 * BEGIN, SET and ROLLBACK as one simple-protocol message: one round trip
 * instead of three.
 */
export async function runReadOnly(client: pg.PoolClient, sql: string, timeoutSeconds: number, trusted = false): Promise<RunResult> {
  const ms = Math.max(1, Math.round(timeoutSeconds * 1000));
  const begin = `BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${ms}`;
  try {
    if (trusted) {
      const results = (await client.query(`${begin};\n${sql};\nROLLBACK`)) as unknown as pg.QueryResult[];
      return toResult(results[2]!);
    }
    await client.query(begin);
    const res = await client.query({ text: sql, queryMode: 'extended' } as pg.QueryConfig);
    await rollback(client);
    return toResult(res);
  } catch (err) {
    // After an error the transaction is still open (aborted); end it so the session can be reused.
    await rollback(client, err);
    throw err;
  }
}

function toResult(res: pg.QueryResult): RunResult {
  return { columns: res.fields.map((f) => f.name), rows: res.rows as Record<string, unknown>[] };
}

/** Ends the transaction; if even that fails, the session is unusable (a plain Error: withClient drops it). */
async function rollback(client: pg.PoolClient, cause?: unknown): Promise<void> {
  try {
    await client.query('ROLLBACK');
  } catch (err) {
    throw new Error((cause as Error | undefined)?.message ?? (err as Error).message);
  }
}
