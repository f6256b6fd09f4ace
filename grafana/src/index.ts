import type { PanelRef } from '../../rules/src/build.js';
import type { PanelLink } from '../../rules/src/index.js';
import type { Thresholds } from '../../rules/src/thresholds.js';
import { dashboardJson, type DashboardSpec, type PanelSpec } from './builder.js';
import { ec2 } from './dashboards/ec2.js';
import { exporter } from './dashboards/exporter.js';
import { overview } from './dashboards/overview.js';
import { postgres } from './dashboards/postgres.js';
import { sandboxes } from './dashboards/sandboxes.js';
import { streams } from './dashboards/streams.js';
import { tasks } from './dashboards/tasks.js';

/** The dashboards in link order; each is written to dashboards/<uid>.json. */
export function dashboardSpecs(t: Thresholds): DashboardSpec[] {
  return [overview(t), streams(t), tasks(t), postgres(t), sandboxes(t), ec2(t), exporter()];
}

export interface BuiltDashboard {
  file: string;
  spec: DashboardSpec;
  json: object;
  panels: PanelSpec[];
}

export function buildDashboards(specs: DashboardSpec[]): BuiltDashboard[] {
  const all = specs.map((s) => ({ uid: s.uid, title: s.title }));
  return specs.map((spec) => ({
    file: `${spec.uid}.json`,
    spec,
    json: dashboardJson(
      spec,
      all.filter((o) => o.uid !== spec.uid),
    ),
    panels: spec.items.filter((i): i is PanelSpec => i.kind !== 'row'),
  }));
}

/** Finds the panel an alert names (dashboard uid + panel title); unknown or ambiguous names fail generation. */
export function panelFinder(built: BuiltDashboard[]): (ref: PanelRef) => PanelLink {
  return ({ dashboard, title }) => {
    const d = built.find((b) => b.spec.uid === dashboard);
    if (!d) throw new Error(`no dashboard with uid ${dashboard}`);
    const matches = d.panels.filter((p) => p.title === title);
    if (matches.length !== 1) throw new Error(`${dashboard} has ${matches.length} panels titled "${title}", expected 1`);
    const id = matches[0]!.id;
    return { dashboard_uid: dashboard, panel_id: id, path: `/d/${dashboard}?viewPanel=${id}` };
  };
}

/** dashboards/*.json (path relative to the repo root -> content). */
export function dashboardFiles(built: BuiltDashboard[]): Map<string, string> {
  return new Map(built.map((d) => [`dashboards/${d.file}`, `${JSON.stringify(d.json, null, 2)}\n`]));
}
