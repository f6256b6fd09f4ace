// --web.config.file end to end: certificates made with Debian's openssl at test
// time, the built CLI serving over TLS with basic auth and client certificates,
// requests made with Node's https client and with curl, and a real Prometheus
// (Debian's /usr/bin/prometheus) scraping the exporter with tls_config + basic_auth.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import yaml from 'js-yaml';
import { CLI, ExporterProcess } from './helpers/exporter.js';
import { freePort, waitFor } from './helpers/net.js';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const PASSWORD = 'correct horse battery staple';

const tmp = mkdtempSync(join(tmpdir(), 'fleet-web-'));
const file = (name: string) => join(tmp, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: tmp, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1, a client certificate it signed, and one it did not. */
function makeCertificates(): void {
  const ca = (name: string) => openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  const signed = (name: string, by: string, san: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  ca('ca');
  ca('rogue-ca');
  signed('server', 'ca', 'IP:127.0.0.1,DNS:localhost');
  signed('renewed', 'ca', 'IP:127.0.0.1,DNS:localhost');
  signed('client', 'ca', 'DNS:prometheus.example');
  signed('rogue', 'rogue-ca', 'DNS:prometheus.example');
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

function get(port: number, path: string, opts: { auth?: string; client?: 'client' | 'rogue'; maxVersion?: 'TLSv1.2' } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: readFileSync(file('ca.crt')),
        auth: opts.auth,
        cert: opts.client && readFileSync(file(`${opts.client}.crt`)),
        key: opts.client && readFileSync(file(`${opts.client}.key`)),
        maxVersion: opts.maxVersion,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, fingerprint }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The built CLI with a web config; its one source is a Redis nobody listens on, so it needs no server. */
function startExporter(webConfig: object): Promise<ExporterProcess> {
  const web = join(mkdtempSync(join(tmp, 'exporter-')), 'web.yml');
  writeFileSync(web, yaml.dump(webConfig));
  return ExporterProcess.start({ redis: { url: 'redis://127.0.0.1:1/0' } }, {}, ['--web.config.file', web]);
}

const basic = (user: string, password: string) => `${user}:${password}`;

before(() => {
  makeCertificates();
  // htpasswd -nBC 10 writes $2y$ hashes: use that prefix, as a real web-config file would.
  writeFileSync(file('password'), PASSWORD);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('TLS with basic auth', () => {
  let exporter: ExporterProcess;
  before(async () => {
    exporter = await startExporter({
      tls_server_config: { cert_file: file('server.crt'), key_file: file('server.key') },
      http_server_config: { headers: { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'deny' } },
      basic_auth_users: { prometheus: bcrypt.hashSync(PASSWORD, 10).replace(/^\$2b\$/, '$2y$') },
    });
  });
  after(() => exporter.stop());

  test('no credentials, a wrong password and an unknown user get 401 on every endpoint', async () => {
    for (const path of ['/metrics', '/', '/healthz', '/readyz']) {
      const none = await get(exporter.port, path);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers['www-authenticate'], 'Basic');
      assert.equal((await get(exporter.port, path, { auth: basic('prometheus', 'wrong') })).status, 401, path);
      assert.equal((await get(exporter.port, path, { auth: basic('mallory', PASSWORD) })).status, 401, path);
    }
  });

  test('the right password gets 200 over HTTPS, with the configured headers', async () => {
    const r = await get(exporter.port, '/metrics', { auth: basic('prometheus', PASSWORD) });
    assert.equal(r.status, 200);
    assert.match(r.body, /^fleet_exporter_build_info\{/m);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'deny');
    for (const path of ['/', '/healthz', '/readyz']) assert.equal((await get(exporter.port, path, { auth: basic('prometheus', PASSWORD) })).status, 200, path);
  });

  test('curl with --cacert and --user gets the metrics; without --user it gets 401', () => {
    const url = `https://127.0.0.1:${exporter.port}/metrics`;
    const ok = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', file('ca.crt'), '--user', `prometheus:${PASSWORD}`, url], { encoding: 'utf8' });
    assert.equal(ok.stdout, '200', ok.stderr);
    const anon = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', file('ca.crt'), url], { encoding: 'utf8' });
    assert.equal(anon.stdout, '401', anon.stderr);
  });

  test('plain HTTP is refused when TLS is on', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${exporter.port}/metrics`));
    const curl = spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${exporter.port}/healthz`], { encoding: 'utf8' });
    assert.notEqual(curl.status, 0);
    assert.equal(curl.stdout, '000');
  });

  test('a real Prometheus scraping with tls_config and basic_auth records up 1', { timeout: 60_000 }, async () => {
    const promPort = await freePort();
    const dir = join(tmp, 'prometheus');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      yaml.dump({
        global: { scrape_interval: '1s', scrape_timeout: '1s' },
        scrape_configs: [
          {
            job_name: 'fleet-exporter',
            scheme: 'https',
            tls_config: { ca_file: file('ca.crt') },
            basic_auth: { username: 'prometheus', password_file: file('password') },
            static_configs: [{ targets: [`127.0.0.1:${exporter.port}`] }],
          },
        ],
      }),
    );
    const prom = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let logs = '';
    prom.stderr!.on('data', (d) => (logs += d));
    try {
      const query = async (q: string) => {
        const r = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
          data: { result: Array<{ value: [number, string] }> };
        };
        return r.data.result;
      };
      await waitFor(async () => (await query('up{job="fleet-exporter"}'))[0]?.value[1] === '1', 30_000, 250).catch((err) => {
        throw new Error(`${(err as Error).message}\n${logs.slice(-2000)}`);
      });
      assert.equal((await query('fleet_exporter_build_info{job="fleet-exporter"}')).length, 1);
    } finally {
      const exited = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await exited;
    }
  });
});

