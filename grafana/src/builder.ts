/**
 * A small typed builder for Grafana dashboard JSON (schemaVersion 39, Grafana
 * 10/11). It only knows the handful of panel kinds the fleet dashboards use,
 * so every dashboard gets the same datasource variable, links and layout.
 */

import { scopeQuery } from './scope.js';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
export const TAG = 'fleet-exporter';
/** Every dashboard's title starts with it, so the fleet's dashboards sort together in Grafana's list. */
export const TITLE_PREFIX = 'Fleet / ';

export interface Target {
  expr: string;
  legendFormat?: string;
  /** Instant queries suit tables and stats that show "now". */
  instant?: boolean;
}

export interface Threshold {
  value: number | null;
  color: string;
}

export interface ValueMapping {
  value: number;
  text: string;
  color: string;
}

export type PanelKind = 'timeseries' | 'stat' | 'table' | 'bargauge' | 'gauge' | 'heatmap';

export interface PanelSpec {
  kind: PanelKind;
  /** Grafana panel id, unique on its dashboard and never reused: links (viewPanel) use it. */
  id: number;
  title: string;
  description: string;
  /** Grafana unit id: s, bytes, percentunit, short, ops, currencyUSD, ... */
  unit: string;
  targets: Target[];
  w?: number;
  h?: number;
  thresholds?: Threshold[];
  mappings?: ValueMapping[];
  min?: number;
  max?: number;
  stacked?: boolean;
  bars?: boolean;
  /** Repeat the panel once per selected value of this variable (small multiples). */
  repeat?: string;
  /** Why the demo fleet cannot fill this panel (read by the end-to-end test). */
  notFilledByDemo?: string;
}

export interface RowSpec {
  kind: 'row';
  id: number;
  title: string;
}

export type Item = PanelSpec | RowSpec;

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** Template variables beyond the datasource, e.g. worker_type, stream. */
  variables: Variable[];
  items: Item[];
  annotations?: { name: string; expr: string; color: string; titleFormat: string }[];
}

export interface Variable {
  name: string;
  label: string;
  /** label_values(metric, label) */
  query: string;
  /** What "All" sends; undefined = Grafana's list of the current values. */
  allValue?: string;
}

export interface LinkTarget {
  uid: string;
  title: string;
}

/** A query target; `legend` is Grafana's legendFormat, e.g. "{{stream}}". */
export const q = (expr: string, legend?: string): Target => ({ expr, legendFormat: legend });
export const instant = (expr: string, legend?: string): Target => ({ expr, legendFormat: legend, instant: true });
export const row = (id: number, title: string): RowSpec => ({ kind: 'row', id, title });

type PanelArgs = Omit<PanelSpec, 'kind' | 'id' | 'title' | 'unit' | 'targets'>;
const panel =
  (kind: PanelKind) =>
  (id: number, title: string, unit: string, targets: Target[], args: PanelArgs): PanelSpec => ({ kind, id, title, unit, targets, ...args });
export const timeseries = panel('timeseries');
export const stat = panel('stat');
export const table = panel('table');
export const bargauge = panel('bargauge');
export const gauge = panel('gauge');
/** A heatmap of a histogram: its targets return per-`le` counts (format heatmap). */
export const heatmap = panel('heatmap');

const GREEN_RED = (red: number): Threshold[] => [
  { value: null, color: 'green' },
  { value: red, color: 'red' },
];
/** Green below `warn`, orange from `warn`, red from `crit` (crit optional). */
export function levels(warn: number, crit?: number): Threshold[] {
  if (crit === undefined) return GREEN_RED(warn);
  return [
    { value: null, color: 'green' },
    { value: warn, color: 'orange' },
    { value: crit, color: 'red' },
  ];
}
/** Red at zero, green from `ok`: for "up" and "alive" style values. */
export const upLevels = (ok = 1): Threshold[] => [
  { value: null, color: 'red' },
  { value: ok, color: 'green' },
];

export const WIDTH = 24;

function targetJson(t: Target, i: number, kind: PanelKind): object {
  return {
    datasource: DATASOURCE,
    expr: scopeQuery(t.expr),
    // Table panels want one row per series with its labels as columns; heatmaps one bucket per `le`.
    format: kind === 'table' ? 'table' : kind === 'heatmap' ? 'heatmap' : 'time_series',
    legendFormat: t.legendFormat ?? (kind === 'heatmap' ? '{{le}}' : '__auto'),
    range: !t.instant,
    instant: Boolean(t.instant),
    refId: String.fromCharCode(65 + i),
  };
}

function fieldConfig(p: PanelSpec): object {
  const thresholds = p.thresholds ?? [{ value: null, color: 'green' }];
  const custom: Record<string, unknown> = {};
  if (p.kind === 'timeseries') {
    custom.drawStyle = p.bars ? 'bars' : 'line';
    custom.fillOpacity = p.stacked || p.bars ? 60 : 10;
    custom.lineWidth = 1;
    custom.showPoints = 'never';
    custom.spanNulls = false;
    custom.stacking = { mode: p.stacked ? 'normal' : 'none', group: 'A' };
    custom.thresholdsStyle = { mode: p.thresholds ? 'line' : 'off' };
  }
  return {
    defaults: {
      unit: p.unit,
      ...(p.min !== undefined ? { min: p.min } : {}),
      ...(p.max !== undefined ? { max: p.max } : {}),
      color: { mode: p.kind === 'timeseries' ? 'palette-classic' : 'thresholds' },
      thresholds: { mode: 'absolute', steps: thresholds },
      mappings: (p.mappings ?? []).map((m) => ({
        type: 'value',
        options: { [String(m.value)]: { text: m.text, color: m.color, index: 0 } },
      })),
      custom,
    },
    overrides: [],
  };
}

