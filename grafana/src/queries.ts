import type { BuiltDashboard } from './index.js';
import { scopeQuery } from './scope.js';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  /** Why the demo fleet leaves this panel empty; undefined = the demo fills it. */
  notFilledByDemo?: string;
  expr: string;
}

/** Every PromQL expression of the dashboards: panel targets and annotation queries. */
export function panelQueries(built: BuiltDashboard[]): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const d of built) {
    for (const p of d.panels) {
      for (const t of p.targets) out.push({ dashboard: d.spec.uid, panel: p.title, notFilledByDemo: p.notFilledByDemo, expr: scopeQuery(t.expr) });
    }
    for (const a of d.spec.annotations ?? []) {
      // Annotations show events; an empty result only means nothing happened.
      out.push({ dashboard: d.spec.uid, panel: `annotation: ${a.name}`, notFilledByDemo: 'an event annotation, empty when nothing happened', expr: scopeQuery(a.expr) });
    }
  }
  return out;
}

/**
 * Replaces Grafana's variables the way Grafana would for "All" and a given
 * time range, so an expression can be sent to Prometheus directly. `jobs` is
 * what "All" jobs expands to: the job values of fleet_exporter_build_info.
 */
export function expandVariables(expr: string, opts: { rangeSeconds: number; rateInterval: string; jobs?: string[] }): string {
  return expr
    .replaceAll('$__rate_interval', opts.rateInterval)
    .replaceAll('$__interval', opts.rateInterval)
    .replaceAll('$__range', `${Math.max(1, Math.round(opts.rangeSeconds))}s`)
    .replace(/\$job\b/g, opts.jobs ? `(${opts.jobs.join('|')})` : '.*')
    .replace(/\$(worker_type|stream|instance|cluster)\b/g, '.*');
}