describe('client_auth_type RequireAndVerifyClientCert', () => {
  let exporter: ExporterProcess;
  before(async () => {
    exporter = await startExporter({
      tls_server_config: { cert_file: file('server.crt'), key_file: file('server.key'), client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: file('ca.crt') },
    });
  });
  after(() => exporter.stop());

  test('a client certificate signed by client_ca_file gets in', async () => {
    assert.equal((await get(exporter.port, '/metrics', { client: 'client' })).status, 200);
  });

  test('no client certificate, or one from another CA, is refused', async () => {
    await assert.rejects(get(exporter.port, '/metrics'));
    await assert.rejects(get(exporter.port, '/metrics', { client: 'rogue' }));
  });
});

describe('the client_auth_types short of verification', () => {
  test('VerifyClientCertIfGiven lets a client without a certificate in, but not one with an unverifiable certificate', async () => {
    const e = await startExporter({
      tls_server_config: { cert_file: file('server.crt'), key_file: file('server.key'), client_auth_type: 'VerifyClientCertIfGiven', client_ca_file: file('ca.crt') },
    });
    try {
      assert.equal((await get(e.port, '/metrics')).status, 200);
      assert.equal((await get(e.port, '/metrics', { client: 'client' })).status, 200);
      await assert.rejects(get(e.port, '/metrics', { client: 'rogue' }));
    } finally {
      await e.stop();
    }
  });

  test('RequireAnyClientCert wants some certificate, verified or not', async () => {
    const e = await startExporter({ tls_server_config: { cert_file: file('server.crt'), key_file: file('server.key'), client_auth_type: 'RequireAnyClientCert' } });
    try {
      await assert.rejects(get(e.port, '/metrics'));
      assert.equal((await get(e.port, '/metrics', { client: 'rogue' })).status, 200);
    } finally {
      await e.stop();
    }
  });
});

describe('client_allowed_sans', () => {
  test('only a client whose SAN is listed gets in', async () => {
    const tls = { cert_file: file('server.crt'), key_file: file('server.key'), client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: file('ca.crt') };
    const allowed = await startExporter({ tls_server_config: { ...tls, client_allowed_sans: ['prometheus.example'] } });
    const other = await startExporter({ tls_server_config: { ...tls, client_allowed_sans: ['someone.else'] } });
    try {
      assert.equal((await get(allowed.port, '/metrics', { client: 'client' })).status, 200);
      await assert.rejects(get(other.port, '/metrics', { client: 'client' }));
    } finally {
      await allowed.stop();
      await other.stop();
    }
  });
});

