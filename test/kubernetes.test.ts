import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CLI, REPO_ROOT } from './helpers/exporter.js';

// Rendered manifests are checked against the schema models first, then read loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- already validated by the models: the assertions read nested fields
type Loose = any;
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: Loose };

const SECRETS_DIR = '/etc/fleet-exporter/secrets';

function render(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', join(REPO_ROOT, dir)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return yaml.loadAll(r.stdout) as K8sObject[];
}

/** The typed model of the object's kind (kubernetes-models or its Prometheus Operator package); throws for a kind neither knows. */
async function modelOf(o: K8sObject): Promise<new (data: object) => { validate(): void }> {
  const path = o.apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${o.apiVersion}/${o.kind}`
    : `kubernetes-models/${o.apiVersion}/${o.kind}`;
  const mod = (await import(path)) as Record<string, new (data: object) => { validate(): void }>;
  const model = mod[o.kind];
  assert.ok(model, `no schema model for ${o.apiVersion} ${o.kind}`);
  return model;
}

/** The one object of a kind, leaving out the generated monitoring objects (test/kubernetes-monitoring.test.ts checks those). */
const byKind = (objects: K8sObject[], kind: string) => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.labels?.grafana_dashboard !== '1');
  assert.equal(found.length, 1, `one ${kind} expected, found ${found.length}`);
  return found[0]!;
};

/** Runs --check-config on the ConfigMap's fleet.yml with the Secret's keys as files, where the pod mounts them. */
function checkConfig(objects: K8sObject[], env: NodeJS.ProcessEnv = {}) {
  const config = byKind(objects, 'ConfigMap').data['fleet.yml'] as string;
  const secret = byKind(objects, 'Secret');
  const dir = mkdtempSync(join(tmpdir(), 'fleet-k8s-'));
  for (const [key, value] of Object.entries(secret.stringData as Record<string, string>)) writeFileSync(join(dir, key), value);
  const file = join(dir, 'fleet.yml');
  writeFileSync(file, config.replaceAll(`${SECRETS_DIR}/`, `${dir}/`));
  return spawnSync(CLI, ['--check-config', '--config', file], { encoding: 'utf8', env: { ...process.env, FLEET_SHARD: '', FLEET_TOTAL_SHARDS: '', ...env } });
}

for (const [variant, dir, workload] of [
  ['base', 'deploy/kubernetes', 'Deployment'],
  ['sharded', 'deploy/kubernetes/sharded', 'StatefulSet'],
] as const) {
  describe(`kubectl kustomize ${dir} (${variant})`, () => {
    const objects = render(dir);
    const pod = () => byKind(objects, workload).spec.template;
    const container = () => pod().spec.containers[0];

    test('every rendered object passes the Kubernetes and Prometheus Operator schemas', async () => {
      const dashboards = readdirSync(join(REPO_ROOT, 'dashboards')).filter((f) => f.endsWith('.json'));
      const generated = [...dashboards.map(() => 'ConfigMap'), 'PrometheusRule'];
      assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Secret', 'Service', 'ServiceMonitor', workload, ...generated].sort());
      for (const o of objects) {
        const Model = await modelOf(o);
        assert.doesNotThrow(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`);
      }
    });

    test('the schema check rejects a broken object, so it is not vacuous', async () => {
      const broken = structuredClone(byKind(objects, workload));
      broken.spec.template.spec.securityContext.runAsNonRoot = 'yes';
      const Model = await modelOf(broken);
      assert.throws(() => new Model(broken).validate(), /runAsNonRoot must be boolean/);
    });

    test('the pod runs unprivileged: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp', () => {
      const podSec = pod().spec.securityContext;
      assert.equal(podSec.runAsNonRoot, true);
      assert.ok(podSec.runAsUser > 0);
      assert.equal(podSec.seccompProfile.type, 'RuntimeDefault');
      const sec = container().securityContext;
      assert.equal(sec.readOnlyRootFilesystem, true);
      assert.equal(sec.allowPrivilegeEscalation, false);
      assert.deepEqual(sec.capabilities.drop, ['ALL']);
      assert.equal(pod().spec.automountServiceAccountToken, false);
    });

    test('probes hit /healthz and /readyz on the port named metrics, which the Service and ServiceMonitor use', () => {
      const c = container();
      assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9849 }]);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
      const service = byKind(objects, 'Service');
      assert.deepEqual(service.spec.ports, [{ name: 'metrics', port: 9849, targetPort: 'metrics' }]);
      const labels = pod().metadata.labels;
      for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) assert.equal(labels[k], v);
      const monitor = byKind(objects, 'ServiceMonitor');
      assert.equal(monitor.spec.endpoints[0].port, 'metrics');
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) assert.equal(service.metadata.labels![k], v);
      assert.equal(service.metadata.name, 'fleet-exporter', 'the job label the shipped rules select');
    });

    test('resources have requests and a memory limit above them', () => {
      const { requests, limits } = container().resources;
      assert.ok(requests.cpu && requests.memory && limits.memory);
      const mi = (q: string) => Number(/^(\d+)(Mi|Gi)$/.exec(q)![1]) * (q.endsWith('Gi') ? 1024 : 1);
      // docs/benchmarks.md, memory guard: peak RSS stays under 220 MiB + 11 MiB per 10,000 consumers.
      const peakMiB = (consumers: number) => 220 + (11 * consumers) / 10_000;
      assert.ok(mi(requests.memory) >= peakMiB(60_000), 'the request covers the benchmark fleet (60,000 consumers)');
      assert.ok(mi(limits.memory) >= peakMiB(240_000), 'the limit covers 4x the benchmark fleet');
      assert.ok(mi(limits.memory) > mi(requests.memory));
    });

    test('config comes from the ConfigMap and secrets are files from the Secret, read through *_file keys', () => {
      const configMap = byKind(objects, 'ConfigMap');
      const secret = byKind(objects, 'Secret');
      const volumes = Object.fromEntries(pod().spec.volumes.map((v: Loose) => [v.name, v]));
      const mounts = Object.fromEntries(container().volumeMounts.map((m: Loose) => [m.name, m]));
      assert.equal(volumes.config.configMap.name, configMap.metadata.name);
      assert.equal(mounts.config.mountPath, '/etc/fleet-exporter/fleet.yml');
      assert.deepEqual(container().args, ['--config', '/etc/fleet-exporter/fleet.yml']);
      assert.equal(volumes.secrets.secret.secretName, secret.metadata.name);
      assert.equal(mounts.secrets.mountPath, SECRETS_DIR);
      const config = configMap.data['fleet.yml'] as string;
      const files = [...config.matchAll(/^\s*#?\s*\w+_file: (\S+)/gm)].map((m) => m[1]!);
      assert.ok(files.length >= 3);
      for (const f of files) assert.ok(f.startsWith(`${SECRETS_DIR}/`) && f.slice(SECRETS_DIR.length + 1) in secret.stringData, `${f} is a key of the Secret`);
      assert.doesNotMatch(config, /change-me/);
    });

    test("the ConfigMap's fleet.yml passes fleet-exporter --check-config", () => {
      const r = checkConfig(objects);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /is valid; sources: redis/);
    });
  });
}

describe('the sharded variant', () => {
  const base = render('deploy/kubernetes');
  const sharded = render('deploy/kubernetes/sharded');
  const set = byKind(sharded, 'StatefulSet');
  const env = Object.fromEntries(set.spec.template.spec.containers[0].env.map((e: Loose) => [e.name, e.value]));

  test('has one shard per replica, each taking its shard from the pod ordinal', () => {
    assert.equal(env.FLEET_SHARD_FROM_HOSTNAME, 'true');
    assert.equal(Number(env.FLEET_TOTAL_SHARDS), set.spec.replicas);
    assert.ok(set.spec.replicas > 1);
  });

  test('the last pod of the StatefulSet starts as the last shard', () => {
    const r = checkConfig(sharded, { ...env, HOSTNAME: `${set.metadata.name}-${set.spec.replicas - 1}` });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`shard ${set.spec.replicas - 1} of ${set.spec.replicas}`));
  });

  test("runs the Deployment's pod unchanged apart from the shard env", () => {
    const podOf = (o: K8sObject) => {
      const template = structuredClone(o.spec.template);
      delete template.spec.containers[0].env;
      return template;
    };
    assert.deepEqual(podOf(set), podOf(byKind(base, 'Deployment')));
  });
});
