import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { CLI, ExporterProcess, REPO_ROOT } from './helpers/exporter.js';
import { freePort, sleep } from './helpers/net.js';
import { TestRedis } from './helpers/redis.js';

const PASSWORD = 'Hunter2Secret';

function writeConfig(config: object | string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-urls-')), 'fleet.yml');
  writeFileSync(file, typeof config === 'string' ? config : yaml.dump(config));
  return file;
}

function run(args: string[]) {
  return spawnSync(CLI, args, { encoding: 'utf8', timeout: 60_000 });
}

// Each of these passed --check-config and then crashed (or would) once the clients were built.
const BAD: [string, object, string][] = [
  ['redis.url', { redis: { url: `redis://:${PASSWORD}@127.0.0.1:99999/0` } }, 'a port beyond 65535'],
  ['redis.url', { redis: { url: `redis://:${PASSWORD}@127.0.0.1:0/0` } }, 'port 0'],
  ['redis.url', { redis: { url: 'redis://127.0.0.1:6390/abc' } }, 'a db index that is no number (select NaN)'],
  ['redis.url', { redis: { url: 'redis://127.0.0.1:6390/-1' } }, 'a negative db index'],
  ['redis.url', { redis: { url: 'redis://127.0.0.1:6390/0/1' } }, 'a path beyond the db index'],
  ['redis.url', { redis: { url: `redis://:${PASSWORD}%zz@127.0.0.1:6390/0` } }, 'a broken %-escape in the password'],
  ['redis.url', { redis: { url: 'http://127.0.0.1:6390/0' } }, 'another scheme'],
  ['redis.url', { redis: { url: 'redis://127.0.0.1:6390:1/0' } }, 'two ports'],
  ['redis.url', { redis: { url: `redis://:${PASSWORD}@/0` } }, 'a password but no host'],
  ['redis.sentinel.sentinels[1]', { redis: { sentinel: { master_name: 'm', sentinels: ['127.0.0.1:26379', '127.0.0.1:99999'] } } }, 'a sentinel port beyond 65535'],
  ['redis.cluster.nodes[0]', { redis: { cluster: { nodes: ['127.0.0.1:0'] } } }, 'a cluster node on port 0'],
  ['postgres.url', { postgres: { url: `postgres://fleet:${PASSWORD}@127.0.0.1:70000/db` } }, 'a postgres port beyond 65535'],
  ['postgres.url', { postgres: { url: `postgres://fleet:${PASSWORD}%g@127.0.0.1:5433/db` } }, 'a broken %-escape in a postgres password'],
  ['daytona.api_url', { daytona: { api_url: 'ftp://127.0.0.1/api', api_key: 'k3y-secret' } }, 'a non-HTTP API URL'],
  ['daytona.api_url', { daytona: { api_url: 'http://127.0.0.1:0/api', api_key: 'k3y-secret' } }, 'an API URL on port 0'],
  ['aws.endpoint', { aws: { regions: ['us-east-1'], endpoint: 'http://127.0.0.1:123456' } }, 'an endpoint port beyond 65535'],
];

/** The problems --check-config prints for a config (the same validation, in-process). */
function problems(config: object): string[] {
  try {
    parseConfig(yaml.dump(config), 'fleet.yml', {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
}

describe('URLs are validated in full by --check-config', () => {
  for (const [path, config, what] of BAD) {
    test(`refuses ${what}, naming ${path}, and never quotes the password`, () => {
      const p = problems(config);
      assert.ok(
        p.some((l) => l.startsWith(`${path}: `)),
        `${what} must be refused at ${path}: ${JSON.stringify(p)}`,
      );
      assert.ok(!p.join('\n').includes(PASSWORD), `password printed: ${p.join('\n')}`);
    });
  }
});

test('a URL with a password and a bad port: neither --check-config nor a start prints the password', async () => {
  const file = writeConfig({ redis: { url: `redis://:${PASSWORD}@127.0.0.1:99999/0` } });
  const check = run(['--check-config', '--config', file]);
  const start = run(['--config', file, '--listen', `127.0.0.1:${await freePort()}`]);
  for (const r of [check, start]) {
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /redis\.url: /);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD), `password printed:\n${r.stdout}${r.stderr}`);
  }
});

