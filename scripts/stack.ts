#!/usr/bin/env node
/**
 * `npm run stack`: the docker-compose stack without Docker. Starts Redis,
 * Postgres, the exporter, Alertmanager, Prometheus (and node_exporter,
 * blackbox_exporter, Grafana where installed) from local binaries, with the
 * stack's own config files: only hosts, ports and container paths are
 * rewritten, into a temp dir. Free high ports, temp data, all stopped on exit.
 * Tests import startStack().
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort, sleep } from './net.js';

const ROOT = new URL('../../', import.meta.url).pathname;
type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface StackOptions {
  demo?: boolean;
  demoSpeed?: number;
  /** Overrides every scrape and evaluation interval (tests use 1 s). */
  scrapeIntervalSeconds?: number;
  /** Changes to the exporter config after the rewrite (tests add fake Daytona/AWS sources). */
  exporterConfig?: (config: Yaml) => Yaml;
  log?: (line: string) => void;
}

export interface Stack {
  dir: string;
  urls: Record<'redis' | 'postgres' | 'exporter' | 'prometheus' | 'alertmanager', string> & { grafana?: string };
  /** Services skipped because their binary is not installed, with the reason. */
  skipped: string[];
  stop(): Promise<void>;
}

const which = (...names: string[]) => names.flatMap((n) => (process.env.PATH ?? '').split(':').map((d) => join(d, n))).find((p) => existsSync(p));

async function waitFor(what: string, check: () => Promise<boolean>, proc?: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`${what} exited with code ${proc.exitCode}`);
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
}

const httpOk = (url: string) => async () => (await fetch(url)).ok;

/** Rewrites "service:port" (compose names) to local addresses in every string of a YAML tree. */
function rewriteHosts(value: unknown, hosts: Map<string, string>): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const [from, to] of hosts) s = s.replace(new RegExp(`(^|[/@"'\\s])${from.replace(/[.]/g, '\\.')}(?=$|[/"'\\s])`, 'g'), `$1${to}`);
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => rewriteHosts(v, hosts));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteHosts(v, hosts)]));
  return value;
}

