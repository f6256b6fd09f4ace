import type { MetricFamily } from './metrics/family.js';
import type { CollectorStatus } from './scrape.js';
import { metric } from './metrics/names.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Stream and consumer names are attacker-controlled text: everything is escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export type WorkerTypeState = 'up' | 'crashed' | 'scaled_down';

export interface WorkerTypeRow {
  workerType: string;
  alive: number;
  minAlive: number;
  shutdownMarkers: number;
  backlog: number;
  pending: number;
  state: WorkerTypeState;
}

/** Sums a family's samples by the value of one label. */
function sumBy(families: Map<string, MetricFamily>, name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  const f = families.get(name);
  if (!f) return out;
  const i = f.labelNames.indexOf(label);
  for (const s of f.samples) {
    const k = s.labelValues[i] ?? '';
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/** Derives the worker table from the same families /metrics serves, so the two cannot disagree. */
export function workerRows(list: readonly MetricFamily[]): WorkerTypeRow[] {
  const families = new Map(list.map((f) => [f.name, f]));
  const alive = sumBy(families, metric.fleet_workers_alive, 'worker_type');
  const markers = sumBy(families, metric.fleet_worker_shutdown_markers, 'worker_type');
  const minAlive = sumBy(families, metric.fleet_worker_min_alive, 'worker_type');
  const lagByStream = sumBy(families, metric.fleet_stream_group_lag, 'stream');
  const pendingByStream = sumBy(families, metric.fleet_stream_group_pending, 'stream');
  const streamsOf = new Map<string, string[]>();
  const info = families.get(metric.fleet_worker_stream_info);
  for (const s of info?.samples ?? []) {
    const [type, stream] = s.labelValues as [string, string];
    streamsOf.set(type, [...(streamsOf.get(type) ?? []), stream]);
  }
  return [...alive.keys()].sort().map((workerType) => {
    const streams = streamsOf.get(workerType) ?? [];
    const n = alive.get(workerType) ?? 0;
    const m = markers.get(workerType) ?? 0;
    return {
      workerType,
      alive: n,
      minAlive: minAlive.get(workerType) ?? 1,
      shutdownMarkers: m,
      backlog: streams.reduce((a, s) => a + (lagByStream.get(s) ?? 0), 0),
      pending: streams.reduce((a, s) => a + (pendingByStream.get(s) ?? 0), 0),
      state: n > 0 ? 'up' : m > 0 ? 'scaled_down' : 'crashed',
    };
  });
}

function ago(unixSeconds: number | undefined, now: number): string {
  if (unixSeconds === undefined) return 'never';
  const s = Math.max(0, Math.round(now - unixSeconds));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

export function renderStatusPage(opts: { version: string; statuses: CollectorStatus[]; families: readonly MetricFamily[]; nowSeconds: number }): string {
  const { version, statuses, families, nowSeconds } = opts;
  const sources = statuses
    .map(
      (s) =>
        `<tr><td class="name">${escapeHtml(s.name)}</td><td class="state ${s.up ? 'ok' : 'bad'}">${s.up ? 'up' : 'down'}</td>` +
        `<td>${ago(s.lastSuccessSeconds, nowSeconds)}</td><td>${s.durationSeconds.toFixed(3)}s</td>` +
        `<td class="err">${escapeHtml(s.lastError ?? '')}</td></tr>`,
    )
    .join('\n');
  const workers = workerRows(families)
    .map(
      (w) =>
        `<tr><td class="name">${escapeHtml(w.workerType)}</td>` +
        `<td class="state ${w.state === 'up' ? 'ok' : 'bad'}">${w.state.replace('_', ' ')}</td>` +
        `<td>${w.alive}</td><td>${w.minAlive}</td><td>${w.backlog}</td><td>${w.pending}</td><td>${w.shutdownMarkers}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="15">
<title>fleet-exporter</title>
<style>
body{font-family:system-ui,sans-serif;margin:1rem;color:#222;max-width:60rem}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem;font-size:.95rem}
th,td{text-align:left;padding:.35rem .3rem;border-bottom:1px solid #ddd}
th{background:#f4f4f4;font-size:.8rem;white-space:nowrap}
td.name,td.err{overflow-wrap:anywhere}td.state{white-space:nowrap}.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.wrap{overflow-x:auto}
</style></head><body>
<h1>fleet-exporter</h1>
<p>Version ${escapeHtml(version)} · <a href="metrics">/metrics</a> · <a href="healthz">/healthz</a> · <a href="readyz">/readyz</a></p>
<h2>Sources</h2>
<div class="wrap"><table id="sources"><thead><tr><th>Source</th><th>State</th><th>Success</th><th>Took</th><th>Last error</th></tr></thead>
<tbody>
${sources || '<tr><td colspan="5">no source configured</td></tr>'}
</tbody></table></div>
<h2>Worker types</h2>
<div class="wrap"><table id="workers"><thead><tr><th>Worker type</th><th>State</th><th>Alive</th><th>Min</th><th>Backlog</th><th>Pending</th><th title="clean-shutdown markers present">Stops</th></tr></thead>
<tbody>
${workers || '<tr><td colspan="7">no worker type known yet</td></tr>'}
</tbody></table></div>
</body></html>
`;
}