test('an uncaught exception is logged with its secrets redacted, not dumped by Node', () => {
  // Whatever slips through validation: the error Node would dump carries the URL with its password.
  const script = `
    import { exitOnUncaught } from '${join(REPO_ROOT, 'dist/src/stderr.js')}';
    import { createLogger } from '${join(REPO_ROOT, 'dist/src/log.js')}';
    import { registerSecret } from '${join(REPO_ROOT, 'dist/src/redact.js')}';
    registerSecret('${PASSWORD}');
    exitOnUncaught(() => process.argv.includes('json') ? createLogger() : undefined);
    const err = new Error('cannot use redis://:${PASSWORD}@127.0.0.1:99999/0');
    err.input = 'redis://:${PASSWORD}@127.0.0.1:99999/0';
    setTimeout(() => { throw err; });
    if (process.argv.includes('json')) Promise.reject(new Error('auth ${PASSWORD} refused'));
  `;
  for (const mode of ['plain', 'json']) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, mode], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(!r.stderr.includes(PASSWORD), `password printed:\n${r.stderr}`);
    assert.match(r.stderr, /\[REDACTED\]/);
    if (mode === 'json') {
      const line = JSON.parse(r.stderr.trim().split('\n')[0]!);
      assert.equal(line.msg, 'unhandled rejection');
      assert.equal(line.level, 60);
    } else assert.match(r.stderr, /^fleet-exporter: uncaught exception: Error: cannot use redis:\/\/\[REDACTED\]@127\.0\.0\.1:99999\/0\n/);
  }
});

test('an empty config, or one without any source, is refused by --check-config and at start', async () => {
  for (const text of ['', 'listen: "127.0.0.1:9999"\nlog_level: debug\n']) {
    assert.deepEqual(
      problems(yaml.load(text) ?? {}).map((p) => p.split(': ')[0]),
      ['(root)'],
      JSON.stringify(text),
    );
  }
  const file = writeConfig('{}\n');
  for (const args of [
    ['--check-config', '--config', file],
    ['--config', file, '--listen', `127.0.0.1:${await freePort()}`],
  ]) {
    const r = run(args);
    assert.equal(r.status, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^\(root\): no source configured: add at least one of redis, postgres, daytona, aws/m);
  }
});

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

describe('odd but valid URLs pass --check-config and then run without crashing', () => {
  const SECRET = 'p@ss:w/rd%#?';
  let plain: TestRedis;
  let locked: TestRedis;
  before(async () => {
    // '-::1': also on IPv6 loopback where the machine has one (optional bind).
    plain = await TestRedis.start(['--bind', '127.0.0.1', '-::1']);
    locked = await TestRedis.start(['--requirepass', SECRET]);
  });
  after(async () => {
    await plain.destroy();
    await locked.destroy();
  });

  test('each starts, keeps serving /metrics, and reaches Redis where Redis is there', async () => {
    const escaped = encodeURIComponent(SECRET);
    const ipv6 = await reachable('::1', plain.port);
    const cases: { url: string; up?: boolean; extra?: object }[] = [
      { url: `redis://127.0.0.1:${plain.port}`, up: true },
      { url: `redis://127.0.0.1:${plain.port}/15`, up: true },
      { url: `redis://127.0.0.1:${plain.port}/007?unused=1#frag`, up: true },
      { url: `redis://[::1]:${plain.port}/0`, up: ipv6 },
      { url: `redis://:${escaped}@127.0.0.1:${locked.port}/0`, up: true },
      { url: `redis://default:${escaped}@127.0.0.1:${locked.port}/1`, up: true },
      { url: 'redis://no-such-host.invalid/0', up: false },
      { url: `rediss://127.0.0.1:${plain.port}/0`, up: false },
      { url: 'redis://127.0.0.1:1/0', up: false, extra: { sentinel: { master_name: 'm', sentinels: [`[::1]:${await freePort()}`, `127.0.0.1:${await freePort()}`] } } },
    ];
    const started: { c: (typeof cases)[number]; exporter: ExporterProcess }[] = [];
    try {
      // One at a time: each is a whole Node process, and CI machines are small.
      for (const c of cases) {
        const config = { redis: { url: c.url, streams: { names: ['s'] }, timeout_seconds: 1, ...c.extra } };
        assert.deepEqual(problems(config), [], c.url);
        started.push({ c, exporter: await ExporterProcess.start(config) });
      }
      await sleep(2000);
      for (const { c, exporter } of started) {
        const first = await exporter.samples();
        await sleep(200);
        const second = await exporter.samples();
        const up = second.find((s) => s.name === 'fleet_redis_up')?.value;
        assert.ok(first.length > 0);
        if (c.up !== undefined) assert.equal(up, c.up ? 1 : 0, `${c.url}: fleet_redis_up\n${exporter.logs}`);
        assert.doesNotMatch(exporter.logs, /uncaught|unhandled/i, c.url);
        assert.ok(!exporter.logs.includes(SECRET) && !exporter.logs.includes(escaped), `${c.url}: secret in logs`);
      }
    } finally {
      await Promise.all(started.map(({ exporter }) => exporter.stop()));
    }
  });
});
