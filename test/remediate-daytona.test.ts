import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { parseConfig } from '../src/config/load.js';
import { Remediation } from '../src/remediate/run.js';
import { FakeDaytona, makeSandboxes } from './fakes/daytona-server.js';

/** stop_idle_sandboxes against the fake Daytona API (list, GET one, POST stop). */
const KEY = 'dtn_remediate_secret_key';
let fake: FakeDaytona | undefined;
afterEach(() => fake?.close());

const HOUR = 3_600_000;
/** sb-a, sb-b, sb-f: started, idle 2 h, pool=workers (stoppable); sb-c recently active; sb-d stopped; sb-e another pool. */
function sandboxes(): object[] {
  const now = Date.now();
  const spec: [string, string, number, string][] = [
    ['sb-a', 'started', 2 * HOUR, 'workers'],
    ['sb-b', 'started', 2 * HOUR, 'workers'],
    ['sb-c', 'started', 60_000, 'workers'],
    ['sb-d', 'stopped', 2 * HOUR, 'workers'],
    ['sb-e', 'started', 2 * HOUR, 'interactive'],
    ['sb-f', 'started', 2 * HOUR, 'workers-batch'],
  ];
  return makeSandboxes(spec.length, { state: 'started' }).map((s, i) => {
    const [id, state, idle, pool] = spec[i]!;
    return { ...s, id, state, lastActivityAt: new Date(now - idle).toISOString(), labels: { pool } };
  });
}

async function remediation(labels: string, apiKey = KEY): Promise<Remediation> {
  fake = await FakeDaytona.start({ apiKey: KEY, sandboxes: sandboxes() });
  const cfg = parseConfig(
    `daytona:\n  api_url: ${fake.apiUrl}\n  api_key: ${apiKey}\n  max_attempts: 1\nremediate:\n  sandbox_idle_seconds: 3600\n  sandbox_labels: ${labels}\n`,
    'd.yml',
    {},
  );
  const run = new Remediation(cfg, { actions: new Set(['stop_idle_sandboxes']), maxActions: 100 });
  await run.open();
  return run;
}

const stateOf = (id: string) => (fake!.sandboxes.find((s) => (s as { id: string }).id === id) as { state: string }).state;

test('plans the started, idle, allow-listed sandboxes only, and stops them on apply', async () => {
  const run = await remediation('{ pool: "workers*" }');
  const plan = await run.plan();
  assert.deepEqual(
    plan.map((a) => a.ids[0]),
    ['sb-a', 'sb-b', 'sb-f'],
  );
  assert.deepEqual(fake!.stopped, [], 'a plan stops nothing');
  await run.apply(plan);
  assert.deepEqual(
    plan.map((a) => [a.applied, a.skipped]),
    [
      [true, null],
      [true, null],
      [true, null],
    ],
  );
  assert.deepEqual(fake!.stopped, ['sb-a', 'sb-b', 'sb-f']);
  assert.deepEqual(['sb-c', 'sb-d', 'sb-e'].map(stateOf), ['started', 'stopped', 'started']);
  await run.close();
});

test('without an allow-list no sandbox is planned', async () => {
  const run = await remediation('{}');
  assert.deepEqual(await run.plan(), []);
  assert.equal(fake!.requests.length, 0, 'not even listed');
  await run.close();
});

test('a sandbox active again is skipped, and a stop failing half-way fails only that sandbox', async () => {
  const run = await remediation('{ pool: "workers*" }');
  const plan = await run.plan();
  // Between plan and apply: sb-a gets activity; the API fails sb-b's stop.
  (fake!.sandboxes.find((s) => (s as { id: string }).id === 'sb-a') as { lastActivityAt: string }).lastActivityAt = new Date().toISOString();
  fake!.onRequest = (r) => (r.method === 'POST' && r.path === '/api/sandbox/sb-b/stop' ? { status: 500 } : undefined);
  await run.apply(plan);
  assert.deepEqual(
    plan.map((a) => [a.ids[0], a.applied, a.failed ?? false]),
    [
      ['sb-a', false, false],
      ['sb-b', false, true],
      ['sb-f', true, false],
    ],
  );
  assert.match(plan[0]!.skipped!, /^the sandbox was active \d+s ago$/);
  assert.match(plan[1]!.skipped!, /^error: HTTP 500/);
  assert.deepEqual(fake!.stopped, ['sb-f']);
  assert.equal(fake!.requests.filter((r) => r.method === 'POST').length, 2, 'a failed stop is not retried');
  await run.close();
});

test('a rejected API key is a source error that does not leak the key', async () => {
  const run = await remediation('{ pool: "workers*" }', 'dtn_wrong_key_123');
  assert.deepEqual(await run.plan(), []);
  assert.equal(run.errors.length, 1);
  assert.match(run.errors[0]!, /^daytona: HTTP 401/);
  assert.ok(!run.errors[0]!.includes('dtn_wrong_key_123'), run.errors[0]);
  await run.close();
});
