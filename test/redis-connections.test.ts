import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ExporterProcess } from './helpers/exporter.js';
import { valueOf } from './helpers/exposition.js';
import { freePort, waitFor } from './helpers/net.js';
import { TestRedis } from './helpers/redis.js';

/** TLS and Sentinel, each against real redis-server processes started here. */
const dir = mkdtempSync(join(tmpdir(), 'fleet-redis-conn-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost. */
function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fleet-test-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
}

test('rediss:// with the CA from ca_file connects; an unknown CA is up=0, insecure_skip_verify connects', async () => {
  makeCertificates();
  const port = await freePort();
  const server = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--tls-cert-file',
      join(dir, 'server.pem'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.pem'),
      '--tls-auth-clients',
      'no',
    ],
    { stdio: 'ignore' },
  );
  children.push(server);
  const admin = new Redis({ port, host: '127.0.0.1', tls: { ca: readFileSync(join(dir, 'ca.pem')) }, retryStrategy: () => 200 });
  admin.on('error', () => undefined);
  after(() => admin.disconnect());
  await waitFor(async () => (await admin.ping().catch(() => '')) === 'PONG', 10_000, 200);
  await admin.xgroup('CREATE', 'stream.tls', 'g', '$', 'MKSTREAM');

  const url = `rediss://127.0.0.1:${port}/0`;
  const trusted = await ExporterProcess.start({ redis: { url, tls: { ca_file: join(dir, 'ca.pem') }, streams: { patterns: ['stream.*'] } } });
  const untrusted = await ExporterProcess.start({ redis: { url, streams: { patterns: ['stream.*'] } } });
  const insecure = await ExporterProcess.start({ redis: { url, tls: { insecure_skip_verify: true }, streams: { patterns: ['stream.*'] } } });
  try {
    const s = await trusted.samples();
    assert.equal(valueOf(s, 'fleet_redis_up'), 1, trusted.logs);
    assert.equal(valueOf(s, 'fleet_stream_length', { stream: 'stream.tls' }), 0);
    assert.equal(valueOf(await untrusted.samples(), 'fleet_redis_up'), 0, 'a certificate from an unknown CA is refused');
    assert.equal(valueOf(await insecure.samples(), 'fleet_redis_up'), 1);
  } finally {
    await Promise.all([trusted.stop(), untrusted.stop(), insecure.stop()]);
    admin.disconnect();
  }
});

test('sentinel: the exporter finds the master through Redis Sentinel', async () => {
  const master = await TestRedis.start();
  const sentinelPort = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(conf, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor fleetmaster 127.0.0.1 ${master.port} 1\n`);
  const sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  children.push(sentinel);
  const r = master.client();
  await r.xgroup('CREATE', 'stream.sentinel', 'g', '$', 'MKSTREAM');
  const probe = new Redis({ port: sentinelPort, host: '127.0.0.1', retryStrategy: () => 200 });
  probe.on('error', () => undefined);
  after(() => probe.disconnect());
  await waitFor(
    async () => {
      const reply = await probe.call('SENTINEL', 'get-master-addr-by-name', 'fleetmaster').catch(() => null);
      return Array.isArray(reply) && Number(reply[1]) === master.port;
    },
    15_000,
    300,
  );
  probe.disconnect();
  const exporter = await ExporterProcess.start({
    redis: {
      sentinel: { master_name: 'fleetmaster', sentinels: [`127.0.0.1:${sentinelPort}`] },
      streams: { patterns: ['stream.*'] },
    },
  });
  try {
    const s = await exporter.samples();
    assert.equal(valueOf(s, 'fleet_redis_up'), 1, exporter.logs);
    assert.equal(valueOf(s, 'fleet_stream_length', { stream: 'stream.sentinel' }), 0);
  } finally {
    await exporter.stop();
    r.disconnect();
    await master.destroy();
  }
});

test('cluster: streams and heartbeats spread over three masters are all read', async () => {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  for (const port of ports) {
    const nodeDir = mkdtempSync(join(dir, `node-${port}-`));
    // The bus port defaults to port + 10000, which may be taken or beyond 65535: pick one.
    const busPort = await freePort();
    children.push(
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--cluster-port',
          String(busPort),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(nodeDir, 'nodes.conf'),
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          nodeDir,
        ],
        { stdio: 'ignore' },
      ),
    );
  }
  for (const port of ports) {
    const probe = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    try {
      await waitFor(async () => (await probe.ping().catch(() => '')) === 'PONG', 10_000, 100);
    } finally {
      probe.disconnect(); // a client left retrying would keep the test process alive
    }
  }
  execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  const cluster = new Redis.Cluster(ports.map((port) => ({ host: '127.0.0.1', port })));
  cluster.on('error', () => undefined);
  after(() => cluster.disconnect());
  await waitFor(async () => (await cluster.set('probe', '1').catch(() => '')) === 'OK', 15_000, 200);
  const now = String(Math.floor(Date.now() / 1000));
  const streams = ['stream.a', 'stream.b', 'stream.c', 'stream.d', 'stream.e', 'stream.f'];
  for (const s of streams) {
    await cluster.xgroup('CREATE', s, 'g', '$', 'MKSTREAM');
    await cluster.xgroup('CREATECONSUMER', s, 'g', 'w1');
    await cluster.xgroup('CREATECONSUMER', s, 'g', 'w2');
    await cluster.set(`worker:heartbeat:${s}:w1`, now, 'EX', 60);
  }
  const masters = new Set(streams.map((s) => cluster.slots[Number(execFileSync('redis-cli', ['-p', String(ports[0]), 'CLUSTER', 'KEYSLOT', s]).toString())]?.[0]));
  assert.ok(masters.size > 1, 'the streams live on more than one master');
  const exporter = await ExporterProcess.start({
    redis: { cluster: { nodes: ports.map((p) => `127.0.0.1:${p}`) }, streams: { patterns: ['stream.*'] } },
  });
  try {
    const s = await exporter.samples();
    assert.equal(valueOf(s, 'fleet_redis_up'), 1, exporter.logs);
    for (const stream of streams) {
      assert.equal(valueOf(s, 'fleet_stream_length', { stream }), 0, `${stream} discovered on its master`);
      assert.equal(valueOf(s, 'fleet_workers_alive', { worker_type: stream }), 1, `heartbeat of ${stream} found`);
      assert.equal(valueOf(s, 'fleet_stream_group_consumers', { stream, group: 'g', state: 'phantom' }), 1);
    }
  } finally {
    await exporter.stop();
    cluster.disconnect();
  }
});
