import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { toLogfmt } from '../src/log.js';
import { CLI, ExporterProcess } from './helpers/exporter.js';
import { freePort, waitFor } from './helpers/net.js';

const SECRET = 'hunter2-log-secret';

test('a record becomes one logfmt line: time, level and msg first, values quoted only when needed', () => {
  const line = toLogfmt({
    level: 40,
    time: Date.UTC(2026, 0, 2, 3, 4, 5),
    msg: 'collector failed',
    collector: 'redis',
    err: { message: 'a "b"\nsecond line', code: 'ECONNREFUSED' },
    n: 3,
    empty: '',
  });
  assert.equal(line, 'time=2026-01-02T03:04:05.000Z level=warn msg="collector failed" collector=redis err.message="a \\"b\\"\\nsecond line" err.code=ECONNREFUSED n=3 empty=""');
});

async function run(format: string[]): Promise<string> {
  // An unreachable Redis whose URL carries a password: the error lines are the ones that could leak it.
  const redisPort = await freePort();
  const e = await ExporterProcess.start({ redis: { url: `redis://:${SECRET}@127.0.0.1:${redisPort}/0`, timeout_seconds: 1 } }, {}, format);
  try {
    await e.text('/metrics');
    await waitFor(() => e.logs.includes('collector failed'), 10_000);
    return e.logs;
  } finally {
    await e.stop();
  }
}

test('--log-format logfmt writes logfmt lines, secrets still redacted', async () => {
  const logs = await run(['--log-format', 'logfmt']);
  const lines = logs.trim().split('\n');
  for (const l of lines) assert.match(l, /^time=\S+ level=(info|warn|error) msg=/, l);
  assert.ok(
    lines.some((l) => /level=warn msg="collector failed" collector=redis error=/.test(l)),
    logs,
  );
  assert.doesNotMatch(logs, new RegExp(SECRET));
});

test('JSON stays the default, secrets redacted', async () => {
  const logs = await run([]);
  const records = logs
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.some((r) => r.msg === 'collector failed' && r.collector === 'redis'));
  assert.doesNotMatch(logs, new RegExp(SECRET));
});

test('an unknown --log-format is a usage error', () => {
  const r = spawnSync(CLI, ['--log-format', 'xml', '--config', '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid --log-format "xml": one of json, logfmt/);
});
