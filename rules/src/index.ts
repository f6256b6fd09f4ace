import yaml from 'js-yaml';
import { ruleContext, type Area, type PanelRef } from './build.js';
import { ec2 } from './ec2.js';
import { exporter } from './exporter.js';
import { host } from './host.js';
import { postgres } from './postgres.js';
import { redis } from './redis.js';
import { sandboxes } from './sandboxes.js';
import { streams } from './streams.js';
import { taskMetrics } from './task-metrics.js';
import { tasks } from './tasks.js';
import type { Thresholds } from './thresholds.js';
import { workers } from './workers.js';

/** The rule areas; each is written to rules/<area.file>. */
export const AREAS: Area[] = [exporter, workers, streams, redis, postgres, tasks, taskMetrics, sandboxes, ec2, host];

export interface PanelLink {
  dashboard_uid: string;
  panel_id: number;
  /** Path for an alert's dashboard_url annotation, relative to Grafana's root URL. */
  path: string;
}

/**
 * rules/*.rules.yml (path relative to the repo root -> content), and the
 * alert -> panel map the alerts' dashboard_url links were made from.
 */
export function ruleFiles(t: Thresholds, findPanel: (ref: PanelRef) => PanelLink): { files: Map<string, string>; alertPanels: Record<string, PanelLink> } {
  const alertPanels: Record<string, PanelLink> = {};
  const ctx = ruleContext(t, (alert, ref) => {
    const link = findPanel(ref);
    alertPanels[alert] = link;
    return link.path;
  });
  const files = new Map<string, string>();
  for (const area of AREAS) {
    const header = `# GENERATED from rules/src/${area.file.replace('.rules.yml', '.ts')} and rules/thresholds.yml. Do not edit:
# change those and run \`npm run generate\`.
`;
    files.set(`rules/${area.file}`, header + yaml.dump({ groups: [area.group(ctx)] }, { lineWidth: -1, noRefs: true, quotingType: '"' }));
  }
  const sorted = Object.fromEntries(Object.entries(alertPanels).sort(([a], [b]) => a.localeCompare(b)));
  return { files, alertPanels: sorted };
}
