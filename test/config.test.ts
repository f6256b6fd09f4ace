import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { redact } from '../src/redact.js';

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'test.yml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('config was accepted');
}

test('a config without any source is refused: the exporter would serve nothing', () => {
  for (const text of ['', '{}', 'listen: "127.0.0.1:9849"\n']) {
    assert.deepEqual(
      problems(text).map((p) => p.split(':')[0]),
      ['(root)'],
    );
  }
  const c = parseConfig('daytona:\n  api_url: http://127.0.0.1:1/api\n  api_key: k\n', 'one.yml', {});
  assert.equal(c.redis, undefined, 'one source is enough, whichever');
});

test('the contract example keys are accepted with defaults filled in', () => {
  const c = parseConfig(
    `listen: "127.0.0.1:9849"
redis:
  url: redis://127.0.0.1:6379/0
  streams: { patterns: ["stream.*"], names: [], per_consumer: false }
  heartbeats:
    key: "worker:heartbeat:{worker_type}:{worker_id}"
    shutdown_key: "worker:shutdown:{worker_type}:{worker_id}"
    ttl_seconds: 15
  worker_types:
    - { name: lookup, stream: "stream.lookup", min_alive: 1, concurrency: 4 }
`,
    'ok.yml',
    {},
  );
  assert.equal(c.redis?.heartbeats.ttl_seconds, 15);
  assert.equal(c.redis?.worker_types[0]?.concurrency, 4);
  assert.equal(c.redis?.min_interval_seconds, 0, 'Redis is read on every scrape by default');
  assert.equal(c.redis?.streams.discovery_interval_seconds, 15);
});

test('an unknown key is reported with its own full key path', () => {
  assert.deepEqual(problems('redis:\n  heartbeats:\n    ttl_secondz: 15\n'), ['redis.heartbeats.ttl_secondz: unknown key']);
});

test('every problem is reported at once, one line each, with its key path', () => {
  const p = problems(
    `listen: nonsense
redis:
  url: 5
  worker_types:
    - { name: "", min_alive: -1 }
  streams:
    per_consumer: "yes"
postgres:
  presets: [nope]
bogus: 1
`,
  );
  const paths = p.map((l) => l.split(':')[0]);
  assert.deepEqual(paths.sort(), [
    'bogus',
    'listen',
    'postgres.presets[0]',
    'postgres.url',
    'redis.streams.per_consumer',
    'redis.url',
    'redis.worker_types[0].min_alive',
    'redis.worker_types[0].name',
  ]);
  for (const line of p) assert.ok(!line.includes('\n'), `one line each: ${line}`);
});

test('${ENV} and ${ENV:-default} are expanded in values; a missing variable names its key', () => {
  const c = parseConfig('redis:\n  url: "redis://${HOST}:${PORT:-6380}/2"\n', 'env.yml', { HOST: 'cache' });
  assert.equal(c.redis?.url, 'redis://cache:6380/2');
  assert.deepEqual(problems('redis:\n  url: "redis://${NOPE}/0"\n'), ['redis.url: environment variable NOPE is not set']);
});

test('*_file keys read secrets from files; unreadable files and doubles are errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-cfg-'));
  const secret = join(dir, 'pw');
  writeFileSync(secret, 's3cr3t-from-file\n');
  const c = parseConfig(`redis:\n  password_file: ${secret}\n`, 'f.yml', {});
  assert.equal(c.redis?.password, 's3cr3t-from-file');
  assert.equal(redact('auth failed for s3cr3t-from-file'), 'auth failed for [REDACTED]', 'file secrets are redacted');
  assert.match(problems(`redis:\n  password_file: ${join(dir, 'missing')}\n`)[0]!, /^redis\.password_file: cannot read .*ENOENT/);
  assert.deepEqual(problems(`redis:\n  password: a\n  password_file: ${secret}\n`), ['redis.password_file: set either password or password_file, not both']);
});

test('YAML syntax errors are reported, not thrown raw', () => {
  const p = problems('redis: [unclosed\n');
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^YAML: /);
});

test('passwords in URLs are redacted from any text', () => {
  parseConfig('redis:\n  url: "redis://app:hunter22@10.0.0.1:6379/0"\n', 'u.yml', {});
  assert.equal(redact('connect to redis://app:hunter22@10.0.0.1:6379/0 failed'), 'connect to redis://app:[REDACTED]@10.0.0.1:6379/0 failed');
  assert.equal(redact('NOAUTH hunter22'), 'NOAUTH [REDACTED]');
});

test('heartbeat key templates must name both placeholders', () => {
  assert.deepEqual(problems('redis:\n  heartbeats:\n    key: "hb:{worker_id}"\n'), ['redis.heartbeats.key: key must contain {worker_type} and {worker_id}']);
});