/** Container path → repo path, from a compose service's bind mounts (longest prefix wins). */
function mountMap(service: string): [string, string][] {
  const compose = yaml.load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Yaml;
  return (compose.services[service].volumes as string[])
    .map((v) => v.split(':'))
    .filter(([src]) => src!.startsWith('./'))
    .map(([src, dst]) => [dst!, join(ROOT, src!)] as [string, string])
    .sort((a, b) => b[0].length - a[0].length);
}
const hostPath = (p: string, mounts: [string, string][]) => {
  const m = mounts.find(([dst]) => p === dst || p.startsWith(`${dst}/`));
  return m ? m[1] + p.slice(m[0].length) : p;
};

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'fleet-stack-'));
  mkdirSync(join(dir, 'logs'));
  const children: { name: string; proc: ChildProcess; stopSignal: NodeJS.Signals }[] = [];
  const cleanups: (() => void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const skipped: string[] = [];

  const run = (name: string, cmd: string, args: string[], extra: { uid?: number; gid?: number; stopSignal?: NodeJS.Signals } = {}) => {
    const out = openSync(join(dir, 'logs', `${name}.log`), 'a');
    const proc = spawn(cmd, args, { stdio: ['ignore', out, out], uid: extra.uid, gid: extra.gid });
    closeSync(out);
    proc.on('error', (err) => log(`${name}: ${err.message}`));
    children.push({ name, proc, stopSignal: extra.stopSignal ?? 'SIGTERM' });
    return proc;
  };
  // If the caller dies without stop(), take the children along.
  const killAll = () => children.forEach(({ proc }) => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL'));
  process.on('exit', killAll);
  cleanups.push(() => process.off('exit', killAll));
  const exited = (proc: ChildProcess) => (proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => proc.once('exit', () => r())));
  const stop = async () => {
    for (const { proc, stopSignal } of [...children].reverse()) if (proc.exitCode === null && proc.signalCode === null) proc.kill(stopSignal);
    await Promise.all(
      children.map(async ({ proc }) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 8000);
        await exited(proc);
        clearTimeout(timer);
      }),
    );
    for (const c of cleanups.splice(0)) {
      try {
        c();
      } catch (err) {
        log(`cleanup: ${(err as Error).message}`);
      }
    }
  };

  try {
    const port = Object.fromEntries(
      await Promise.all(['redis', 'postgres', 'exporter', 'prometheus', 'alertmanager', 'node', 'blackbox', 'grafana'].map(async (n) => [n, await freePort()])),
    ) as Record<string, number>;
    const local = (p: number) => `127.0.0.1:${p}`;
    const hosts = new Map([
      ['redis:6379', local(port.redis!)],
      ['postgres:5432', local(port.postgres!)],
      ['exporter:9849', local(port.exporter!)],
      ['prometheus:9090', local(port.prometheus!)],
      ['localhost:9090', local(port.prometheus!)],
      ['alertmanager:9093', local(port.alertmanager!)],
      ['node-exporter:9100', local(port.node!)],
      ['blackbox:9115', local(port.blackbox!)],
    ]);

    // Redis, as in compose (maxmemory for the memory alert), without persistence.
    mkdirSync(join(dir, 'redis'));
    const redis = run('redis', 'redis-server', [
      '--port',
      String(port.redis),
      '--bind',
      '127.0.0.1',
      '--dir',
      join(dir, 'redis'),
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory',
      '256mb',
      '--maxmemory-policy',
      'noeviction',
    ]);
    await waitFor(
      'redis-server',
      async () => {
        const c = new Redis(port.redis!, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        c.on('error', () => undefined);
        try {
          await c.connect();
          return (await c.ping()) === 'PONG';
        } finally {
          c.disconnect();
        }
      },
      redis,
    );

    const postgresUrl = await startPostgres(port.postgres!, run, cleanups);

    // The exporter, with the compose config.
    const config = rewriteHosts(yaml.load(readFileSync(join(ROOT, 'deploy/fleet.compose.yml'), 'utf8')), hosts) as Yaml;
    config.listen = local(port.exporter!);
    delete config.postgres.password_file; // the local cluster trusts local connections
    writeFileSync(join(dir, 'fleet.yml'), yaml.dump(opts.exporterConfig ? opts.exporterConfig(config) : config));
    const exporter = run('exporter', process.execPath, [join(ROOT, 'dist/src/main.js'), '--config', join(dir, 'fleet.yml')]);
    await waitFor('fleet-exporter', httpOk(`http://${local(port.exporter!)}/healthz`), exporter);

    const alertmanagerBin = which('prometheus-alertmanager', 'alertmanager');
    if (!alertmanagerBin) throw new Error('Alertmanager is not installed (apt-get install prometheus-alertmanager)');
    const amConfig = alertmanagerConfig(dir, mountMap('alertmanager'));
    const am = run('alertmanager', alertmanagerBin, [
      `--config.file=${amConfig}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=${local(port.alertmanager!)}`,
      '--cluster.listen-address=',
    ]);
    await waitFor('alertmanager', httpOk(`http://${local(port.alertmanager!)}/-/ready`), am);

    const optional = [
      { job: 'node', bins: ['prometheus-node-exporter', 'node_exporter'], args: [`--web.listen-address=${local(port.node!)}`] },
      {
        job: 'blackbox',
        bins: ['prometheus-blackbox-exporter', 'blackbox_exporter'],
        args: [`--config.file=${join(ROOT, 'prometheus/blackbox.yml')}`, `--web.listen-address=${local(port.blackbox!)}`],
      },
    ];
    const droppedJobs = new Set<string>();
    for (const o of optional) {
      const bin = which(...o.bins);
      if (bin) run(o.job, bin, o.args);
      else {
        droppedJobs.add(o.job);
        skipped.push(`${o.job}: ${o.bins[0]} is not installed`);
      }
    }

    const promConfig = prometheusConfig(dir, hosts, droppedJobs, opts.scrapeIntervalSeconds);
    const prometheusBin = which('prometheus');
    if (!prometheusBin) throw new Error('Prometheus is not installed (apt-get install prometheus)');
    const prom = run('prometheus', prometheusBin, [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(dir, 'prometheus')}`,
      `--web.listen-address=${local(port.prometheus!)}`,
      '--web.enable-lifecycle',
    ]);
    await waitFor('prometheus', httpOk(`http://${local(port.prometheus!)}/-/ready`), prom);

    const grafana = startGrafana(dir, port, run);
    if (!grafana) skipped.push('grafana: grafana-server is not installed');

    if (opts.demo) {
      run('demo', process.execPath, [
        join(ROOT, 'dist/src/demo/main.js'),
        `--redis-url=redis://${local(port.redis!)}/0`,
        `--postgres-url=${postgresUrl}`,
        `--speed=${opts.demoSpeed ?? 1}`,
      ]);
    }
    return {
      dir,
      skipped,
      urls: {
        redis: `redis://${local(port.redis!)}/0`,
        postgres: postgresUrl,
        exporter: `http://${local(port.exporter!)}`,
        prometheus: `http://${local(port.prometheus!)}`,
        alertmanager: `http://${local(port.alertmanager!)}`,
        ...(grafana ? { grafana } : {}),
      },
      stop,
    };
  } catch (err) {
    const logs = readdirSync(join(dir, 'logs')).map((f) => `--- ${f}\n${readFileSync(join(dir, 'logs', f), 'utf8').slice(-2000)}`);
    await stop();
    throw new Error(`${(err as Error).message}\n${logs.join('\n')}`);
  }
}

type Run = (name: string, cmd: string, args: string[], extra?: { uid?: number; gid?: number; stopSignal?: NodeJS.Signals }) => ChildProcess;

/** A throwaway cluster (initdb refuses root, so as root it belongs to the postgres OS user); database fleet with the preset tables. */
async function startPostgres(port: number, run: Run, cleanups: (() => void)[]): Promise<string> {
  const bin = ['17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'initdb')));
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const data = mkdtempSync(join(tmpdir(), 'fleet-stack-pg-'));
  cleanups.push(() => rmSync(data, { recursive: true, force: true }));
  const owner: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    owner.uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    owner.gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(data, owner.uid, owner.gid);
  }
  execFileSync(join(bin, 'initdb'), ['-D', join(data, 'db'), '-U', 'fleet', '--auth=trust', '-E', 'UTF8'], { stdio: 'ignore', ...owner });
  const proc = run('postgres', join(bin, 'postgres'), ['-D', join(data, 'db'), '-p', String(port), '-k', data, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=50'], {
    ...owner,
    stopSignal: 'SIGINT', // fast shutdown: SIGTERM would wait for the demo's and exporter's connections
  });
  const admin = `postgres://fleet@127.0.0.1:${port}/postgres`;
  await waitFor(
    'postgres',
    async () => {
      const c = new pg.Client({ connectionString: admin });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.query('SELECT 1 AS one')).rows[0].one === 1;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    proc,
  );
  const url = `postgres://fleet@127.0.0.1:${port}/fleet`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query('CREATE DATABASE fleet');
  await c.end();
  // What compose does with /docker-entrypoint-initdb.d.
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  for (const f of readdirSync(join(ROOT, 'sql/schemas'))
    .filter((n) => n.endsWith('.sql'))
    .sort())
    await db.query(readFileSync(join(ROOT, 'sql/schemas', f), 'utf8'));
  await db.end();
  return url;
}

/** alertmanager.yml with its secret files replaced by placeholders and templates pointing into the repo. */
function alertmanagerConfig(dir: string, mounts: [string, string][]): string {
  const config = yaml.load(readFileSync(join(ROOT, 'alertmanager/alertmanager.yml'), 'utf8')) as Yaml;
  const secrets = join(dir, 'alertmanager-secrets');
  mkdirSync(secrets);
  const placeholders = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(placeholders);
    if (!v || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => {
        if (!k.endsWith('_file') || typeof x !== 'string') return [k, placeholders(x)];
        const file = join(secrets, basename(x));
        writeFileSync(file, k.includes('url') ? 'http://127.0.0.1:9/not-configured\n' : 'not-configured\n');
        return [k, file];
      }),
    );
  };
  const out = placeholders(config) as Yaml;
  out.templates = (out.templates ?? []).map((t: string) => hostPath(t, mounts));
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, yaml.dump(out));
  return file;
}

