/**
 * Shared pieces of the rule areas: the alert builder (severity check,
 * runbook_url and dashboard_url on every alert, as kubernetes-mixin's helper
 * does), recording rules, per-stream thresholds and PromQL/prose formatting.
 */
import type { StreamKey, Thresholds, WorkerTypeKey } from './thresholds.js';

export const JOB = 'job="fleet-exporter"';

export type Severity = 'critical' | 'warning' | 'info';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** The Grafana panel that shows an alert's signal: dashboard uid and panel title. */
export interface PanelRef {
  dashboard: string;
  title: string;
}

export interface AlertSpec {
  expr: string;
  for?: string;
  severity: Severity;
  collector?: string;
  summary: string;
  description: string;
  /** Where dashboard_url points. */
  panel?: PanelRef;
}

/** Resolves a panel reference to its path under Grafana's root URL, e.g. /d/fleet-streams?viewPanel=8. */
export type PanelPath = (alert: string, panel: PanelRef) => string;

export interface RuleContext {
  t: Thresholds;
  alert(name: string, spec: AlertSpec): Rule;
  /** One expression covering every stream: per-stream threshold buckets joined with `or`. */
  perStreamExpr(key: StreamKey, build: (matcher: string, value: number) => string): string;
  /** A Go template printing the threshold of the alert's stream. */
  perStreamTemplate(key: StreamKey, fmt?: (value: number) => string): string;
  /**
   * The same per worker type (task_metrics.defaults / overrides); a null
   * threshold means none, and `none` is the expression when no type has one.
   */
  perWorkerTypeExpr(key: WorkerTypeKey, build: (matcher: string, value: number) => string, none: string): string;
  /** A Go template printing the threshold of the alert's worker type ("none" where it has none). */
  perWorkerTypeTemplate(key: WorkerTypeKey, fmt?: (value: number) => string): string;
}

/** A rule area: one group, written to rules/<file>. */
export interface Area {
  file: string;
  group(ctx: RuleContext): RuleGroup;
}

export const record = (name: string, expr: string): Rule => ({ record: name, expr });

/** 600 -> "10m", 86400 -> "1d", 90 -> "90s" (for annotations and `for:`). */
export function human(seconds: number): string {
  if (seconds % 86400 === 0 && seconds > 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
export const pct = (r: number): string => `${Math.round(r * 1000) / 10}%`;
/** A selector {a,b,c} from matchers, skipping empty ones. */
export const sel = (...m: string[]): string => `{${m.filter(Boolean).join(',')}}`;
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A regex escaped for a PromQL string literal. */
const promRegex = (s: string) => regexEscape(s).replace(/\\/g, '\\\\');

const joinTemplate = (strings: TemplateStringsArray, vals: unknown[]) => strings.reduce((acc, part, i) => acc + part + (i < vals.length ? String(vals[i]) : ''), '');

/** PromQL from a template literal: the common indentation and trailing blanks stripped. */
export function pq(strings: TemplateStringsArray, ...vals: unknown[]): string {
  const lines = joinTemplate(strings, vals).replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
/** One line of prose from a template literal (newlines and runs of blanks folded). */
export const prose = (strings: TemplateStringsArray, ...vals: unknown[]): string => joinTemplate(strings, vals).replace(/\s+/g, ' ').trim();

interface LabelBucket {
  value: number | null;
  matcher: string;
  /** The label values of an override bucket; null for the default bucket. */
  names: string[] | null;
}

/**
 * Per-label-value thresholds covering every value exactly once: one bucket
 * per distinct override value, plus the default for all other values (last).
 * A null value means "no threshold" (its bucket is left out of expressions).
 */
function perLabel(label: string, def: number | null, overrides: Record<string, Partial<Record<string, number | null>>>, key: string): LabelBucket[] {
  const byValue = new Map<number | null, string[]>();
  for (const [name, o] of Object.entries(overrides)) {
    const v = o[key];
    if (v === undefined || v === def) continue;
    byValue.set(v, [...(byValue.get(v) ?? []), name]);
  }
  const all = [...byValue.values()].flat().sort();
  const out: LabelBucket[] = [...byValue.entries()]
    .sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity))
    .map(([value, names]) => ({ value, matcher: `${label}=~"${names.sort().map(promRegex).join('|')}"`, names }));
  out.push({ value: def, matcher: all.length ? `${label}!~"${all.map(promRegex).join('|')}"` : '', names: null });
  return out;
}

/** One expression from per-label buckets joined with `or`; null buckets are left out. */
function bucketsExpr(buckets: LabelBucket[], build: (matcher: string, value: number) => string, none: string): string {
  const parts = buckets.flatMap(({ matcher, value }) => (value === null ? [] : [build(matcher, value)]));
  if (parts.length === 0) return none;
  return parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join('\nor\n');
}

/** A Go template printing the threshold of the alert's label value. */
function bucketsTemplate(buckets: LabelBucket[], label: string, fmt: (value: number) => string): string {
  const show = (v: number | null) => (v === null ? 'none' : fmt(v));
  const def = show(buckets[buckets.length - 1]!.value);
  if (buckets.length === 1) return def;
  const branches = buckets
    .slice(0, -1)
    .map(({ value, names }, i) => `{{ ${i ? 'else if' : 'if'} match ${JSON.stringify(`^(${names!.map(regexEscape).join('|')})$`)} $labels.${label} }}${show(value)}`);
  return `${branches.join('')}{{ else }}${def}{{ end }}`;
}

export function ruleContext(t: Thresholds, panelPath: PanelPath): RuleContext {
  return {
    t,
    alert(name, { expr, for: forDur, severity, collector, summary, description, panel }) {
      const rule: Rule = { alert: name, expr };
      if (forDur) rule.for = forDur;
      rule.labels = { severity, ...(collector ? { collector } : {}) };
      rule.annotations = { summary, description, runbook_url: `${t.links.runbook_base_url}#${name.toLowerCase()}` };
      if (panel) rule.annotations.dashboard_url = `${t.links.grafana_url}${panelPath(name, panel)}`;
      return rule;
    },
    perStreamExpr(key, build) {
      return bucketsExpr(perLabel('stream', t.streams.defaults[key], t.streams.overrides, key), build, '');
    },
    perStreamTemplate(key, fmt = String) {
      return bucketsTemplate(perLabel('stream', t.streams.defaults[key], t.streams.overrides, key), 'stream', fmt);
    },
    perWorkerTypeExpr(key, build, none) {
      return bucketsExpr(perLabel('worker_type', t.task_metrics.defaults[key], t.task_metrics.overrides, key), build, none);
    },
    perWorkerTypeTemplate(key, fmt = String) {
      return bucketsTemplate(perLabel('worker_type', t.task_metrics.defaults[key], t.task_metrics.overrides, key), 'worker_type', fmt);
    },
  };
}
