/**
 * deploy/kubernetes/monitoring/: the shipped rules as one PrometheusRule and
 * each dashboard as a ConfigMap for the kube-prometheus-stack Grafana sidecar,
 * made from the generated rules/*.rules.yml and dashboards/*.json contents so
 * they cannot drift from them.
 */
import { basename } from 'node:path';
import yaml from 'js-yaml';

export const MONITORING_DIR = 'deploy/kubernetes/monitoring';
const LABELS = { 'app.kubernetes.io/name': 'fleet-exporter', 'app.kubernetes.io/component': 'monitoring' };
const HEADER = `# GENERATED from rules/ and dashboards/ by scripts/generate.ts. Do not edit:
# change the sources and run \`npm run generate\`.
`;

const dump = (o: object) => yaml.dump(o, { lineWidth: -1, noRefs: true, quotingType: '"' });

/** The generated files whose path matches `pattern`, sorted by path. */
export const matching = (files: Map<string, string>, pattern: RegExp): [string, string][] =>
  [...files].filter(([path]) => pattern.test(path)).sort(([a], [b]) => a.localeCompare(b));

/** The ConfigMap name of dashboards/<name>.json. */
export const dashboardConfigMapName = (path: string): string => `${basename(path, '.json')}-dashboard`;

/** Every deploy/kubernetes/monitoring/ file, from the other generated files (rules/*.rules.yml, dashboards/*.json). */
export function kubernetesFiles(generated: Map<string, string>): Map<string, string> {
  const groups = matching(generated, /^rules\/[^/]+\.rules\.yml$/).flatMap(([, content]) => (yaml.load(content) as { groups: object[] }).groups);
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'fleet-exporter', labels: LABELS },
    spec: { groups },
  };
  const configMaps = matching(generated, /^dashboards\/[^/]+\.json$/).map(([path, content]) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    // grafana_dashboard is the label kube-prometheus-stack's Grafana sidecar watches.
    metadata: { name: dashboardConfigMapName(path), labels: { ...LABELS, grafana_dashboard: '1' } },
    data: { [basename(path)]: content },
  }));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['prometheus-rule.yaml', 'dashboards.yaml'],
  };
  return new Map([
    [`${MONITORING_DIR}/kustomization.yaml`, HEADER + dump(kustomization)],
    [`${MONITORING_DIR}/prometheus-rule.yaml`, HEADER + dump(rule)],
    [`${MONITORING_DIR}/dashboards.yaml`, HEADER + configMaps.map(dump).join('---\n')],
  ]);
}
