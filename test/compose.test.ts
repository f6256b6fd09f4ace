import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import yaml from 'js-yaml';

const ROOT = new URL('../../', import.meta.url).pathname;
type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (path: string) => yaml.load(readFileSync(join(ROOT, path), 'utf8')) as Yaml;
const compose = load('docker-compose.yml');
const services = compose.services as Record<string, Yaml>;

/** Ports the images listen on inside the network (published ports say the rest). */
const IMAGE_PORTS: Record<string, number> = { 'prom/node-exporter': 9100, 'prom/blackbox-exporter': 9115, redis: 6379, postgres: 5432 };
function servicePorts(name: string): number[] {
  const s = services[name];
  assert.ok(s, `compose has no service ${name}`);
  const published = (s.ports ?? []).map((p: string) => Number(p.split(':').at(-1)));
  const image = (s.image as string).split(':')[0]!;
  return [...published, ...(IMAGE_PORTS[image] ? [IMAGE_PORTS[image]!] : [])];
}
function assertServiceAddress(address: string, where: string): void {
  const [host, port] = address
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .split(':');
  assert.ok(servicePorts(host!).includes(Number(port)), `${where}: ${address} is not a port of compose service ${host}`);
}
/** Container path → repo path, from one service's bind mounts (the longest mount point wins). */
function toRepo(service: string, path: string): string {
  const mounts = (services[service]!.volumes as string[]).map((v) => v.split(':')).sort((a, b) => b[1]!.length - a[1]!.length);
  for (const [src, dst] of mounts) {
    if (src!.startsWith('./') && (path === dst || path.startsWith(`${dst}/`))) return join(ROOT, src!, path.slice(dst!.length));
  }
  assert.fail(`${service}: ${path} is not inside a bind mount`);
}

test('docker-compose config accepts the file', (t) => {
  const r = spawnSync('docker-compose', ['config', '-q'], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) return t.skip('docker-compose is not installed (apt-get install docker-compose)');
  assert.equal(r.status, 0, r.stderr);
  const demo = spawnSync('docker-compose', ['--profile', 'demo', 'config', '--services'], { cwd: ROOT, encoding: 'utf8' });
  assert.ok(demo.stdout.split('\n').includes('demo'), 'the demo fleet is in the demo profile');
});

test('every file and directory the stack mounts exists', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const v of (s.volumes ?? []) as string[]) {
      const src = v.split(':')[0]!;
      if (src.startsWith('./') || src.startsWith('/')) assert.ok(existsSync(src.startsWith('/') ? src : join(ROOT, src)), `${name} mounts missing ${src}`);
      else if (!src.startsWith('$')) assert.ok(src in (compose.volumes ?? {}), `${name} uses undeclared volume ${src}`);
    }
  }
});