/** prometheus.yml with local targets, repo paths for rules, rewritten file_sd target files. */
function prometheusConfig(dir: string, hosts: Map<string, string>, droppedJobs: Set<string>, interval?: number): string {
  const mounts = mountMap('prometheus');
  const config = rewriteHosts(yaml.load(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')), hosts) as Yaml;
  config.rule_files = (config.rule_files ?? []).map((f: string) => hostPath(f, mounts));
  config.scrape_configs = (config.scrape_configs as Yaml[]).filter((j) => !droppedJobs.has(j.job_name));
  let n = 0;
  for (const job of config.scrape_configs as Yaml[]) {
    for (const sd of job.file_sd_configs ?? []) {
      sd.files = sd.files.map((f: string) => {
        const target = join(dir, `targets-${n++}-${basename(f)}`);
        writeFileSync(target, yaml.dump(rewriteHosts(yaml.load(readFileSync(hostPath(f, mounts), 'utf8')), hosts) ?? []));
        return target;
      });
    }
    if (interval) {
      job.scrape_interval = `${interval}s`;
      job.scrape_timeout = `${interval}s`;
    }
  }
  if (interval) Object.assign((config.global ??= {}), { scrape_interval: `${interval}s`, scrape_timeout: `${interval}s`, evaluation_interval: `${interval}s` });
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, yaml.dump(config));
  return file;
}

/** Grafana with the same provisioning, if grafana-server is installed; returns its URL. */
function startGrafana(dir: string, port: Record<string, number>, run: Run): string | undefined {
  const bin = which('grafana-server', 'grafana');
  const home = ['/usr/share/grafana', '/usr/local/share/grafana'].find((d) => existsSync(d));
  if (!bin || !home) return undefined;
  const prov = join(dir, 'grafana-provisioning');
  for (const sub of ['datasources', 'dashboards']) {
    mkdirSync(join(prov, sub), { recursive: true });
    for (const f of readdirSync(join(ROOT, 'grafana/provisioning', sub))) {
      const text = readFileSync(join(ROOT, 'grafana/provisioning', sub, f), 'utf8')
        .replace('http://prometheus:9090', `http://127.0.0.1:${port.prometheus}`)
        .replace('http://alertmanager:9093', `http://127.0.0.1:${port.alertmanager}`)
        .replace('/var/lib/grafana/dashboards', join(ROOT, 'dashboards'));
      writeFileSync(join(prov, sub, f), text);
    }
  }
  const args = bin.endsWith('grafana') ? ['server'] : [];
  run('grafana', bin, [
    ...args,
    `--homepath=${home}`,
    `cfg:paths.provisioning=${prov}`,
    `cfg:paths.data=${join(dir, 'grafana')}`,
    `cfg:server.http_port=${port.grafana}`,
    'cfg:server.http_addr=127.0.0.1',
    'cfg:auth.anonymous.enabled=true',
  ]);
  return `http://127.0.0.1:${port.grafana}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { demo: { type: 'boolean', default: false }, speed: { type: 'string', default: '1' }, 'scrape-interval': { type: 'string' } },
  });
  const stack = await startStack({
    demo: values.demo,
    demoSpeed: Number(values.speed),
    scrapeIntervalSeconds: values['scrape-interval'] ? Number(values['scrape-interval']) : undefined,
  });
  process.stdout.write(`fleet-exporter stack is up (Ctrl-C stops everything; data in ${stack.dir}):\n`);
  for (const [name, url] of Object.entries(stack.urls)) process.stdout.write(`  ${name.padEnd(13)} ${url}\n`);
  for (const s of stack.skipped) process.stdout.write(`  skipped: ${s}\n`);
  if (!values.demo) process.stdout.write('  (add --demo to run the demo fleet: npm run stack -- --demo)\n');
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping the stack...\n');
    void stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`stack: ${err.message}\n`);
    process.exit(1);
  });
}
