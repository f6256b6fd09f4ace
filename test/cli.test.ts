import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CLI, REPO_ROOT } from './helpers/exporter.js';
import { freePort, waitFor } from './helpers/net.js';
import { scrapeTimeout } from '../src/server.js';

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-cli-')), 'fleet.yml');
  writeFileSync(file, text);
  return file;
}

/** A source that reaches nothing (a config needs one): Redis on a closed port. */
const CLOSED_REDIS = 'redis:\n  url: redis://127.0.0.1:1/0\n';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(CLI, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
}

test('--version and --help answer and exit 0', () => {
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^fleet-exporter \d+\.\d+\.\d+/);
  const h = run(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /--check-config/);
  assert.match(h.stdout, /9849/);
});

test('an unknown flag or a missing config is a usage error', () => {
  const bad = run(['--bogus']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /bogus/);
  const none = run([], { FLEET_CONFIG: '' });
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /--config FILE or set FLEET_CONFIG/);
});

test('--check-config accepts the shipped example config and connects nowhere', () => {
  // The example points at 127.0.0.1:6379; an unroutable URL proves nothing is dialled.
  const r = run(['--check-config', '--config', join(REPO_ROOT, 'fleet.example.yml')], { REDIS_URL: 'redis://192.0.2.1:6379/0' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /is valid; sources: redis/);
});

test('--check-config prints every error with its full key path, one per line, and exits non-zero', () => {
  const file = writeConfig(`redis:
  url: redis://127.0.0.1:6379/0
  heartbeats:
    ttl_secondz: 15
  worker_types:
    - { name: lookup, concurrency: 0 }
postgres:
  url: mysql://nope
aws:
  regions: []
`);
  const r = run(['--check-config', '--config', file]);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n').slice(1);
  assert.ok(lines.includes('redis.heartbeats.ttl_secondz: unknown key'), r.stderr);
  assert.ok(
    lines.some((l) => l.startsWith('redis.worker_types[0].concurrency: ')),
    r.stderr,
  );
  assert.ok(
    lines.some((l) => l.startsWith('postgres.url: ')),
    r.stderr,
  );
  assert.ok(
    lines.some((l) => l.startsWith('aws.regions: ')),
    r.stderr,
  );
});

test('a bad config stops the exporter before it listens', async () => {
  const port = await freePort();
  const file = writeConfig('redis:\n  streams:\n    patterns: "not-a-list"\n');
  const r = run(['--config', file, '--listen', `127.0.0.1:${port}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /redis\.streams\.patterns: /);
  const probe = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
  assert.equal(probe, undefined, 'nothing listens');
});

test('FLEET_CONFIG and FLEET_LISTEN configure the exporter; --listen wins over both', async () => {
  const envPort = await freePort();
  const flagPort = await freePort();
  const file = writeConfig(`listen: "127.0.0.1:1"\n${CLOSED_REDIS}`);
  for (const [args, port] of [
    [[], envPort],
    [['--listen', `127.0.0.1:${flagPort}`], flagPort],
  ] as const) {
    const child = spawn(CLI, [...args], { env: { ...process.env, FLEET_CONFIG: file, FLEET_LISTEN: `127.0.0.1:${envPort}` }, stdio: 'ignore' });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ?? false, 10_000);
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(body, /^fleet_exporter_build_info\{version="[^"]+"/m);
      assert.match(body, /^process_cpu_user_seconds_total /m, "prom-client's process metrics");
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  }
});

test("Prometheus's scrape timeout header caps the collectors' budget, with a margin", () => {
  assert.equal(scrapeTimeout(undefined, 10), 10);
  assert.equal(scrapeTimeout('3', 10), 2.5);
  assert.equal(scrapeTimeout('30', 10), 10);
  assert.equal(scrapeTimeout('garbage', 10), 10);
});

test('/metrics is gzipped when the scraper asks for it, as Prometheus does', async () => {
  const port = await freePort();
  const file = writeConfig(CLOSED_REDIS);
  const child = spawn(CLI, ['--config', file, '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ?? false, 10_000);
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      const req = httpGet(`http://127.0.0.1:${port}/metrics`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
    });
    assert.equal(raw.encoding, 'gzip');
    assert.match(gunzipSync(raw.body).toString(), /^fleet_exporter_build_info\{/m);
  } finally {
    child.kill('SIGTERM');
  }
});