describe('min_version, cipher_suites, curve_preferences and rate_limit', () => {
  let exporter: ExporterProcess;
  before(async () => {
    exporter = await startExporter({
      tls_server_config: {
        cert_file: file('server.crt'),
        key_file: file('server.key'),
        min_version: 'TLS13',
        cipher_suites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
        curve_preferences: ['X25519', 'CurveP256'],
      },
      rate_limit: { interval: '1h', burst: 2 },
    });
  });
  after(() => exporter.stop());

  test('a TLS 1.2 client is refused when min_version is TLS13', async () => {
    await assert.rejects(get(exporter.port, '/healthz', { maxVersion: 'TLSv1.2' }));
  });

  test('requests beyond the burst get 429 until the interval refills the bucket', async () => {
    assert.equal((await get(exporter.port, '/healthz')).status, 200);
    assert.equal((await get(exporter.port, '/healthz')).status, 200);
    assert.equal((await get(exporter.port, '/metrics')).status, 429);
  });
});

describe('certificate rotation', () => {
  test('a certificate and key replaced on disk are served to new connections without a restart', { timeout: 30_000 }, async () => {
    copyFileSync(file('server.crt'), file('rotating.crt'));
    copyFileSync(file('server.key'), file('rotating.key'));
    const exporter = await startExporter({ tls_server_config: { cert_file: file('rotating.crt'), key_file: file('rotating.key') } });
    try {
      const before = (await get(exporter.port, '/healthz')).fingerprint;
      copyFileSync(file('renewed.crt'), file('rotating.crt'));
      copyFileSync(file('renewed.key'), file('rotating.key'));
      const renewed = execFileSync('openssl', ['x509', '-in', file('renewed.crt'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' })
        .split('=')[1]!
        .trim();
      assert.notEqual(before, renewed);
      await waitFor(async () => (await get(exporter.port, '/healthz')).fingerprint === renewed, 15_000, 200);
      assert.match(exporter.logs, /TLS certificate files reloaded/);
    } finally {
      await exporter.stop();
    }
  });
});

describe('a malformed web config', () => {
  const configFile = join(mkdtempSync(join(tmpdir(), 'fleet-web-bad-')), 'fleet.yml');
  writeFileSync(configFile, 'redis: { url: "redis://127.0.0.1:1/0" }\n');
  const webFile = (text: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'fleet-web-bad-')), 'web.yml');
    writeFileSync(f, text);
    return f;
  };
  const bad = webFile(
    [
      'tls_server_config:',
      '  cert_file: /nonexistent/server.crt',
      '  client_auth_type: RequireAndVerifyClient',
      'http_server_config:',
      '  headers:',
      '    X-Frame-Options: allow-all',
      'basic_auth_users:',
      '  alice: plaintext-password',
      'extra_key: 1',
      '',
    ].join('\n'),
  );

  test('fails at start with the key path of every problem', () => {
    const r = spawnSync(CLI, ['--config', configFile, '--web.config.file', bad, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tls_server_config\.client_auth_type: /);
    assert.match(r.stderr, /http_server_config\.headers\.X-Frame-Options: must be deny or sameorigin/);
    assert.match(r.stderr, /basic_auth_users\.alice: must be a bcrypt hash/);
    assert.match(r.stderr, /extra_key: unknown key/);
    assert.doesNotMatch(r.stderr, /plaintext-password/);
  });

  test('--check-config reports it too, and a missing certificate file by its key', () => {
    const r = spawnSync(CLI, ['--check-config', '--config', configFile, '--web.config.file', bad], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tls_server_config\.client_auth_type: /);
    const half = webFile('tls_server_config:\n  cert_file: server.crt\n');
    const h = spawnSync(CLI, ['--check-config', '--config', configFile, '--web.config.file', half], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(h.status, 1);
    assert.match(h.stderr, /tls_server_config\.key_file: cert_file and key_file must be set together/);
    const missing = webFile('tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n');
    const m = spawnSync(CLI, ['--check-config', '--config', configFile, '--web.config.file', missing], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(m.status, 1);
    assert.match(m.stderr, /tls_server_config\.cert_file: cannot read missing\.crt: ENOENT/);
    assert.match(m.stderr, /tls_server_config\.key_file: cannot read missing\.key: ENOENT/);
  });

  test('--check-config accepts a valid one', () => {
    const good = webFile(`basic_auth_users:\n  prometheus: '${bcrypt.hashSync('x', 4)}'\n`);
    const r = spawnSync(CLI, ['--check-config', '--config', configFile, '--web.config.file', good], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /web config .* is valid/);
  });
});
