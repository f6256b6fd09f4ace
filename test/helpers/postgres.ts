import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { freePort } from './net.js';

export { freePort };
import { PostgresCollector } from '../../src/collectors/postgres/index.js';
import type { PostgresConfig } from '../../src/collectors/postgres/schema.js';
import { CollectError } from '../../src/collectors/types.js';
import { parseConfig } from '../../src/config/load.js';
import type { Logger } from '../../src/log.js';
import type { MetricFamily } from '../../src/metrics/family.js';

/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl
 * from the installed PostgreSQL, on a free port, in a temporary directory.
 * initdb refuses to run as root, so as root the cluster belongs to the
 * `postgres` OS user (runuser). With DATABASE_URL set, that server is used
 * instead and stop()/start() are unavailable (tests that need them skip).
 */
export interface TestPostgres {
  /** URL for a role and database; the role must exist (see createRole). */
  url(opts?: { user?: string; password?: string; database?: string }): string;
  /** Superuser URL of the test database. */
  readonly adminUrl: string;
  readonly port: number;
  readonly canRestart: boolean;
  /** Runs SQL text (several statements allowed) as the superuser. */
  exec(sql: string): Promise<void>;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** Roles that must give a password (scram-sha-256); every other local role is trusted. */
export const PASSWORD_ROLE = 'fleet_secret';

const SQL_DIR = new URL('../../../sql/', import.meta.url);

function binDir(): string {
  for (const d of ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']) {
    if (existsSync(join(d, 'initdb'))) return d;
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return '/usr/local/bin';
  }
}

function asPostgres(cmd: string, args: string[]): void {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function execSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Reads a file under sql/ (migrations and seed schemas). */
export function readSql(name: string): string {
  return readFileSync(new URL(name, SQL_DIR), 'utf8');
}

export function seedSchemaFiles(): string[] {
  return readdirSync(new URL('schemas/', SQL_DIR))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => `schemas/${f}`);
}

export async function startPostgres(database = 'fleet'): Promise<TestPostgres> {
  const external = process.env.DATABASE_URL;
  if (external) return externalPostgres(external);

  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  if (process.getuid?.() === 0)
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  // Written by root but read by the server, which runs as postgres: 0644 is enough.
  writeFileSync(join(data, 'pg_hba.conf'), ['local all all trust', `host all ${PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256`, 'host all all 127.0.0.1/32 trust', ''].join('\n'), {
    mode: 0o644,
  });
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', opts, '-w', '-t', '30', 'start']);
  const stop = () => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const base = `postgres://postgres@127.0.0.1:${port}`;
  await execSql(`${base}/postgres`, `CREATE DATABASE ${database}`);
  const adminUrl = `${base}/${database}`;
  let running = true;
  return {
    adminUrl,
    port,
    canRestart: true,
    url: ({ user = 'postgres', password, database: db = database } = {}) =>
      `postgres://${encodeURIComponent(user)}${password ? ':' + encodeURIComponent(password) : ''}@127.0.0.1:${port}/${db}`,
    exec: (sql) => execSql(adminUrl, sql),
    stop: () => {
      stop();
      running = false;
    },
    start: () => {
      start();
      running = true;
    },
    destroy: () => {
      try {
        if (running) asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function externalPostgres(url: string): TestPostgres {
  const u = new URL(url);
  return {
    adminUrl: url,
    port: Number(u.port || 5432),
    canRestart: false,
    url: ({ user, password, database } = {}) => {
      const v = new URL(url);
      if (user) v.username = encodeURIComponent(user);
      if (password !== undefined) v.password = encodeURIComponent(password);
      if (database) v.pathname = `/${database}`;
      return v.toString();
    },
    exec: (sql) => execSql(url, sql),
    stop: () => {
      throw new Error('cannot stop an external DATABASE_URL server');
    },
    start: () => undefined,
    destroy: () => undefined,
  };
}

/** Loads every seed schema under sql/schemas/ (tables the presets read). */
export async function loadSeedSchemas(db: TestPostgres): Promise<void> {
  for (const f of seedSchemaFiles()) await db.exec(readSql(f));
}

/** A logger whose lines land in `lines` (to assert what was logged). */
export function memoryLogger(lines: string[]): Logger {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return pino({ level: 'debug' }, stream);
}

/** A postgres config as a user would write it, parsed and validated like the CLI does. */
export function postgresConfig(yamlText: string): PostgresConfig {
  const cfg = parseConfig(yamlText, 'test.yml', {});
  if (!cfg.postgres) throw new Error('no postgres section');
  return cfg.postgres;
}

export type Collected = { ok: true; families: MetricFamily[]; dropped: number } | { ok: false; error: string; families: MetricFamily[] };

/** One collection, as the scrape engine runs it (returns instead of throwing). */
export async function collectOnce(c: PostgresCollector, log: Logger, timeoutSeconds = c.timeoutSeconds): Promise<Collected> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000);
  try {
    const r = await c.collect({ signal: controller.signal, deadlineMs: Date.now() + timeoutSeconds * 1000, log });
    return { ok: true, families: r.families, dropped: r.droppedSeries ?? 0 };
  } catch (err) {
    return { ok: false, error: (err as Error).message, families: err instanceof CollectError ? err.families : [] };
  } finally {
    clearTimeout(timer);
  }
}

/** The value of one series, or undefined when it is absent. */
export function valueOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  if (!f) return undefined;
  const s = f.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labelValues[f.labelNames.indexOf(k)] === v));
  return s?.value;
}

/** All series of one family as `{labels} → value`, labels rendered k=v,... */
export function seriesOf(families: MetricFamily[], name: string): Record<string, number> {
  const f = families.find((x) => x.name === name);
  const out: Record<string, number> = {};
  for (const s of f?.samples ?? []) out[f!.labelNames.map((l, i) => `${l}=${s.labelValues[i]}`).join(',')] = s.value;
  return out;
}

/** Runs a file under sql/ with psql, as an operator would (psql meta-commands, variables). */
export function psqlFile(url: string, name: string, vars: Record<string, string> = {}): string {
  const args = [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...Object.entries(vars).flatMap(([k, v]) => ['-v', `${k}=${v}`])];
  return execFileSync(join(binDir(), 'psql'), [...args, '-f', new URL(name, SQL_DIR).pathname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
