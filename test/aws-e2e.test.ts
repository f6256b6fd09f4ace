import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeAws, syntheticFleet } from './fakes/aws-server.js';
import { freePort } from './helpers/net.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXPIREDTOKENEXAMPLE0123456789';

/** Spawns the built CLI with only an `aws:` section; stderr (the logs) is collected. */
async function startExporter(endpoint: string, aws: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-aws-'));
  const config = join(dir, 'config.yml');
  writeFileSync(config, `aws:\n  regions: [us-east-1]\n  endpoint: ${endpoint}\n${aws}`);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--config', config, '--listen', `127.0.0.1:${port}`], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir, // no shared ~/.aws config from the machine running the tests
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`exporter did not start: ${logs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    scrape: async () => (await fetch(`${base}/metrics`)).text(),
    logs: () => logs,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the CLI with only aws serves instances and CloudWatch data, and scraping adds no API call', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(30, { stoppedEvery: 5 });
  const endpoint = await fake.start();
  const exporter = await startExporter(endpoint, '  refresh_seconds: 60\n  cloudwatch_refresh_seconds: 300\n', {});
  try {
    let body = '';
    await eventually(async () => {
      body = await exporter.scrape();
      return body.includes('fleet_collector_up{collector="aws"} 1');
    });
    assert.match(body, /fleet_ec2_instances\{region="us-east-1",state="running"\} 24/);
    assert.match(body, /fleet_ec2_instances\{region="us-east-1",state="stopped"\} 6/);
    assert.match(body, /fleet_ec2_cpu_utilization_ratio\{instance_id="i-0a[0-9a-f]+"\} 0\.\d+/);
    assert.match(body, /fleet_aws_requests_total\{service="cloudwatch",operation="GetMetricData",outcome="success"\} 1/);
    assert.match(body, /fleet_cloudwatch_metrics_requested_total 48/);
    const calls = fake.requests.length;
    for (let i = 0; i < 20; i++) await exporter.scrape();
    assert.equal(fake.requests.length, calls, '20 scrapes, zero API calls');
    // Every request was signed with the key id; the secret itself never leaves the SDK.
    assert.ok(fake.requests.every((r) => String(r.headers.authorization).includes('AKIAIOSFODNN7EXAMPLE')));
    assert.ok(!body.includes(SECRET) && !exporter.logs().includes(SECRET));
  } finally {
    await exporter.stop();
    await fake.close();
  }
});

test('an expired session token shows as aws down, with neither the secret nor the token in logs or /metrics', async () => {
  const fake = new FakeAws();
  fake.instances = syntheticFleet(3);
  fake.expiredTokens.add(SESSION_TOKEN);
  const endpoint = await fake.start();
  const exporter = await startExporter(endpoint, '', { AWS_SESSION_TOKEN: SESSION_TOKEN });
  try {
    let body = '';
    await eventually(async () => {
      body = await exporter.scrape();
      // The body is read before the log: wait for a body scraped after the refresh counted its request.
      return body.includes('fleet_collector_up{collector="aws"} 0') && /outcome="unauthorized"\} [1-9]/.test(body) && /AuthFailure/.test(exporter.logs());
    });
    assert.match(body, /fleet_aws_requests_total\{service="ec2",operation="DescribeInstances",outcome="unauthorized"\} 1/);
    assert.equal(fake.count('DescribeInstances'), 1, 'a rejected credential is not retried');
    assert.equal(fake.requests[0]!.headers['x-amz-security-token'], SESSION_TOKEN, 'the token reached AWS');
    for (const text of [body, exporter.logs()]) {
      assert.ok(!text.includes(SECRET), 'secret key leaked');
      assert.ok(!text.includes(SESSION_TOKEN), 'session token leaked');
    }
  } finally {
    await exporter.stop();
    await fake.close();
  }
});
