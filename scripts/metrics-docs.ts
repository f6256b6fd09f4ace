import { metricNames } from '../src/metrics/names.js';
import { REQUEST_OUTCOME_MEANINGS } from '../src/collectors/outcome.js';

/**
 * docs/metrics.md: one row per name of src/metrics/names.ts, with the type,
 * labels and help of a live exposition (the stack test runs every source;
 * families that only appear in some states, e.g. a failing source, keep their row).
 */
export interface FamilyDoc {
  name: string;
  type: string;
  labels: string[];
  help: string;
}

const HEADER = `# Metrics reference

<!-- Generated: the families are those of src/metrics/names.ts (npm run generate);
     type, labels and help come from a live exposition of every source in
     test/stack.test.ts (UPDATE_DOCS=1 npm test rewrites them); tests fail when either drifts. -->

Labels added by Prometheus (\`job\`, \`instance\`) are not listed; neither are
prom-client's standard \`process_*\` and \`nodejs_*\` metrics, which are exported too.

| metric | type | labels | help |
|---|---|---|---|
`;

/** Families (except process_* / nodejs_*) with their type, help and label names, from Prometheus text. */
export function familiesFromExposition(text: string): Map<string, FamilyDoc> {
  const out = new Map<string, FamilyDoc>();
  const get = (name: string) => {
    let f = out.get(name);
    if (!f) out.set(name, (f = { name, type: 'untyped', labels: [], help: '' }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, , name, ...help] = line.split(' ');
      get(name!).help = help.join(' ').replace(/\\n/g, ' ').replace(/\\\\/g, '\\');
    } else if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      get(name!).type = type!;
    } else if (line && !line.startsWith('#')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
      if (!m) continue;
      const f = out.get(m[1]!) ?? out.get(m[1]!.replace(/_(bucket|sum|count)$/, ''));
      if (!f || !m[2]) continue;
      for (const lm of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) {
        if (lm[1] !== 'le' && !f.labels.includes(lm[1]!)) f.labels.push(lm[1]!);
      }
    }
  }
  for (const name of out.keys()) if (/^(process|nodejs)_/.test(name)) out.delete(name);
  return out;
}

const FOOTER = `
## Request outcomes

\`fleet_aws_requests_total\` and \`fleet_daytona_requests_total\` count every API
attempt, retries included, with one \`outcome\` vocabulary:

| outcome | meaning |
|---|---|
${Object.entries(REQUEST_OUTCOME_MEANINGS)
  .map(([o, meaning]) => `| \`${o}\` | ${meaning} |`)
  .join('\n')}
`;

function row(f: FamilyDoc): string {
  const labels = f.labels.map((l) => `\`${l}\``).join(', ');
  return `| \`${f.name}\` | ${f.type} | ${labels} | ${f.help.replace(/\|/g, '\\|')} |`;
}

export function parseMetricsDoc(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of md.split('\n')) {
    if (line.startsWith('## ')) break; // the metric table ends where the sections below it start
    const m = /^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|/.exec(line);
    if (m) out.set(m[1]!, line);
  }
  return out;
}

/** The doc with the live families' rows, keeping rows for families not seen live. */
export function renderMetricsDoc(live: Map<string, FamilyDoc>, existing: Map<string, string>): string {
  const rows = new Map(existing);
  for (const f of live.values()) rows.set(f.name, row(f));
  return (
    HEADER +
    [...rows.keys()]
      .sort()
      .map((k) => rows.get(k)!)
      .join('\n') +
    '\n' +
    FOOTER
  );
}

/** Rows that differ from (or are missing for) the live families. */
export function driftedRows(live: Map<string, FamilyDoc>, existing: Map<string, string>): string[] {
  return [...live.values()].filter((f) => existing.get(f.name) !== row(f)).map((f) => f.name);
}

/** The doc with exactly one row per name of src/metrics/names.ts; a name without a row fails. */
export function metricsReference(md: string): string {
  const existing = parseMetricsDoc(md);
  const missing = metricNames.filter((n) => !existing.has(n));
  if (missing.length > 0) {
    throw new Error(`docs/metrics.md has no row for ${missing.join(', ')}: run UPDATE_DOCS=1 npm test (the stack test fills rows from a live exposition)`);
  }
  return renderMetricsDoc(new Map(), new Map(metricNames.map((n) => [n, existing.get(n)!])));
}
