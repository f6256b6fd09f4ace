import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, loadSeedSchemas, PASSWORD_ROLE, startPostgres, type TestPostgres } from './helpers/postgres.js';
import { waitFor } from './helpers/net.js';

const MAIN = new URL('../src/main.js', import.meta.url).pathname;
const RIGHT = 'S3cr3t-p@ss/w0rd';
const WRONG = 'Wr0ng-p@ss:w0rd';

interface Run {
  bodies: Record<string, string>;
  stderr: string;
}

/** Runs the built CLI with a config, reads every endpoint after two scrapes, stops it. */
async function runExporter(dir: string, config: string): Promise<Run> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, config);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--config', file, '--listen', `127.0.0.1:${port}`, '--log-level', 'debug'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stderr += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok ?? false, 30_000).catch(() => {
      throw new Error(`exporter did not start: ${stderr}`);
    });
    const bodies: Record<string, string> = {};
    for (const path of ['/metrics', '/metrics', '/', '/healthz', '/readyz']) bodies[path] = await (await fetch(base + path)).text();
    return { bodies, stderr };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

function assertNoSecret(run: Run, secret: string): void {
  const forms = [secret, encodeURIComponent(secret)];
  for (const [where, text] of [...Object.entries(run.bodies), ['logs', run.stderr]] as const) {
    for (const form of forms) assert.ok(!text.includes(form), `${form} appears in ${where}`);
  }
}

describe('the postgres password never leaks (built CLI, end to end)', () => {
  let db: TestPostgres;
  let dir: string;

  before(async () => {
    db = await startPostgres();
    await loadSeedSchemas(db);
    await db.exec(`CREATE ROLE ${PASSWORD_ROLE} LOGIN PASSWORD '${RIGHT}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${PASSWORD_ROLE}`);
    dir = mkdtempSync(join(tmpdir(), 'fleet-secrets-'));
  });
  after(() => {
    db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong password in the URL shows as fleet_postgres_up 0, and appears nowhere', async () => {
    const run = await runExporter(dir, `postgres:\n  url: "${db.url({ user: PASSWORD_ROLE, password: WRONG })}"\n  presets: [tasks]\n`);
    assert.match(run.bodies['/metrics']!, /^fleet_postgres_up 0$/m);
    assert.match(run.bodies['/metrics']!, /^fleet_collector_up\{collector="postgres"\} 0$/m);
    assert.match(run.bodies['/']!, /password authentication failed/, 'the status page says why');
    assertNoSecret(run, WRONG);
  });

  test('the right password in the URL connects, and appears nowhere', async () => {
    const run = await runExporter(dir, `postgres:\n  url: "${db.url({ user: PASSWORD_ROLE, password: RIGHT })}"\n  presets: [tasks]\n`);
    assert.match(run.bodies['/metrics']!, /^fleet_postgres_up 1$/m);
    assert.match(run.bodies['/metrics']!, /^fleet_tasks\{status="pending"\} 0$/m);
    assertNoSecret(run, RIGHT);
  });

  test('password_file works, and its password appears nowhere; the exposition passes promtool', async () => {
    const pwFile = join(dir, 'pg-password');
    writeFileSync(pwFile, `${RIGHT}\n`);
    const run = await runExporter(
      dir,
      `postgres:\n  url: "${db.url({ user: PASSWORD_ROLE })}"\n  password_file: ${pwFile}\n  presets: [shepherd, tasks, operations, sandbox_events]\n`,
    );
    assert.match(run.bodies['/metrics']!, /^fleet_postgres_up 1$/m);
    assertNoSecret(run, RIGHT);
    // Only this exporter's own families: process metrics are not this collector's to lint.
    const ours = run.bodies['/metrics']!.split('\n').filter((l) => /^(# (HELP|TYPE) )?fleet_/.test(l));
    assert.ok(
      ours.some((l) => l.startsWith('fleet_sandbox_') || l.startsWith('fleet_tasks{')),
      'preset metrics are there',
    );
    const lint = execFileSync('promtool', ['check', 'metrics'], { input: ours.join('\n') + '\n', encoding: 'utf8' });
    assert.equal(lint.trim(), '');
  });
});
