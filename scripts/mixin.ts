/**
 * mixin/: the shipped rules and dashboards as a monitoring mixin
 * (mixin.libsonnet with _config, prometheusAlerts, prometheusRules,
 * grafanaDashboards), so kube-prometheus users import it with jsonnet-bundler.
 *
 * The rules are rendered a second time with every threshold replaced by a
 * sentinel (numbers 7000007 + 60 i: never a whole minute, so human() keeps
 * them in seconds; strings __T<i>__). A string of the rules whose sentinels,
 * put back to their defaults, give the shipped string exactly becomes a
 * jsonnet expression over $._config; any other string stays a literal. The
 * exporter's job matcher becomes $._config.fleetExporterSelector everywhere.
 */
import { basename } from 'node:path';
import yaml from 'js-yaml';
import { human, JOB, pct, type RuleGroup } from '../rules/src/build.js';
import type { Thresholds } from '../rules/src/thresholds.js';
import { matching } from './kubernetes.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Format = 'num' | 'human' | 'pct';
interface Leaf {
  path: string[];
  value: string | number;
}

const FORMAT: Record<Format, (v: number) => string> = { num: String, human, pct };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The scalar thresholds, in order; per-stream overrides (a team's map) are left out. */
function leaves(o: Record<string, unknown>, path: string[] = []): Leaf[] {
  return Object.entries(o).flatMap(([k, v]) => {
    if (isObject(v)) return k === 'overrides' ? [] : leaves(v, [...path, k]);
    return typeof v === 'number' || typeof v === 'string' ? [{ path: [...path, k], value: v }] : [];
  });
}

const sentinelNumber = (i: number) => 7000007 + 60 * i;

/** `t` with each leaf (or only leaf `only`) replaced by its sentinel. */
export function sentinelThresholds(t: Thresholds, only?: number): Thresholds {
  const copy = structuredClone(t) as unknown as Record<string, Record<string, unknown>>;
  leaves(t as never).forEach(({ path, value }, i) => {
    if (only !== undefined && i !== only) return;
    const parent = path.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, copy);
    parent[path.at(-1)!] = typeof value === 'number' ? sentinelNumber(i) : `__T${i}__`;
  });
  return copy as unknown as Thresholds;
}

type Piece = string | { leaf: Leaf; format: Format | 'string' } | { selector: true };
const TOKEN = /__T(\d+)__|(?<![\w.])(\d+)(%|s)?(?![\w.])|job="fleet-exporter"/g;

/** A sentinel-rendered string as literal pieces and references. */
function pieces(s: string, all: Leaf[]): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of s.matchAll(TOKEN)) {
    let ref: Piece | undefined;
    if (m[0] === JOB) ref = { selector: true };
    else if (m[1] !== undefined) ref = { leaf: all[Number(m[1])]!, format: 'string' };
    else {
      const n = m[3] === '%' ? Number(m[2]) / 100 : Number(m[2]);
      const i = (n - sentinelNumber(0)) / 60;
      if (Number.isInteger(i) && all[i] && typeof all[i].value === 'number') ref = { leaf: all[i], format: m[3] === 's' ? 'human' : m[3] === '%' ? 'pct' : 'num' };
    }
    if (!ref) continue;
    if (m.index > last) out.push(s.slice(last, m.index));
    out.push(ref);
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

const valueOf = (p: Piece): string => {
  if (typeof p === 'string') return p;
  if ('selector' in p) return JOB;
  return p.format === 'string' ? String(p.leaf.value) : FORMAT[p.format](p.leaf.value as number);
};

/** The jsonnet of one string: a concatenation over $._config when its sentinels map back, else the shipped literal. */
function stringJsonnet(shipped: string, sentinel: string, all: Leaf[]): string {
  let parts = pieces(sentinel, all);
  if (parts.map(valueOf).join('') !== shipped) parts = shipped.split(JOB).flatMap((s, i) => (i ? [{ selector: true } as Piece, s] : [s]));
  const code = parts
    .filter((p) => p !== '')
    .map((p) => {
      if (typeof p === 'string') return JSON.stringify(p);
      if ('selector' in p) return '$._config.fleetExporterSelector';
      const ref = `$._config.thresholds.${p.leaf.path.join('.')}`;
      return p.format === 'string' ? ref : `${p.format}(${ref})`;
    });
  return code.length ? code.join(' + ') : '""';
}

/** The jsonnet of a rules value, walking the shipped and the sentinel rendering together. */
function toJsonnet(shipped: Json, sentinel: Json, all: Leaf[], indent: string): string {
  const inner = `${indent}  `;
  if (typeof shipped === 'string' && typeof sentinel === 'string') return stringJsonnet(shipped, sentinel, all);
  if (Array.isArray(shipped) && Array.isArray(sentinel) && shipped.length === sentinel.length) {
    return `[\n${shipped.map((v, i) => `${inner}${toJsonnet(v, sentinel[i]!, all, inner)},\n`).join('')}${indent}]`;
  }
  if (isObject(shipped) && isObject(sentinel) && Object.keys(shipped).join() === Object.keys(sentinel).join()) {
    return `{\n${Object.entries(shipped)
      .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toJsonnet(v, sentinel[k]!, all, inner)},\n`)
      .join('')}${indent}}`;
  }
  return JSON.stringify(shipped);
}

/** Whether every string of the sentinel rendering maps back to the shipped one. */
function mapsBack(shipped: Json, sentinel: Json, all: Leaf[]): boolean {
  if (typeof shipped === 'string' && typeof sentinel === 'string') return pieces(sentinel, all).map(valueOf).join('') === shipped;
  if (Array.isArray(shipped) && Array.isArray(sentinel)) return shipped.length === sentinel.length && shipped.every((v, i) => mapsBack(v, sentinel[i]!, all));
  if (isObject(shipped) && isObject(sentinel))
    return Object.keys(shipped).join() === Object.keys(sentinel).join() && Object.entries(shipped).every(([k, v]) => mapsBack(v, sentinel[k]!, all));
  return shipped === sentinel;
}

const groupsOf = (files: Map<string, string>): RuleGroup[] =>
  matching(files, /^rules\/[^/]+\.rules\.yml$/).flatMap(([, content]) => (yaml.load(content) as { groups: RuleGroup[] }).groups);

/**
 * mixin/ files from the shipped rule files, the same rule files rendered with
 * sentinelThresholds(t), and the dashboards. Groups with an alert are
 * prometheusAlerts (whole: their recording rules feed those alerts), the
 * others prometheusRules.
 */
export function mixinFiles(t: Thresholds, shipped: Map<string, string>, render: (t: Thresholds) => Map<string, string>): Map<string, string> {
  const sentinel = render(sentinelThresholds(t));
  const all = leaves(t as never);
  const sentinelGroups = groupsOf(sentinel);
  const groups = groupsOf(shipped).map((g, i) => ({ g, code: toJsonnet(g as never, sentinelGroups[i] as never, all, '      ') }));
  const list = (alerting: boolean) =>
    groups
      .filter(({ g }) => g.rules.some((r) => r.alert) === alerting)
      .map(({ code }) => `      ${code},\n`)
      .join('');
  const dashboards = matching(shipped, /^dashboards\/[^/]+\.json$/);
  const libsonnet = `// GENERATED from rules/src, rules/thresholds.yml and grafana/src by scripts/generate.ts
