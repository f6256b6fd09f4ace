import type { MetricFamily } from './family.js';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_TEXT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Picks OpenMetrics only when the scraper asks for it, as Prometheus does. */
export function negotiate(accept: string | undefined): string {
  return accept && accept.includes('application/openmetrics-text') ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
}

const labelEscapes: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n' };
const NEEDS_ESCAPE = /[\\"\n]/;
export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => labelEscapes[c]!);
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeHelpOpenMetrics(v: string): string {
  return escapeHelp(v).replace(/"/g, '\\"');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Text per chunk: large enough that writing chunks costs little, small enough to stay young garbage. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Renders families in the Prometheus text format (0.0.4) or OpenMetrics 1.0,
 * in chunks of about 64 KiB: a big fleet's exposition runs to megabytes, and
 * a scrape never needs it whole (server.ts compresses chunk by chunk).
 * Written here rather than taken from prom-client because prom-client's
 * registry fixes the format per registry (and rewrites counter names when
 * switched), and because this is the hot path of a 30,000-series scrape.
 */
export function* renderChunks(families: readonly MetricFamily[], contentType: string): Generator<string> {
  const openMetrics = contentType === OPENMETRICS_TEXT;
  const names = openMetrics ? new Set(families.map((f) => f.name)) : undefined;
  let out = '';
  for (const f of families) {
    let familyName = f.name;
    let sampleName = f.name;
    let type: string = openMetrics && f.type === 'untyped' ? 'unknown' : f.type;
    if (openMetrics && f.type === 'counter') {
      familyName = f.name.replace(/_total$/, '');
      sampleName = `${familyName}_total`;
      // fleet_tasks_total next to the gauge fleet_tasks (Postgres preset): one OpenMetrics
      // family name for both is invalid, so the counter goes out as `unknown` under its own name.
      if (familyName !== f.name && names!.has(familyName)) {
        familyName = f.name;
        type = 'unknown';
      }
    }
    out += `# HELP ${familyName} ${openMetrics ? escapeHelpOpenMetrics(f.help) : escapeHelp(f.help)}\n# TYPE ${familyName} ${type}\n`;
    const prefixes = f.labelNames.map((n, i) => `${i === 0 ? '' : ','}${n}="`);
    for (const s of f.samples) {
      let line = s.name ?? sampleName;
      const extra = s.extraLabels;
      if (prefixes.length > 0 || extra) {
        line += '{';
        for (let i = 0; i < prefixes.length; i++) line += prefixes[i] + escapeLabelValue(s.labelValues[i] ?? '') + '"';
        if (extra) {
          let first = prefixes.length === 0;
          for (const [k, v] of Object.entries(extra)) {
            line += `${first ? '' : ','}${k}="${escapeLabelValue(v)}"`;
            first = false;
          }
        }
        line += '}';
      }
      out += `${line} ${formatValue(s.value)}\n`;
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
  }
  if (openMetrics) out += '# EOF\n';
  yield out;
}

/** The whole exposition as one string (tests, small outputs). */
export function render(families: readonly MetricFamily[], contentType: string): string {
  let text = '';
  for (const chunk of renderChunks(families, contentType)) text += chunk;
  return text;
}