test("Prometheus's targets, rule files and Alertmanager address match the compose services", () => {
  const prom = load('prometheus/prometheus.yml');
  for (const am of prom.alerting.alertmanagers) for (const sc of am.static_configs) for (const t of sc.targets) assertServiceAddress(t, 'alerting');
  for (const job of prom.scrape_configs as Yaml[]) {
    const targets: string[] = (job.static_configs ?? []).flatMap((sc: Yaml) => sc.targets);
    for (const sd of job.file_sd_configs ?? []) {
      for (const f of sd.files as string[]) targets.push(...(yaml.load(readFileSync(toRepo('prometheus', f), 'utf8')) as Yaml[]).flatMap((g) => g.targets));
    }
    const probed = job.metrics_path === '/probe'; // blackbox: targets are URLs, the scrape goes to the replacement
    for (const t of targets) {
      if (t.startsWith('localhost:')) assert.ok(servicePorts('prometheus').includes(Number(t.split(':')[1])), `${job.job_name}: ${t}`);
      else assertServiceAddress(t, `${job.job_name}${probed ? ' (probed URL)' : ''}`);
    }
    for (const r of job.relabel_configs ?? []) if (r.target_label === '__address__' && r.replacement) assertServiceAddress(r.replacement, job.job_name);
  }
  const exporterJob = (prom.scrape_configs as Yaml[]).find((j) => j.job_name === 'fleet-exporter');
  assert.deepEqual(exporterJob?.static_configs[0].targets, ['exporter:9849']);
  for (const pattern of prom.rule_files as string[]) {
    const dir = toRepo('prometheus', dirname(pattern));
    const re = new RegExp(`^${basename(pattern).replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
    const matched = readdirSync(dir)
      .filter((f) => re.test(f))
      .sort();
    const shipped = readdirSync(join(ROOT, 'rules'))
      .filter((f) => f.endsWith('.rules.yml'))
      .sort();
    assert.deepEqual(matched, shipped, `${pattern} loads exactly rules/*.rules.yml`);
  }
});

test("the exporter's compose config points at the compose Redis and Postgres and passes --check-config", (t) => {
  const cfg = load('deploy/fleet.compose.yml');
  assertServiceAddress(new URL(cfg.redis.url).host, 'redis.url');
  assertServiceAddress(new URL(cfg.postgres.url).host, 'postgres.url');
  assert.ok(servicePorts('exporter').includes(Number(cfg.listen.split(':')[1])), 'listen port is published');
  assert.ok(cfg.postgres.password_file && !new URL(cfg.postgres.url).password, 'the password comes from a file');
  const cli = join(ROOT, 'dist/src/main.js');
  if (!existsSync(cli)) return t.skip('not built');
  const dir = mkdtempSync(join(tmpdir(), 'fleet-compose-'));
  try {
    writeFileSync(join(dir, 'secret'), 'x');
    writeFileSync(join(dir, 'fleet.yml'), yaml.dump({ ...cfg, postgres: { ...cfg.postgres, password_file: join(dir, 'secret') } }));
    const r = spawnSync(process.execPath, [cli, '--check-config', '--config', join(dir, 'fleet.yml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Grafana is provisioned with the compose Prometheus and the dashboards folder', () => {
  const ds = load('grafana/provisioning/datasources/prometheus.yml').datasources as Yaml[];
  for (const d of ds) assertServiceAddress(d.url, `datasource ${d.name}`);
  const provider = load('grafana/provisioning/dashboards/fleet.yml').providers[0];
  assert.equal(toRepo('grafana', provider.options.path), join(ROOT, 'dashboards'));
});

test('images are pinned, long-running services restart and have healthchecks, Redis must answer exactly PONG', () => {
  for (const [name, s] of Object.entries(services)) {
    const tag = (s.image as string).split(':')[1];
    assert.ok(tag && tag !== 'latest', `${name}: pin the image version`);
    if (name === 'init-secrets') continue;
    assert.equal(s.restart, 'unless-stopped', `${name}: restart policy`);
  }
  for (const name of ['exporter', 'redis', 'postgres', 'prometheus', 'alertmanager', 'grafana']) assert.ok(services[name]!.healthcheck, `${name}: healthcheck`);
  assert.match(JSON.stringify(services.redis!.healthcheck.test), /= PONG/);
  assert.ok(services.redis!.healthcheck.start_period, 'Redis gets time to load its data');
});

test('no secret is written in the compose file', () => {
  for (const [name, s] of Object.entries(services)) {
    for (const [k, v] of Object.entries((s.environment ?? {}) as Record<string, string>)) {
      if (/PASSWORD|SECRET|TOKEN|API_KEY/.test(k)) assert.match(k, /_FILE$/, `${name}: ${k}=${v} should come from a file`);
    }
  }
});

test('the image is multi-stage, a pinned Node LTS and runs as a non-root user', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const froms = dockerfile.match(/^FROM .*/gm) ?? [];
  assert.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms) assert.match(f, /^FROM node:(22|24)\.\d+\.\d+-/, 'pinned Node 22 or 24 LTS');
  assert.match(dockerfile, /^USER (node|\d+)/m);
});

test('the compose exporter and both Kubernetes workloads have one memory limit (docs/benchmarks.md, memory guard)', () => {
  const limitOf = (path: string) => {
    const workload = yaml.loadAll(readFileSync(join(ROOT, path), 'utf8')).find((d) => (d as Yaml).kind !== undefined) as Yaml;
    const container = (workload.spec.template.spec.containers as Yaml[]).find((c) => c.name === 'fleet-exporter')!;
    return container.resources.limits.memory as string;
  };
  const mebibytes = (q: string) => Number(/^(\d+)(Mi|m)$/.exec(q)?.[1]);
  const limits = [String(services.exporter!.mem_limit), limitOf('deploy/kubernetes/deployment.yaml'), limitOf('deploy/kubernetes/sharded/statefulset.yaml')];
  assert.ok(
    limits.every((l) => mebibytes(l) === mebibytes(limits[0]!) && mebibytes(l) > 0),
    limits.join(', '),
  );
});
