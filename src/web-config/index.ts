import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { dirname, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import yaml from 'js-yaml';
import { ConfigError, describeIssue } from '../config/load.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../redact.js';
import { BasicAuth } from './auth.js';
import { CIPHER_SUITES, CURVES, parseDurationMs, TLS_VERSIONS, webConfigSchema, type ClientAuthType, type TlsServerConfig } from './schema.js';

/** What --web.config.file asks of the HTTP server, with every file already read. */
export interface WebSettings {
  tls?: {
    options: ServerOptions;
    clientAuth: ClientAuthType;
    allowedSans?: string[];
    /** Files behind cert, key and ca (absolute), watched so a rotated certificate is served without a restart. */
    files: { cert?: string; key?: string; ca?: string };
  };
  users: Map<string, string>;
  headers: [string, string][];
  rateLimit?: { intervalMs: number; burst: number };
}

/** Go keeps TLS 1.3 suites out of cipher_suites; Node takes both in one list, so its 1.3 defaults are kept. */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * Reads and validates a web config file (exporter-toolkit's format). Every
 * problem is reported with its key path; files are relative to the web config.
 */
export function loadWebConfig(file: string): WebSettings {
  let raw: unknown;
  try {
    raw = yaml.load(readFileSync(file, 'utf8'), { filename: file, schema: yaml.CORE_SCHEMA }) ?? {};
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(file, [e.code ? `cannot read web config file: ${e.code}` : `YAML: ${e.message.split('\n')[0]}`]);
  }
  const parsed = webConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.flatMap(describeIssue));
  const c = parsed.data;

  const problems: string[] = [];
  const tls = c.tls_server_config && tlsSettings(c.tls_server_config, dirname(file), problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    tls,
    users: new Map(Object.entries(c.basic_auth_users ?? {})),
    headers: Object.entries(c.http_server_config?.headers ?? {}).filter((h): h is [string, string] => !!h[1]),
    rateLimit: c.rate_limit && { intervalMs: parseDurationMs(c.rate_limit.interval)!, burst: c.rate_limit.burst },
  };
}

function tlsSettings(c: TlsServerConfig, dir: string, problems: string[]): WebSettings['tls'] {
  const read = (inline: string | undefined, file: string | undefined, key: string): string | undefined => {
    if (inline !== undefined) return inline;
    if (file === undefined) return undefined;
    try {
      return readFileSync(resolve(dir, file), 'utf8');
    } catch (err) {
      problems.push(`tls_server_config.${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      return undefined;
    }
  };
  const cert = read(c.cert, c.cert_file, 'cert_file');
  const key = read(c.key, c.key_file, 'key_file');
  const ca = read(c.client_ca, c.client_ca_file, 'client_ca_file');
  // exporter-toolkit serves plain HTTP when tls_server_config names no certificate.
  if (cert === undefined || key === undefined) return undefined;
  registerSecret(key);
  const requestCert = c.client_auth_type !== 'NoClientCert';
  const abs = (f: string | undefined) => f && resolve(dir, f);
  return {
    clientAuth: c.client_auth_type,
    allowedSans: c.client_allowed_sans,
    files: { cert: abs(c.cert_file), key: abs(c.key_file), ca: abs(c.client_ca_file) },
    options: {
      cert,
      key,
      ca,
      requestCert,
      rejectUnauthorized: c.client_auth_type === 'RequireAndVerifyClientCert',
      minVersion: TLS_VERSIONS[c.min_version],
      maxVersion: TLS_VERSIONS[c.max_version],
      ciphers: c.cipher_suites && [...c.cipher_suites.map((s) => CIPHER_SUITES[s]), TLS13_SUITES].join(':'),
      honorCipherOrder: c.prefer_server_cipher_suites,
      ecdhCurve: c.curve_preferences?.map((n) => CURVES[n]).join(':'),
    },
  };
}

/** The SAN values of a peer certificate ("DNS:a, IP Address:127.0.0.1" → a, 127.0.0.1). */
function subjectAltNames(socket: TLSSocket): string[] {
  const san = socket.getPeerCertificate().subjectaltname ?? '';
  return san
    .split(/,\s*/)
    .filter(Boolean)
    .map((entry) => entry.slice(entry.indexOf(':') + 1));
}

/** Client-certificate policies Node's rejectUnauthorized alone does not express. */
function acceptsClient(socket: TLSSocket, tls: NonNullable<WebSettings['tls']>): boolean {
  const cert = socket.getPeerCertificate();
  const hasCert = cert !== null && Object.keys(cert).length > 0;
  if (tls.clientAuth === 'RequireAnyClientCert' && !hasCert) return false;
  if (tls.clientAuth === 'VerifyClientCertIfGiven' && hasCert && !socket.authorized) return false;
  if (tls.allowedSans?.length) return hasCert && subjectAltNames(socket).some((n) => tls.allowedSans!.includes(n));
  return true;
}

/** A token bucket: `burst` requests at once, then one per interval (exporter-toolkit's rate_limit). */
function rateLimiter({ intervalMs, burst }: { intervalMs: number; burst: number }): () => boolean {
  if (intervalMs === 0) return () => true;
  let tokens = burst;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + (now - last) / intervalMs);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/**
 * The HTTP(S) server in front of every endpoint (/metrics, /, /healthz,
 * /readyz), as exporter-toolkit wraps a Go exporter's handler: response
 * headers, rate limit, then basic auth; TLS and client certificates below.
 */
export function createWebServer(handler: RequestListener, web: WebSettings | undefined, log: Logger): Server {
  if (!web) return createHttpServer(handler);
  const auth = web.users.size > 0 ? new BasicAuth(web.users) : undefined;
  const allow = web.rateLimit && rateLimiter(web.rateLimit);
  const listener: RequestListener = (req, res) => {
    for (const [name, value] of web.headers) res.setHeader(name, value);
    if (allow && !allow()) {
      res.writeHead(429, { 'Content-Type': 'text/plain' }).end('Too Many Requests\n');
      return;
    }
    if (!auth) return handler(req, res);
    auth.check(req).then(
      (ok) => {
        if (ok) return handler(req, res);
        res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic' }).end('Unauthorized\n');
      },
      (err: unknown) => {
        log.error({ error: String(err) }, 'basic auth check failed');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error\n');
      },
    );
  };
  if (!web.tls) return createHttpServer(listener);
  const tls = web.tls;
  const server = createHttpsServer(tls.options, listener);
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!acceptsClient(socket, tls)) socket.destroy();
  });
  server.on('tlsClientError', (err) => log.debug({ error: err.message }, 'TLS handshake failed'));
  watchCertificates(server, tls, log);
  return server;
}

/** How often certificate files are checked for a change (a stat each; cert-manager and Kubernetes secrets rotate them). */
const CERT_POLL_MS = 2000;

/** New connections get the rotated certificate, key or client CA; a half-written pair keeps the previous one. */
function watchCertificates(server: ReturnType<typeof createHttpsServer>, tls: NonNullable<WebSettings['tls']>, log: Logger): void {
  const files = Object.values(tls.files).filter((f): f is string => f !== undefined);
  const reload = () => {
    try {
      const read = <T>(f: string | undefined, current: T): T | string => (f ? readFileSync(f, 'utf8') : current);
      const next = { ...tls.options, cert: read(tls.files.cert, tls.options.cert), key: read(tls.files.key, tls.options.key), ca: read(tls.files.ca, tls.options.ca) };
      server.setSecureContext(next);
      if (typeof next.key === 'string') registerSecret(next.key);
      tls.options = next;
      log.info('TLS certificate files reloaded');
    } catch (err) {
      log.warn({ error: (err as Error).message }, 'cannot reload TLS certificate files; serving the previous ones');
    }
  };
  for (const f of files) watchFile(f, { interval: CERT_POLL_MS, persistent: false }, reload);
  server.on('close', () => files.forEach((f) => unwatchFile(f, reload)));
}