function options(p: PanelSpec): object {
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (p.kind) {
    case 'timeseries':
      return { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } };
    case 'stat':
      return { reduceOptions: reduce, colorMode: 'background', graphMode: 'none', textMode: 'value_and_name', justifyMode: 'auto', orientation: 'auto' };
    case 'gauge':
      return { reduceOptions: reduce, showThresholdMarkers: true, showThresholdLabels: false };
    case 'bargauge':
      return { reduceOptions: reduce, displayMode: 'gradient', orientation: 'horizontal', showUnfilled: true };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'heatmap':
      return {
        calculate: false,
        cellGap: 1,
        color: { mode: 'scheme', scheme: 'Oranges', steps: 64 },
        yAxis: { axisPlacement: 'left', unit: p.unit },
        rowsFrame: { layout: 'le' },
        tooltip: { mode: 'single', yHistogram: true },
        legend: { show: true },
      };
  }
}

/** Table panels show instant vectors as rows: one row per series, labels as columns. */
const TABLE_TRANSFORMS = [
  { id: 'merge', options: {} },
  { id: 'organize', options: { excludeByName: { Time: true, __name__: true, job: true } } },
];

/** Lays items out left to right on Grafana's 24-column grid, in order; ids are the items' own. */
export function layout(items: Item[]): object[] {
  const panels: object[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const ids = new Set<number>();
  for (const item of items) {
    const id = item.id;
    if (ids.has(id)) throw new Error(`panel id ${id} is used twice (${item.title})`);
    ids.add(id);
    if (item.kind === 'row') {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
      panels.push({ id, type: 'row', title: item.title, collapsed: false, gridPos: { h: 1, w: WIDTH, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    const w = item.w ?? 8;
    const h = item.h ?? 8;
    if (x + w > WIDTH) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const isTable = item.kind === 'table';
    panels.push({
      id,
      type: item.kind,
      title: item.title,
      description: item.description,
      datasource: DATASOURCE,
      gridPos: { h, w, x, y },
      fieldConfig: fieldConfig(item),
      options: options(item),
      targets: item.targets.map((t, i) => targetJson(isTable ? { ...t, instant: true } : t, i, item.kind)),
      ...(isTable ? { transformations: TABLE_TRANSFORMS } : {}),
      ...(item.repeat ? { repeat: item.repeat, repeatDirection: 'h', maxPerRow: 4 } : {}),
    });
    x += w;
    rowHeight = Math.max(rowHeight, h);
  }
  return panels;
}

function variableJson(v: Variable): object {
  return {
    name: v.name,
    label: v.label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query: v.query, refId: `${v.name}-query` },
    definition: v.query,
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    // ".*" rather than a list of values, so All also matches types that appear later.
    ...(v.allValue === undefined ? {} : { allValue: v.allValue }),
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    hide: 0,
  };
}

const DATASOURCE_VARIABLE = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  refresh: 1,
  options: [],
};

/**
 * The exporter(s) a dashboard shows (see scope.ts): "All" jobs and instances
 * means the listed exporters only (not every target's `up`); "All" clusters is
 * ".*", which also matches series without a cluster label.
 */
const SCOPE_VARIABLES: Variable[] = [
  { name: 'cluster', label: 'Cluster', query: 'label_values(fleet_exporter_build_info, cluster)', allValue: '.*' },
  { name: 'job', label: 'Job', query: 'label_values(fleet_exporter_build_info{cluster=~"$cluster"}, job)' },
  { name: 'instance', label: 'Instance', query: 'label_values(fleet_exporter_build_info{cluster=~"$cluster",job=~"$job"}, instance)' },
];

/** label_values(selector, label) listing only the selected exporters' values. */
const scopeLabelValues = (query: string): string => query.replace(/^label_values\(([^,]+),/, (_, selector: string) => `label_values(${scopeQuery(selector)},`);

export function dashboardJson(spec: DashboardSpec, others: LinkTarget[]): object {
  const panels = layout(spec.items);
  const json = {
    uid: spec.uid,
    title: TITLE_PREFIX + spec.title,
    description: spec.description,
    tags: [TAG],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    fiscalYearStartMonth: 0,
    liveNow: false,
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        ...(spec.annotations ?? []).map((a) => ({
          name: a.name,
          datasource: DATASOURCE,
          enable: true,
          hide: false,
          iconColor: a.color,
          expr: scopeQuery(a.expr),
          step: '30s',
          titleFormat: a.titleFormat,
          useValueForTime: false,
        })),
      ],
    },
    // Explicit links (not a tag search) so each dashboard names the others in a fixed order.
    links: others.map((o) => ({
      type: 'link',
      title: TITLE_PREFIX + o.title,
      url: `/d/${o.uid}`,
      icon: 'dashboard',
      tags: [],
      asDropdown: false,
      includeVars: true,
      keepTime: true,
      targetBlank: false,
      tooltip: '',
    })),
    templating: {
      list: [DATASOURCE_VARIABLE, ...[...SCOPE_VARIABLES, ...spec.variables.map((v) => ({ allValue: '.*', ...v, query: scopeLabelValues(v.query) }))].map(variableJson)],
    },
    panels,
  };
  return json;
}
