import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { parseConfig } from '../src/config/load.js';
import { REPO_ROOT } from './helpers/exporter.js';

/** The shipped remediation examples and docs stay runnable and in step with the code. */
const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- YAML documents read loosely: the assertions below check their shape
type Doc = Record<string, any>;

test('the CronJob runs one scheduled trim,delete_consumer pass at a time, with a config that validates', () => {
  const docs = yaml.loadAll(read('deploy/remediate/kubernetes-cronjob.yaml')) as Doc[];
  const cron = docs.find((d) => d.kind === 'CronJob')!;
  const map = docs.find((d) => d.kind === 'ConfigMap')!;
  assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
  const pod = cron.spec.jobTemplate.spec.template.spec;
  assert.deepEqual(pod.containers[0].args.slice(0, 1), ['remediate']);
  assert.ok(pod.containers[0].args.join(' ').includes('--apply --only trim,delete_consumer'));
  assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
  // The secret file is mounted in the cluster; here a temp file stands in for it.
  const secret = join(mkdtempSync(join(tmpdir(), 'fleet-cron-')), 'redis_password');
  writeFileSync(secret, 'pw\n');
  const text = String(map.data['fleet.yml']).replace('/run/secrets/fleet-remediate/redis_password', secret);
  const cfg = parseConfig(text, 'cronjob fleet.yml', {});
  assert.equal(cfg.remediate?.redis?.username, 'fleet-remediate');
});

test('the compose override adds an hourly trim,delete_consumer loop that docker-compose accepts', (t) => {
  const svc = (yaml.load(read('deploy/remediate/compose.yml')) as Doc).services.remediate;
  assert.match(svc.command.join('\n'), /remediate --config \/etc\/fleet-exporter\/fleet\.yml --apply --only trim,delete_consumer/);
  const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', 'deploy/remediate/compose.yml', 'config', '-q'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.error) return t.skip('docker-compose is not installed');
  assert.equal(r.status, 0, r.stderr);
});

test('each matching runbook says which remediate command to run, the plan before --apply', () => {
  const doc = read('docs/runbooks.md');
  const actions: Record<string, string> = {
    FleetStreamUnbounded: 'trim',
    FleetPhantomConsumers: 'delete_consumer',
    FleetStrandedMessages: 'requeue',
    FleetPoisonMessage: 'dead_letter',
    FleetCallbacksOrphaned: 'reap_callbacks',
    FleetSandboxZombie: 'stop_idle_sandboxes',
  };
  for (const [alert, action] of Object.entries(actions)) {
    const start = doc.indexOf(`### ${alert}\n`);
    const section = doc.slice(start, doc.indexOf('\n### ', start + 1));
    const plan = section.search(new RegExp(`fleet-exporter remediate --config \\S+ --only ${action}\\b(?![^\\n]*--apply)`));
    const apply = section.search(new RegExp(`fleet-exporter remediate --config \\S+ --only ${action}\\b[^\\n]*--apply`));
    assert.ok(plan >= 0 && apply > plan, `${alert}: needs a plan command for ${action}, then the --apply one`);
  }
});

test('the ACL in docs/remediate.md grants what deploy/redis-remediate.acl grants', () => {
  const rules = (line: string) =>
    line
      .split(/\s+/)
      .filter((t) => /^[+-]/.test(t))
      .sort();
  const file = read('deploy/redis-remediate.acl')
    .split('\n')
    .find((l) => l.startsWith('user '))!;
  const doc = read('docs/remediate.md')
    .split('\n')
    .find((l) => l.startsWith('ACL SETUSER fleet-remediate'))!;
  assert.deepEqual(rules(doc), rules(file));
});