// (npm run generate). Do not edit: override _config instead (see README.md).
// Numbers as JavaScript prints them (jsonnet's own toString shows 0.8 as 0.80000000000000004).
local num(x) = if x == std.floor(x) then std.toString(x) else std.format('%.15g', x);
local pct(r) = num(std.floor(r * 1000 + 0.5) / 10) + '%';
local human(s) =
  if s > 0 && std.mod(s, 86400) == 0 then num(s / 86400) + 'd'
  else if s > 0 && std.mod(s, 3600) == 0 then num(s / 3600) + 'h'
  else if s > 0 && std.mod(s, 60) == 0 then num(s / 60) + 'm'
  else num(s) + 's';
{
  _config+:: {
    // Label matcher(s) selecting fleet-exporter's series in every rule.
    fleetExporterSelector: ${JSON.stringify(JOB)},
    // rules/thresholds.yml; the keys listed in README.md change the rules.
    thresholds: ${JSON.stringify(t, null, 2).replaceAll('\n', '\n    ')},
  },
  prometheusAlerts+:: {
    groups+: [
${list(true)}    ],
  },
  prometheusRules+:: {
    groups+: [
${list(false)}    ],
  },
  grafanaDashboards+:: {
${dashboards.map(([path]) => `    ${JSON.stringify(basename(path))}: import ${JSON.stringify(`dashboards/${basename(path)}`)},\n`).join('')}  },
}
`;
  // A key is fixed when, changed alone, some string of the rules would not follow it (a sum, a term left out at 0).
  const fixed = all.filter((_, i) => !mapsBack(groupsOf(shipped) as never, groupsOf(render(sentinelThresholds(t, i))) as never, all)).map((l) => l.path.join('.'));
  const readme = `# fleet-exporter mixin

GENERATED by \`npm run generate\` (scripts/mixin.ts); do not edit.

The shipped alerts, recording rules and dashboards of fleet-exporter as a
[monitoring mixin](https://monitoring.mixins.dev/). With the default \`_config\`
it evaluates to exactly \`rules/*.rules.yml\` and \`dashboards/*.json\`.

    jb install github.com/fleet-exporter/fleet-exporter/mixin@main  # vendor/github.com/fleet-exporter/fleet-exporter/mixin

    local fleet = (import 'github.com/fleet-exporter/fleet-exporter/mixin/mixin.libsonnet') + {
      _config+:: {
        fleetExporterSelector: 'job="fleet-exporter",namespace="workers"',
        thresholds+: { streams+: { defaults+: { backlog_high: 5000 } } },
      },
    };
    { alerts: fleet.prometheusAlerts, rules: fleet.prometheusRules, dashboards: fleet.grafanaDashboards }

Groups that hold an alert are in \`prometheusAlerts\` whole (their recording
rules feed those alerts); groups of recording rules only are in
\`prometheusRules\`. The dashboards select the exporter with their own
\`job\`/\`instance\`/\`cluster\` variables; their threshold lines keep the
defaults.

## Thresholds

Every key of \`_config.thresholds\` that the rules print verbatim (or through
the duration and percentage formats) follows \`_config\`. Do not override
the keys below in \`_config\`: the rules derive other values from them (sums,
terms left out at 0), so only part of the rules would follow. Change them in
\`rules/thresholds.yml\` and regenerate instead.

${fixed.map((p) => `- \`${p}\``).join('\n')}
`;
  return new Map([
    ['mixin/mixin.libsonnet', libsonnet],
    ['mixin/jsonnetfile.json', `${JSON.stringify({ version: 1, dependencies: [], legacyImports: true }, null, 2)}\n`],
    ['mixin/README.md', readme],
    ...dashboards.map(([path, content]): [string, string] => [`mixin/dashboards/${basename(path)}`, content]),
  ]);
}
