import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { TestRedis } from './helpers/redis.js';
import { ExporterProcess, REPO_ROOT } from './helpers/exporter.js';

/**
 * The status page at / in a real headless Chromium (Debian's), against a real
 * Redis fleet: what a person without Grafana at hand sees.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE = 'stream.<img src=x onerror=alert(1)>"&\'';

let redis: TestRedis;
let r: Redis;
let exporter: ExporterProcess;
let browser: Browser | undefined;

before(async () => {
  redis = await TestRedis.start();
  r = redis.client();
  const now = String(Math.floor(Date.now() / 1000));
  const group = async (stream: string, ...consumers: string[]) => {
    await r.xgroup('CREATE', stream, 'workers', '0', 'MKSTREAM');
    for (const c of consumers) await r.xgroup('CREATECONSUMER', stream, 'workers', c);
  };
  await group('stream.lookup', 'l1', 'l2');
  for (let i = 0; i < 7; i++) await r.xadd('stream.lookup', '*', 'task', String(i));
  await r.xreadgroup('GROUP', 'workers', 'l1', 'COUNT', 3, 'STREAMS', 'stream.lookup', '>'); // 3 pending, 4 backlog
  await r.set('worker:heartbeat:lookup:l1', now, 'EX', 30);
  await r.set('worker:heartbeat:lookup:l2', now, 'EX', 30);
  await group('stream.crashy', 'c1');
  await group('stream.scaled', 's1');
  await r.set('worker:shutdown:stream.scaled:s1', now, 'EX', 120);
  await group(HOSTILE, 'h1');
  exporter = await ExporterProcess.start({
    redis: {
      url: redis.url,
      streams: { patterns: ['stream.*'] },
      worker_types: [{ name: 'lookup', stream: 'stream.lookup', min_alive: 2, concurrency: 4 }],
    },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await exporter?.stop();
  r?.disconnect();
  await redis?.destroy();
});

test(
  'the status page shows each source and each worker type with its derived state, escaped, readable on a phone',
  { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}` },
  async () => {
    const page = await browser!.newPage({ viewport: { width: 390, height: 844 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const response = await page.goto(`${exporter.base}/`);
    assert.equal(response?.status(), 200);

    const cells = (selector: string) => page.$$eval(`${selector} tbody tr`, (rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const sources = await cells('#sources');
    assert.deepEqual(
      sources.map((s) => [s[0], s[1]]),
      [['redis', 'up']],
    );

    const workers = new Map((await cells('#workers')).map((row) => [row[0]!, row.slice(1)]));
    // columns: state, alive, min, backlog, pending, shutdown markers
    assert.deepEqual(workers.get('lookup'), ['up', '2', '2', '4', '3', '0']);
    assert.deepEqual(workers.get('stream.crashy'), ['crashed', '0', '1', '0', '0', '0']);
    assert.deepEqual(workers.get('stream.scaled'), ['scaled down', '0', '1', '0', '0', '1']);
    assert.ok(workers.has(HOSTILE), 'a hostile stream name is shown as text');
    assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'no markup was injected');
    assert.deepEqual(dialogs, [], 'no script ran');

    const link = await page.getAttribute('a[href="metrics"]', 'href');
    assert.equal(link, 'metrics');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
    // docs/status-page.png is refreshed only on request (UPDATE_DOCS=1); tests never rewrite tracked files.
    const dir = process.env.UPDATE_DOCS ? undefined : mkdtempSync(join(tmpdir(), 'fleet-status-'));
    const shot = join(dir ?? join(REPO_ROOT, 'docs'), 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 0);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);
