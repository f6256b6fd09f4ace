import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CLI, ExporterProcess, stopProcess } from './helpers/exporter.js';
import { freePort, sleep, waitFor } from './helpers/net.js';
import { TestRedis } from './helpers/redis.js';

/** Runs the CLI with its stderr alone captured, scrapes it a few times, and returns every stderr line. */
async function stderrLines(config: object, during?: () => Promise<void>): Promise<string[]> {
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-stderr-')), 'fleet.yml');
  writeFileSync(file, yaml.dump(config));
  const proc = spawn(CLI, ['--config', file, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ?? false, 30_000);
    for (let i = 0; i < 3; i++) {
      await fetch(`http://127.0.0.1:${port}/metrics`);
      await sleep(500);
    }
    if (during) {
      await during();
      for (let i = 0; i < 3; i++) {
        await fetch(`http://127.0.0.1:${port}/metrics`);
        await sleep(500);
      }
    }
  } finally {
    await stopProcess(proc);
  }
  return stderr.split('\n').filter((l) => l !== '');
}

describe('every line the exporter writes to stderr is JSON, whatever Redis does', () => {
  let plain: TestRedis;
  let cluster: TestRedis;
  before(async () => {
    plain = await TestRedis.start();
    // A one-node Redis Cluster holding every slot.
    cluster = await TestRedis.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
    const c = cluster.client();
    await c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    await waitFor(async () => String(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok'), 10_000);
    c.disconnect();
  });
  after(async () => {
    await plain.destroy();
    await cluster.destroy();
  });

  const closed = async () => `127.0.0.1:${await freePort()}`;
  const cases: [string, () => Promise<object>, (() => Promise<void>)?][] = [
    ['a closed port', async () => ({ url: `redis://${await closed()}/0` })],
    ['sentinels on closed ports', async () => ({ sentinel: { master_name: 'm', sentinels: [await closed(), await closed()] } })],
    ['cluster nodes on closed ports', async () => ({ cluster: { nodes: [await closed(), await closed()] } })],
    ['a password that Redis does not ask for', async () => ({ url: `redis://:not-needed@127.0.0.1:${plain.port}/0` })],
    ['a sentinel that is a plain Redis', async () => ({ sentinel: { master_name: 'm', sentinels: [`127.0.0.1:${plain.port}`] } })],
    ['cluster nodes that are a plain Redis', async () => ({ cluster: { nodes: [`127.0.0.1:${plain.port}`] } })],
    ['a password on a cluster that does not ask for one', async () => ({ url: 'redis://:not-needed@x/0', cluster: { nodes: [`127.0.0.1:${cluster.port}`] } })],
    ['a cluster killed while connected', async () => ({ cluster: { nodes: [`127.0.0.1:${cluster.port}`] } }), () => cluster.stop()],
  ];
  for (const [what, redis, during] of cases) {
    test(what, async () => {
      const lines = await stderrLines({ redis: { ...(await redis()), streams: { patterns: ['s*'] }, timeout_seconds: 1 } }, during);
      assert.ok(lines.length > 0);
      for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    });
  }
});

describe('a heartbeat value that is no plausible time', () => {
  let redis: TestRedis;
  let exporter: ExporterProcess;
  before(async () => {
    redis = await TestRedis.start();
    const r = redis.client();
    await r.xgroup('CREATE', 'stream.padded', 'g', '$', 'MKSTREAM');
    await r.xgroup('CREATECONSUMER', 'stream.padded', 'g', 'w1');
    // Refreshed with EX 10 under a configured TTL of 15: about 5 s old.
    await r.set('worker:heartbeat:stream.padded:w1', '  123  ', 'EX', 10);
    r.disconnect();
    exporter = await ExporterProcess.start({ redis: { url: redis.url, streams: { names: ['stream.padded'] }, heartbeats: { ttl_seconds: 15 } } });
  });
  after(async () => {
    await exporter.stop();
    await redis.destroy();
  });

  test('"  123  " with a TTL is alive, and its age comes from the TTL, not from 1970', async () => {
    let samples = await exporter.samples();
    const at = (name: string) => samples.find((s) => s.name === name && s.labels.worker_type === 'stream.padded')?.value;
    await waitFor(async () => at('fleet_workers_alive') === 1 || ((samples = await exporter.samples()), false), 5000);
    const age = at('fleet_worker_heartbeat_max_age_seconds')!;
    assert.ok(age >= 4 && age <= 15, `about 5 s old, got ${age}`);
  });
});
