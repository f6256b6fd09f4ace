import { dashboardJson, type DashboardSpec, type PanelSpec } from './builder.js';
import { ec2 } from './dashboards/ec2.js';
import { exporter } from './dashboards/exporter.js';
import { overview } from './dashboards/overview.js';
import { postgres } from './dashboards/postgres.js';
import { sandboxes } from './dashboards/sandboxes.js';
import { streams } from './dashboards/streams.js';
import { loadThresholds, type Thresholds } from './thresholds.js';

/** The dashboards in link order; each is written to dashboards/<uid>.json. */
export function dashboardSpecs(t: Thresholds = loadThresholds()): DashboardSpec[] {
  return [overview(t), streams(t), postgres(t), sandboxes(t), ec2(t), exporter()];
}

export interface BuiltDashboard {
  file: string;
  spec: DashboardSpec;
  json: object;
  panels: { id: number; spec: PanelSpec }[];
}

export interface AlertPanel {
  dashboard_uid: string;
  panel_id: number;
  /** Path for an alert's dashboard_url annotation, relative to Grafana's root URL. */
  path: string;
}

export function buildDashboards(specs = dashboardSpecs()): BuiltDashboard[] {
  const all = specs.map((s) => ({ uid: s.uid, title: s.title }));
  return specs.map((spec) => {
    const { json, placed } = dashboardJson(
      spec,
      all.filter((o) => o.uid !== spec.uid),
    );
    return { file: `${spec.uid}.json`, spec, json, panels: placed };
  });
}

/** alertname → the panel that shows its signal, for dashboard_url annotations. */
export function alertPanels(built = buildDashboards()): Record<string, AlertPanel> {
  const out: Record<string, AlertPanel> = {};
  for (const d of built) {
    for (const p of d.panels) {
      for (const alert of p.spec.alerts ?? []) {
        if (out[alert]) throw new Error(`${alert} is linked from two panels`);
        out[alert] = { dashboard_uid: d.spec.uid, panel_id: p.id, path: `/d/${d.spec.uid}?viewPanel=${p.id}` };
      }
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The generated files (path relative to the repo root → content), as written and as checked. */
export function generatedFiles(): Map<string, string> {
  const built = buildDashboards();
  const files = new Map<string, string>();
  for (const d of built) files.set(`dashboards/${d.file}`, `${JSON.stringify(d.json, null, 2)}\n`);
  files.set('grafana/src/alert-panels.json', `${JSON.stringify(alertPanels(built), null, 2)}\n`);
  return files;
}
