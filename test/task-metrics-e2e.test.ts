// Task histograms through a real Prometheus (Debian's /usr/bin/prometheus):
// a Node and a Python worker of one type share the worker:metrics hash, the
// built exporter reads it, Prometheus scrapes it, and histogram_quantile
// gives the quantiles the recorded observations imply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { ExporterProcess } from './helpers/exporter.js';
import { freePort, waitFor } from './helpers/net.js';
import { TestRedis } from './helpers/redis.js';
import { TaskWorker } from './helpers/task-workers.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

let redis: TestRedis;
let exporter: ExporterProcess;
let prometheus: ChildProcess | undefined;
let promLogs = '';
let promBase = '';
const dir = mkdtempSync(join(tmpdir(), 'fleet-task-e2e-'));

before(async () => {
  redis = await TestRedis.start();
  exporter = await ExporterProcess.start({ redis: { url: redis.url, worker_types: [{ name: 'lookup' }] } });
  const port = await freePort();
  promBase = `http://127.0.0.1:${port}`;
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [{ job_name: 'fleet-exporter', static_configs: [{ targets: [`127.0.0.1:${exporter.port}`] }] }],
  };
  writeFileSync(join(dir, 'prometheus.yml'), yaml.dump(config));
  prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prometheus.stdout!.on('data', (d) => (promLogs += d));
  prometheus.stderr!.on('data', (d) => (promLogs += d));
  await waitFor(async () => (await fetch(`${promBase}/-/ready`).catch(() => undefined))?.status === 200, 30_000, 100);
});

after(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await exporter?.stop();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function query(expr: string): Promise<number | undefined> {
  const r = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as { status: string; data: { result: { value: [number, string] }[] } };
  assert.equal(body.status, 'success', JSON.stringify(body));
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

test('histogram_quantile over the scraped histograms gives the quantiles of what the workers recorded', async () => {
  const node = TaskWorker.start('node', redis.port, 'lookup', 'n1', 3);
  const py = TaskWorker.start('python', redis.port, 'lookup', 'p1', 3);
  // 50 tasks of 60 ms waiting 3 s (bucket 0.05-0.075 / 2.5-5), 50 of 300 ms waiting 40 s (0.25-0.5 / 30-60).
  await node.record(Array.from({ length: 50 }, () => ({ durationSeconds: 0.06, waitSeconds: 3 })));
  await py.record(Array.from({ length: 50 }, () => ({ durationSeconds: 0.3, waitSeconds: 40 })));
  const selector = '{job="fleet-exporter",worker_type="lookup"}';
  try {
    await waitFor(async () => (await query(`fleet_task_duration_seconds_count${selector}`)) === 100, 30_000, 250);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nprometheus log tail:\n${promLogs.slice(-2000)}`);
  }
  await waitFor(async () => (await query(`fleet_task_queue_wait_seconds_count${selector}`)) === 100, 10_000, 250);
  const q = (phi: number, family: string) => query(`histogram_quantile(${phi}, sum by (le) (${family}_bucket${selector}))`);
  // Prometheus interpolates linearly inside the bucket where the rank falls.
  const close = (actual: number | undefined, expected: number) => assert.ok(Math.abs(actual! - expected) < 1e-9, `${actual} != ${expected}`);
  close(await q(0.5, 'fleet_task_duration_seconds'), 0.075); // rank 50 ends bucket (0.05, 0.075]
  close(await q(0.95, 'fleet_task_duration_seconds'), 0.475); // rank 95: 0.25 + 0.25 * 45/50
  close(await q(0.5, 'fleet_task_queue_wait_seconds'), 5); // rank 50 ends bucket (2.5, 5]
  close(await q(0.9, 'fleet_task_queue_wait_seconds'), 54); // rank 90: 30 + 30 * 40/50
  assert.equal(await query(`sum(fleet_tasks_total${selector})`), 100);
  await Promise.all([node.kill('SIGTERM'), py.kill('SIGTERM')]);
});
