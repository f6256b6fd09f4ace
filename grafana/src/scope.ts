/**
 * Scopes every dashboard query to the selected exporter(s): each vector
 * selector of the exporter's series gets job, instance and cluster matchers
 * bound to the dashboards' template variables, so two exporters (or two
 * clusters) never merge on one panel. Series of other exporters (node_exporter,
 * blackbox, their recordings) and ALERTS keep their own job: only cluster.
 */

/** The exporter's own job matcher, written by dashboards that predate the job variable: the variable replaces it. */
const EXPORTER_JOB = 'job="fleet-exporter"';
const EXPORTER_SCOPE = ['job=~"$job"', 'instance=~"$instance"', 'cluster=~"$cluster"'];
const CLUSTER_SCOPE = ['cluster=~"$cluster"'];
/** Series not scraped from fleet-exporter: ALERTS (Prometheus), fleet:host:* (recorded from node_exporter), blackbox probes. */
const NOT_EXPORTER = /^(ALERTS|ALERTS_FOR_STATE|fleet:host:.*|probe_.*)$/;

const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
const KEYWORDS = new Set([...AGGREGATIONS, 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

/** The index just past the string literal starting at i. */
function skipString(s: string, i: number): number {
  const quote = s[i]!;
  let j = i + 1;
  while (j < s.length && s[j] !== quote) j += s[j] === '\\' && quote !== '`' ? 2 : 1;
  return j + 1;
}

/** The index just past the bracket pair opening at i (strings inside skipped). */
function skipGroup(s: string, i: number, close: string): number {
  let j = i + 1;
  while (j < s.length && s[j] !== close) j = /["'`]/.test(s[j]!) ? skipString(s, j) : j + 1;
  return j + 1;
}

/** The matchers of a selector body `a="x",b=~"y"` (commas inside strings kept). */
function splitMatchers(body: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let j = 0; j < body.length;) {
    if (/["'`]/.test(body[j]!)) j = skipString(body, j);
    else if (body[j] === ',') {
      out.push(body.slice(start, j).trim());
      start = ++j;
    } else j++;
  }
  out.push(body.slice(start).trim());
  return out.filter(Boolean);
}

function scopedSelector(name: string, matchers: string[]): string {
  const ownJob = matchers.some((m) => /^job\s*(=|!=|=~|!~)/.test(m) && m.replace(/\s/g, '') !== EXPORTER_JOB);
  const scope = ownJob || NOT_EXPORTER.test(name) ? CLUSTER_SCOPE : EXPORTER_SCOPE;
  const kept = matchers.filter((m) => m.replace(/\s/g, '') !== EXPORTER_JOB);
  return `${name}{${[...scope, ...kept].join(',')}}`;
}

/** `expr` with every vector selector scoped (see the module comment). */
export function scopeQuery(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    let end = i + 1;
    if (/["'`]/.test(c)) end = skipString(expr, i);
    else if (c === '#') end = expr.includes('\n', i) ? expr.indexOf('\n', i) : expr.length;
    else if (c === '[') end = skipGroup(expr, i, ']');
    else if (/[0-9$.]/.test(c)) end = i + /^[$.0-9a-zA-Z_]+/.exec(expr.slice(i))![0].length;
    else if (/[a-zA-Z_:]/.test(c)) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))![0];
      const after = i + name.length;
      const next = after + /^\s*/.exec(expr.slice(after))![0].length;
      if (expr[next] === '(') {
        // A function call or aggregation; the label list of by/on/group_left (...) is copied as is.
        end = KEYWORDS.has(name.toLowerCase()) && !AGGREGATIONS.includes(name) ? skipGroup(expr, next, ')') : after;
      } else if (KEYWORDS.has(name.toLowerCase())) end = after;
      else if (expr[next] === '{') {
        end = skipGroup(expr, next, '}');
        out += scopedSelector(name, splitMatchers(expr.slice(next + 1, end - 1)));
        i = end;
        continue;
      } else {
        out += scopedSelector(name, []);
        i = after;
        continue;
      }
    }
    out += expr.slice(i, end);
    i = end;
  }
  return out;
}
