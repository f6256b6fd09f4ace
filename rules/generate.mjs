#!/usr/bin/env node
// Generates rules/*.rules.yml from rules/thresholds.yml.
//
//   node rules/generate.mjs            write the rule files next to this script
//   node rules/generate.mjs --check    exit 1 (and list the files) if they differ
//   node rules/generate.mjs --out DIR  write into DIR instead
//   node rules/generate.mjs --thresholds FILE   read another thresholds file
//
// Plain Node ESM; the only dependency is js-yaml (a dependency of the project).
// Alerts use only contract metrics of job="fleet-exporter", its process
// metrics, node_exporter and blackbox_exporter series, and the recording rules
// defined here. Every alert carries severity, summary, description, runbook_url.

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- arguments
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const checkOnly = args.includes('--check');
const outDir = resolve(opt('--out') ?? here);
const thresholdsFile = resolve(opt('--thresholds') ?? join(here, 'thresholds.yml'));

const T = yaml.load(readFileSync(thresholdsFile, 'utf8'));

// ---------------------------------------------------------------- helpers
const JOB = 'job="fleet-exporter"';
const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

function get(path) {
  let v = T;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(k in v)) throw new Error(`${thresholdsFile}: missing key ${path}`);
    v = v[k];
  }
  return v;
}
function num(path) {
  const v = get(path);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${thresholdsFile}: ${path} must be a number >= 0, got ${JSON.stringify(v)}`);
  return v;
}
function ratio(path) {
  const v = num(path);
  if (v > 1) throw new Error(`${thresholdsFile}: ${path} is a ratio (0..1), got ${v}`);
  return v;
}
function dur(path) {
  const v = get(path);
  if (typeof v !== 'string' || !DURATION.test(v)) throw new Error(`${thresholdsFile}: ${path} must be a duration like 30s, 5m, 1h; got ${JSON.stringify(v)}`);
  return v;
}
function str(path) {
  const v = get(path);
  if (typeof v !== 'string') throw new Error(`${thresholdsFile}: ${path} must be a string`);
  return v;
}
/** 600 -> "10m", 86400 -> "1d", 90 -> "90s" (for annotations and `for:`). */
function human(seconds) {
  if (seconds % 86400 === 0 && seconds > 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
const pct = (r) => `${Math.round(r * 1000) / 10}%`;
/** A selector {a,b,c} from matchers, skipping empty ones. */
const sel = (...m) => `{${m.filter(Boolean).join(',')}}`;
const reEscape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\');
const runbook = (name) => `${str('links.runbook_base_url')}#${name.toLowerCase()}`;
/** Alert → Grafana panel, as the dashboard generator placed it (absent: no dashboard_url). */
const alertPanels = JSON.parse(readFileSync(new URL('../grafana/src/alert-panels.json', import.meta.url), 'utf8'));
const dashboard = (name) => (alertPanels[name] ? `${str('links.grafana_url')}${alertPanels[name].path}` : undefined);
/** Strip the common indentation of a template literal and trailing blanks. */
function pq(strings, ...vals) {
  let s = strings.reduce((acc, part, i) => acc + part + (i < vals.length ? vals[i] : ''), '');
  const lines = s.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
/** One line of prose from a template literal (newlines and runs of blanks folded). */
const prose = (strings, ...vals) =>
  strings
    .reduce((acc, part, i) => acc + part + (i < vals.length ? vals[i] : ''), '')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * Per-stream thresholds: returns [{ matcher, value }] covering every stream
 * exactly once: one entry per distinct override value, plus the default for
 * all other streams.
 */
function perStream(key) {
  const def = num(`streams.defaults.${key}`);
  const overrides = get('streams.overrides') ?? {};
  const byValue = new Map();
  for (const [stream, o] of Object.entries(overrides)) {
    if (o === null || typeof o !== 'object') throw new Error(`${thresholdsFile}: streams.overrides.${stream} must be a mapping`);
    for (const k of Object.keys(o))
      if (!(k in get('streams.defaults'))) throw new Error(`${thresholdsFile}: streams.overrides.${stream}.${k} is not a key of streams.defaults`);
    if (!(key in o)) continue;
    const v = o[key];
    if (typeof v !== 'number' || v < 0) throw new Error(`${thresholdsFile}: streams.overrides.${stream}.${key} must be a number >= 0`);
    if (v === def) continue;
    if (!byValue.has(v)) byValue.set(v, []);
    byValue.get(v).push(stream);
  }
  const all = [...byValue.values()].flat().sort();
  const out = [...byValue.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([value, streams]) => ({ value, matcher: `stream=~"${streams.sort().map(reEscape).join('|')}"`, streams }));
  out.push({ value: def, matcher: all.length ? `stream!~"${all.map(reEscape).join('|')}"` : '', streams: null });
  return out;
}

/** One expression covering every stream: the per-stream buckets joined with `or`. */
function perStreamExpr(key, build) {
  const parts = perStream(key).map(({ matcher, value }) => build(matcher, value));
  return parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join('\nor\n');
}
/** A template that prints the threshold of the alert's stream, e.g. {{ if match "^(a|b)$" $labels.stream }}10m{{ else }}5m{{ end }}. */
function perStreamTemplate(key, fmt = String) {
  const b = perStream(key);
  const def = fmt(b[b.length - 1].value);
  if (b.length === 1) return def;
  const goStr = (re) => JSON.stringify(re);
  const branches = b
    .slice(0, -1)
    .map(({ value, streams }, i) => `{{ ${i ? 'else if' : 'if'} match ${goStr(`^(${streams.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`)} $labels.stream }}${fmt(value)}`);
  return `${branches.join('')}{{ else }}${def}{{ end }}`;
}

function alert(name, { expr, for: forDur, severity, collector, summary, description, labels = {} }) {
  if (!['critical', 'warning', 'info'].includes(severity)) throw new Error(`${name}: bad severity ${severity}`);
  const rule = { alert: name, expr };
  if (forDur) rule.for = forDur;
  rule.labels = { severity, ...(collector ? { collector } : {}), ...labels };
  rule.annotations = { summary, description, runbook_url: runbook(name) };
  if (dashboard(name)) rule.annotations.dashboard_url = dashboard(name);
  return rule;
}
const record = (name, expr) => ({ record: name, expr });

// ---------------------------------------------------------------- groups
const G = num('exporter.startup_grace_seconds');
const E = JOB;

function exporterGroup() {
  return {
    name: 'fleet-exporter',
    rules: [
      record(
        'fleet:exporter:startup_grace',
        pq`
          # Present (value = process uptime in seconds) while the exporter started less
          # than ${human(G)} ago; worker alerts are suppressed while it exists.
          (time() - process_start_time_seconds{${E}}) < ${G}`,
      ),
      alert('FleetExporterDown', {
        expr: pq`
          up{${E}} == 0
          or
          absent(up{${E}})`,
        for: dur('exporter.down_for'),
        severity: 'critical',
        summary: 'fleet-exporter is down',
        description: prose`Prometheus cannot scrape fleet-exporter
          {{ with $labels.instance }}at {{ . }}{{ else }}(no target of job="fleet-exporter" is configured or discovered){{ end }}.
          Every fleet alert (workers, streams, Postgres, sandboxes, EC2) is blind until it is back.`,
      }),
      alert('FleetCollectorFailing', {
        expr: pq`
            (time() - fleet_collector_last_success_timestamp_seconds{${E}})
              and on (job, instance, collector) (fleet_collector_up{${E}} == 0)
          or
            (time() - fleet_collector_last_success_timestamp_seconds{${E}}) > ${num('exporter.collector_stale_seconds')}
          or
            (fleet_collector_up{${E}} == 0)
              unless on (job, instance, collector) fleet_collector_last_success_timestamp_seconds{${E}}`,
        for: dur('exporter.collector_failing_for'),
        severity: 'warning',
        summary: 'fleet-exporter collector {{ $labels.collector }} is failing',
        description: prose`The {{ $labels.collector }} collector of {{ $labels.instance }} is failing:
          {{ if eq $value 0.0 }}it has not succeeded since the exporter started{{ else }}its last successful collection was {{ $value | humanizeDuration }} ago{{ end }}.
          Metrics from this source are missing or stale, so the alerts that depend on it cannot fire;
          the exporter log and fleet_collector_errors_total{collector="{{ $labels.collector }}"} show the error.`,
      }),
    ],
  };
}

function workersGroup() {
  const ttl = num('workers.heartbeat_ttl_seconds');
  const grace = 'unless on (job, instance) fleet:exporter:startup_grace';
  return {
    name: 'fleet-workers',
    rules: [
      record(
        'fleet:worker_type:seen_alive',
        pq`
          # 1 for every worker type that has had at least one live worker. Latched:
          # once seen it stays 1 (through its own last value) while the exporter
          # reports the type, so a type that never had a worker never alerts and a
          # long outage keeps alerting.
          (
              (max_over_time(fleet_workers_alive{${E}}[${dur('workers.seen_alive_lookback')}]) > 0) * 0 + 1
            or
              last_over_time(fleet:worker_type:seen_alive[${dur('workers.seen_alive_lookback')}])
          )
          and on (job, instance, worker_type) fleet_workers_alive{${E}}`,
      ),
      record(
        'fleet:worker_type:down_cause',
        pq`
          # Present while a type has no live worker; label cause is decided when the
          # count drops to zero and kept (through its own previous value, which ends
          # with a staleness marker when a worker is back) until a worker
          # is back: scaled_down if a clean-shutdown marker was seen within
          # ${dur('workers.shutdown_marker_window')}, else crashed.
          (
              fleet:worker_type:down_cause
            or on (job, instance, worker_type)
              label_replace((max_over_time(fleet_worker_shutdown_markers{${E}}[${dur('workers.shutdown_marker_window')}]) > 0) * 0 + 1, "cause", "scaled_down", "", "")
            or on (job, instance, worker_type)
              label_replace(fleet_workers_alive{${E}} * 0 + 1, "cause", "crashed", "", "")
          )
          and on (job, instance, worker_type) (fleet_workers_alive{${E}} == 0)`,
      ),
      record(
        'fleet:worker_type:capacity',
        pq`
          fleet_workers_alive{${E}} * on (job, instance, worker_type) fleet_worker_concurrency{${E}}`,
      ),
      record(
        'fleet:stream_group:backlog',
        pq`
          # Entries not yet done: undelivered (lag; 0 when Redis cannot tell) + delivered, not acked.
            (fleet_stream_group_lag{${E}} or on (job, instance, stream, group) fleet_stream_group_pending{${E}} * 0)
          + on (job, instance, stream, group)
            fleet_stream_group_pending{${E}}`,
      ),
      record('fleet:stream:backlog', 'sum without (group) (fleet:stream_group:backlog)'),
      record(
        'fleet:worker_type:backlog',
        pq`
          # Stream -> worker type through fleet_worker_stream_info when the exporter
          # exports it, else the contract default (worker_type = stream name).
            sum without (stream) (fleet:stream:backlog * on (job, instance, stream) group_left (worker_type) fleet_worker_stream_info{${E}})
          or on (job, instance, worker_type)
            sum without (stream) (
              label_replace(fleet:stream:backlog unless on (job, instance, stream) fleet_worker_stream_info{${E}}, "worker_type", "$1", "stream", "(.*)")
            )`,
      ),
      record(
        'fleet:worker_type:utilization',
        pq`
          # backlog / (alive x concurrency); absent while no worker is alive.
          fleet:worker_type:backlog / on (job, instance, worker_type) (fleet:worker_type:capacity > 0)`,
      ),
      record(
        'fleet:worker_type:heartbeat_age_ratio',
        pq`
          # Stalest live heartbeat as a fraction of the heartbeat TTL (${ttl}s); near 1 = about to expire.
          fleet_worker_heartbeat_max_age_seconds{${E}} / ${ttl}`,
      ),
      alert('FleetWorkerTypeDown', {
        // min_alive defaults to 1 where only fleet_workers_alive exists (heartbeat
        // table of the Postgres tasks preset); min_alive 0 allows scale-to-zero.
        expr: pq`
          (
              (fleet_worker_min_alive{${E}} > 0)
            or on (job, instance, worker_type)
              (fleet_workers_alive{${E}} * 0 + 1 unless on (job, instance, worker_type) fleet_worker_min_alive{${E}})
          )
            * on (job, instance, worker_type) group_left (cause) fleet:worker_type:down_cause
            and on (job, instance, worker_type) fleet:worker_type:seen_alive
            ${grace}`,
        for: dur('workers.down_for'),
        severity: 'critical',
        collector: 'redis',
        summary:
          '{{ if eq $labels.cause "scaled_down" }}Worker type {{ $labels.worker_type }} was scaled down to zero{{ else }}Worker type {{ $labels.worker_type }} crashed: no live workers{{ end }}',
        description: prose`{{ if eq $labels.cause "scaled_down" }}Every worker of type {{ $labels.worker_type }} shut down cleanly
          (a clean-shutdown marker was present when the last heartbeat went away), so the type was scaled to zero
          by a deploy, an autoscaler or an operator. 0 of the required {{ $value }} workers are alive and tasks on its stream wait until one starts.{{ else
          }}No worker of type {{ $labels.worker_type }} has a live heartbeat and none left a clean-shutdown marker:
          the workers died without SIGTERM (crash, OOM kill, lost host). 0 of the required {{ $value }} workers are alive
          and tasks on its stream are not processed; messages they held stay pending until reclaimed.{{ end }}`,
      }),
      alert('FleetWorkersBelowMinimum', {
        expr: pq`
          (fleet_workers_alive{${E}} > 0)
            < on (job, instance, worker_type) fleet_worker_min_alive{${E}}
            ${grace}`,
        for: dur('workers.below_minimum_for'),
        severity: 'warning',
        collector: 'redis',
        summary: 'Worker type {{ $labels.worker_type }} runs below its minimum',
        description: prose`Only {{ $value }} worker(s) of type {{ $labels.worker_type }} have a live heartbeat,
          fewer than its configured min_alive
          ({{ with printf "fleet_worker_min_alive{job=%q,instance=%q,worker_type=%q}" $labels.job $labels.instance $labels.worker_type | query }}{{ . | first | value }}{{ end }}).
          The type still processes tasks but with less capacity and no redundancy.`,
      }),
    ],
  };
}

function streamsGroup() {
  const rules = [
    record('fleet:stream:arrival_rate5m', `rate(fleet_stream_entries_added_total{${E}}[5m])`),
    record('fleet:stream_group:delivery_rate5m', `rate(fleet_stream_group_entries_read_total{${E}}[5m])`),
  ];
  rules.push(
    alert('FleetStreamBacklogHigh', {
      expr: perStreamExpr('backlog_high', (m, v) => `fleet_stream_group_lag${sel(E, m)} > ${v}`),
      for: dur('streams.backlog_high_for'),
      severity: 'warning',
      collector: 'redis',
      summary: 'Stream {{ $labels.stream }} has a high backlog',
      description: prose`{{ $value }} entries of stream {{ $labels.stream }} have not been delivered to group
        {{ $labels.group }} (threshold ${perStreamTemplate('backlog_high')}) for ${dur('streams.backlog_high_for')}:
        workers do not keep up with arrivals and tasks wait before they start.`,
    }),
  );
  rules.push(
    alert('FleetStreamBacklogGrowing', {
      expr: pq`
        fleet_stream_group_lag{${E}} > ${num('streams.backlog_growing_min')}
          and on (job, instance, stream, group)
        deriv(fleet_stream_group_lag{${E}}[${dur('streams.backlog_growing_window')}]) > 0`,
      for: dur('streams.backlog_growing_for'),
      severity: 'warning',
      collector: 'redis',
      summary: 'Backlog of stream {{ $labels.stream }} keeps growing',
      description: prose`The backlog of stream {{ $labels.stream }} for group {{ $labels.group }} has been growing
        for ${dur('streams.backlog_growing_for')} and is now {{ $value }} entries: arrivals outpace deliveries and
        the queue is not draining. Add workers or find what slows them down.`,
    }),
  );
  const margin = num('streams.defaults.reclaim_margin_seconds');
  rules.push(
    alert('FleetPendingStuck', {
      expr: perStreamExpr('pending_stuck_seconds', (m, v) => `fleet_stream_group_oldest_pending_idle_seconds${sel(E, m)} > ${v}`),
      for: dur('streams.pending_stuck_for'),
      severity: 'warning',
      collector: 'redis',
      summary: 'Stream {{ $labels.stream }} has a pending entry that is not acknowledged',
      description: prose`The oldest pending entry of stream {{ $labels.stream }} in group {{ $labels.group }} was delivered
        {{ $value | humanizeDuration }} ago and is still not acknowledged (threshold ${perStreamTemplate('pending_stuck_seconds', human)}):
        its consumer is stuck or lost it, and the task is not progressing.`,
    }),
    alert('FleetStrandedMessages', {
      // Orphaned entries present for the whole reclaim idle floor + margin of the stream.
      expr: perStreamExpr(
        'reclaim_min_idle_seconds',
        (m, v) => `min_over_time(fleet_stream_group_orphaned_pending${sel(E, m)}[${human(v + margin)}]) > 0`,
      ),
      for: '1m',
      severity: 'warning',
      collector: 'redis',
      summary: 'Stream {{ $labels.stream }} has messages stranded on dead consumers',
      description: prose`At least {{ $value }} pending entries of stream {{ $labels.stream }} (group {{ $labels.group }}) have been owned
        by consumers without a live heartbeat for longer than the reclaim idle floor of
        ${perStreamTemplate('reclaim_min_idle_seconds', human)} plus ${human(margin)}: nobody reclaims them
        (XAUTOCLAIM/XCLAIM), so those tasks are lost until someone does.`,
    }),
  );
  rules.push(
    alert('FleetPoisonMessage', {
      expr: `fleet_stream_group_oldest_pending_deliveries{${E}} >= ${num('streams.poison_deliveries')}`,
      for: dur('streams.poison_for'),
      severity: 'warning',
      collector: 'redis',
      summary: 'Stream {{ $labels.stream }} has a poison message',
      description: prose`The oldest pending entry of stream {{ $labels.stream }} (group {{ $labels.group }}) has been delivered
        {{ $value }} times (threshold ${num('streams.poison_deliveries')}): every consumer that takes it fails or dies,
        so it is retried forever. Move it to a dead-letter stream and ack it.`,
    }),
    alert('FleetPhantomConsumers', {
      expr: `fleet_stream_group_consumers{${E},state="phantom"} > ${num('streams.phantom_consumers_max')}`,
      for: dur('streams.phantom_for'),
      severity: 'info',
      collector: 'redis',
      summary: 'Stream {{ $labels.stream }} accumulates phantom consumers',
      description: prose`Group {{ $labels.group }} of stream {{ $labels.stream }} has {{ $value }} consumers without a
        heartbeat and without pending entries (threshold ${num('streams.phantom_consumers_max')}), left behind by
        restarted workers. They are harmless but clutter XINFO and idle statistics; delete them with XGROUP DELCONSUMER.`,
    }),
    alert('FleetStreamUnbounded', {
      expr: pq`
        fleet_stream_length{${E}} > ${num('streams.unbounded_length')}
          and on (job, instance, stream)
        fleet_stream_oldest_entry_age_seconds{${E}} > ${num('streams.unbounded_oldest_age_seconds')}`,
      for: dur('streams.unbounded_for'),
      severity: 'info',
      collector: 'redis',
      summary: 'Stream {{ $labels.stream }} is not trimmed',
      description: prose`Stream {{ $labels.stream }} holds {{ $value }} entries and its oldest entry is older than
        ${human(num('streams.unbounded_oldest_age_seconds'))}: acknowledged entries are never deleted or trimmed
        (XDEL/XTRIM), so the stream and Redis memory grow without bound.`,
    }),
  );
  return { name: 'fleet-streams', rules };
}

function redisGroup() {
  const w = ratio('redis.memory_warning_ratio');
  const c = ratio('redis.memory_critical_ratio');
  const mem = (severity, r) =>
    alert('FleetRedisMemoryHigh', {
      expr: `fleet:redis:memory_utilization > ${r}`,
      for: dur('redis.memory_for'),
      severity,
      collector: 'redis',
      summary: `Redis memory is above ${pct(r)} of maxmemory`,
      description: prose`Redis behind {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its maxmemory
        (threshold ${pct(r)}). At 100% it evicts keys (heartbeats, stream entries) or refuses writes, depending on
        maxmemory-policy, and the fleet stops taking tasks.`,
    });
  return {
    name: 'fleet-redis',
    rules: [
      record(
        'fleet:redis:memory_utilization',
        `fleet_redis_used_memory_bytes{${E}} / on (job, instance) (fleet_redis_maxmemory_bytes{${E}} > 0)`,
      ),
      alert('FleetRedisDown', {
        expr: `fleet_redis_up{${E}} == 0`,
        for: dur('redis.down_for'),
        severity: 'critical',
        collector: 'redis',
        summary: 'Redis is unreachable from fleet-exporter',
        description: prose`fleet-exporter {{ $labels.instance }} cannot reach Redis: task streams, heartbeats and
          shutdown markers are unreadable, and if workers cannot reach it either no task is queued or processed.
          Stream and worker alerts are inhibited while this fires.`,
      }),
      mem('warning', w),
      mem('critical', c),
    ],
  };
}

function postgresGroup() {
  const w = ratio('postgres.connections_warning_ratio');
  const c = ratio('postgres.connections_critical_ratio');
  const conn = (severity, r) =>
    alert('FleetPostgresConnectionsHigh', {
      expr: `fleet:postgres:connection_utilization > ${r}`,
      for: dur('postgres.connections_for'),
      severity,
      collector: 'postgres',
      summary: `Postgres connections are above ${pct(r)} of max_connections`,
      description: prose`Postgres behind {{ $labels.instance }} has {{ $value | humanizePercentage }} of max_connections
        in use (threshold ${pct(r)}). When it reaches 100% new connections fail and workers, the API and the exporter
        get "too many clients" errors.`,
    });
  return {
    name: 'fleet-postgres',
    rules: [
      record(
        'fleet:postgres:connection_utilization',
        `sum without (state) (fleet_postgres_connections{${E}}) / on (job, instance) (fleet_postgres_max_connections{${E}} > 0)`,
      ),
      alert('FleetPostgresDown', {
        expr: `fleet_postgres_up{${E}} == 0`,
        for: dur('postgres.down_for'),
        severity: 'critical',
        collector: 'postgres',
        summary: 'Postgres is unreachable from fleet-exporter',
        description: prose`fleet-exporter {{ $labels.instance }} cannot connect to or query Postgres: application state
          (queries, callbacks, tasks, operations, sandbox events) is unreadable, and the application is likely failing too.
          Task, callback and operation alerts are inhibited while this fires.`,
      }),
      conn('warning', w),
      conn('critical', c),
    ],
  };
}

function tasksGroup() {
  return {
    name: 'fleet-tasks',
    rules: [
      alert('FleetCallbacksStale', {
        expr: `fleet_callbacks_oldest_age_seconds{${E}} > ${num('tasks.callbacks_stale_seconds')}`,
        for: dur('tasks.callbacks_stale_for'),
        severity: 'warning',
        collector: 'postgres',
        summary: 'Pending callbacks are not being answered',
        description: prose`The oldest pending callback row is {{ $value | humanizeDuration }} old
          (threshold ${human(num('tasks.callbacks_stale_seconds'))}): a downstream service did not answer and the
          queries waiting for it will time out.`,
      }),
      alert('FleetCallbacksOrphaned', {
        expr: `fleet_callbacks_orphaned{${E}} > 0`,
        for: dur('tasks.callbacks_orphaned_for'),
        severity: 'warning',
        collector: 'postgres',
        summary: 'Callback rows outlive their queries',
        description: prose`{{ $value }} callback rows belong to queries that already finished, for more than
          ${dur('tasks.callbacks_orphaned_for')}: a completion path does not delete them and the janitor does not reap
          them, so the callbacks table grows without bound.`,
      }),
      alert('FleetQueriesStuck', {
        expr: `fleet_queries_oldest_running_age_seconds{${E}} > ${num('tasks.queries_stuck_seconds')}`,
        for: dur('tasks.queries_stuck_for'),
        severity: 'warning',
        collector: 'postgres',
        summary: 'A query has been running for too long',
        description: prose`The oldest running query started {{ $value | humanizeDuration }} ago
          (threshold ${human(num('tasks.queries_stuck_seconds'))}), past any time budget: it is stuck and its caller
          waits for an answer that will not come.`,
      }),
      alert('FleetTasksStuck', {
        expr: `fleet_tasks_stuck{${E}} > 0`,
        for: dur('tasks.tasks_stuck_for'),
        severity: 'warning',
        collector: 'postgres',
        summary: 'Tasks are stuck in status {{ $labels.status }}',
        description: prose`{{ $value }} tasks in status {{ $labels.status }} have made no progress for longer than the
          tasks preset allows, for ${dur('tasks.tasks_stuck_for')}: their worker died or hangs and nobody reassigns them.`,
      }),
      alert('FleetOperationStuck', {
        expr: `fleet_operations_stale{${E}} > 0`,
        for: dur('tasks.operation_stuck_for'),
        severity: 'warning',
        collector: 'postgres',
        summary: 'Operations are stuck in RUNNING',
        description: prose`{{ $value }} operations are RUNNING without a state update for longer than the operations
          preset's stale_after_seconds (default 10m): the process that runs them is alive but its logic is stuck
          (zombie), or it died without marking them failed.`,
      }),
    ],
  };
}

function sandboxesGroup() {
  const idle = num('sandboxes.zombie_idle_seconds');
  const started = `(fleet_daytona_sandbox_info{${E},state="started"} * 0 + 1)`;
  const gib = 1073741824;
  return {
    name: 'fleet-sandboxes',
    rules: [
      record('fleet:daytona:sandboxes', `sum without (target) (fleet_daytona_sandboxes{${E}})`),
      record(
        'fleet:daytona:cpu_core_hours:1h',
        pq`
          # Core-hours of started sandboxes consumed over the last hour.
          avg_over_time(fleet_daytona_sandbox_cpu_cores{${E},state="started"}[1h])`,
      ),
      record(
        'fleet:daytona:estimated_cost_per_hour',
        pq`
          # USD per hour at the prices in rules/thresholds.yml: cpu, memory, gpu of
          # started sandboxes, disk of started and stopped ones.
          sum by (job, instance) (
              label_replace(fleet_daytona_sandbox_cpu_cores{${E},state="started"} * ${num('sandboxes.price_per_cpu_core_hour')}, "resource", "cpu", "", "")
            or
              label_replace(fleet_daytona_sandbox_memory_bytes{${E},state="started"} / ${gib} * ${num('sandboxes.price_per_memory_gib_hour')}, "resource", "memory", "", "")
            or
              label_replace(fleet_daytona_sandbox_gpus{${E},state="started"} * ${num('sandboxes.price_per_gpu_hour')}, "resource", "gpu", "", "")
            or
              label_replace(fleet_daytona_sandbox_disk_bytes{${E},state=~"started|stopped"} / ${gib} * ${num('sandboxes.price_per_disk_gib_hour')}, "resource", "disk", "", "")
          )`,
      ),
      alert('FleetSandboxZombie', {
        expr: pq`
          (fleet_daytona_sandbox_idle_seconds{${E}} > ${idle})
            * on (job, instance, sandbox_id) group_left (name, target) ${started}
            unless on (sandbox_id) (fleet_sandbox_last_event_age_seconds{${E}} <= ${idle})`,
        for: dur('sandboxes.zombie_for'),
        severity: 'warning',
        collector: 'daytona',
        summary: 'Sandbox {{ $labels.sandbox_id }} is a zombie',
        description: prose`Sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) is started but
          has had no activity for {{ $value | humanizeDuration }} (threshold ${human(idle)}), and no sandbox event
          arrived in that time either: its worker is gone or hangs while the sandbox keeps costing money.`,
      }),
      alert('FleetSandboxErrored', {
        expr: `fleet_daytona_sandbox_info{${E},state=~"error|build_failed"}`,
        for: dur('sandboxes.errored_for'),
        severity: 'warning',
        collector: 'daytona',
        summary: 'Sandbox {{ $labels.sandbox_id }} is in state {{ $labels.state }}',
        description: prose`Daytona reports sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }})
          in state {{ $labels.state }} for ${dur('sandboxes.errored_for')}: the task it was created for cannot run, and
          the sandbox may still hold resources until it is deleted.`,
      }),
      alert('FleetSandboxLongLived', {
        expr: pq`
          (fleet_daytona_sandbox_age_seconds{${E}} > ${num('sandboxes.long_lived_seconds')})
            * on (job, instance, sandbox_id) group_left (name, target) ${started}`,
        for: dur('sandboxes.long_lived_for'),
        severity: 'info',
        collector: 'daytona',
        summary: 'Sandbox {{ $labels.sandbox_id }} has been running for a long time',
        description: prose`Sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) was created
          {{ $value | humanizeDuration }} ago and is still started (threshold ${human(num('sandboxes.long_lived_seconds'))}).
          Check that it is still needed; forgotten sandboxes are a cost leak.`,
      }),
    ],
  };
}

function ec2Group() {
  const running = `on (job, instance, instance_id) (fleet_ec2_instance_state{${E},state="running"} == 1)`;
  return {
    name: 'fleet-ec2',
    rules: [
      alert('FleetInstanceCPUHigh', {
        expr: `fleet_ec2_cpu_utilization_ratio{${E}} > ${ratio('ec2.cpu_high_ratio')} and ${running}`,
        for: dur('ec2.cpu_high_for'),
        severity: 'warning',
        collector: 'aws',
        summary: `EC2 instance {{ $labels.instance_id }} CPU is above ${pct(ratio('ec2.cpu_high_ratio'))}`,
        description: prose`CloudWatch reports {{ $value | humanizePercentage }} average CPU on instance
          {{ $labels.instance_id }} (threshold ${pct(ratio('ec2.cpu_high_ratio'))}) for ${dur('ec2.cpu_high_for')}:
          the workers on it are CPU-bound and tasks slow down.`,
      }),
      alert('FleetInstanceMemoryHigh', {
        expr: `fleet_ec2_memory_utilization_ratio{${E}} > ${ratio('ec2.memory_high_ratio')} and ${running}`,
        for: dur('ec2.memory_high_for'),
        severity: 'warning',
        collector: 'aws',
        summary: `EC2 instance {{ $labels.instance_id }} memory is above ${pct(ratio('ec2.memory_high_ratio'))}`,
        description: prose`CloudWatch reports {{ $value | humanizePercentage }} memory in use on instance
          {{ $labels.instance_id }} (threshold ${pct(ratio('ec2.memory_high_ratio'))}) for ${dur('ec2.memory_high_for')}:
          the OOM killer may soon kill workers on it.`,
      }),
      alert('FleetInstanceStatusCheckFailed', {
        expr: `fleet_ec2_instance_status_check_ok{${E}} == 0 and ${running}`,
        for: dur('ec2.status_check_failed_for'),
        severity: 'critical',
        collector: 'aws',
        summary: 'EC2 instance {{ $labels.instance_id }} fails its {{ $labels.check }} status check',
        description: prose`The {{ $labels.check }} status check of running instance {{ $labels.instance_id }} has failed
          for ${dur('ec2.status_check_failed_for')}: the instance is impaired (system = AWS host or network,
          instance = OS or boot, ebs = attached volumes) and the workers on it are probably not working.`,
      }),
      alert('FleetCloudWatchStale', {
        expr: `fleet_cloudwatch_datapoint_age_seconds{${E}} > ${num('ec2.cloudwatch_stale_seconds')} and ${running}`,
        for: dur('ec2.cloudwatch_stale_for'),
        severity: 'warning',
        collector: 'aws',
        summary: 'CloudWatch data of {{ $labels.instance_id }} is stale',
        description: prose`The newest CloudWatch datapoint of running instance {{ $labels.instance_id }} is
          {{ $value | humanizeDuration }} old (threshold ${human(num('ec2.cloudwatch_stale_seconds'))}): CPU and
          memory alerts for it are blind (agent stopped, metrics not published, or API throttling).`,
      }),
    ],
  };
}

function hostGroup() {
  const node = str('selectors.node');
  const fs = str('selectors.node_filesystem');
  const bb = str('selectors.blackbox');
  const pair = (name, what, rec, key, forKey, extra) =>
    ['warning', 'critical'].map((severity) => {
      const r = ratio(`host.${key}_${severity}_ratio`);
      return alert(name, {
        expr: `${rec} > ${r}`,
        for: dur(`host.${forKey}`),
        severity,
        summary: `Host {{ $labels.instance }} ${what} is above ${pct(r)}`,
        description: prose`${extra(r)}`,
      });
    });
  return {
    name: 'fleet-host',
    rules: [
      record('fleet:host:cpu_utilization:rate5m', `1 - avg without (cpu, mode) (rate(node_cpu_seconds_total${sel(node, 'mode="idle"')}[5m]))`),
      record('fleet:host:memory_utilization', `1 - node_memory_MemAvailable_bytes${sel(node)} / node_memory_MemTotal_bytes${sel(node)}`),
      record(
        'fleet:host:filesystem_utilization',
        `1 - node_filesystem_avail_bytes${sel(node, fs)} / node_filesystem_size_bytes${sel(node, fs)}`,
      ),
      ...pair('FleetHostCPUHigh', 'CPU', 'fleet:host:cpu_utilization:rate5m', 'cpu', 'cpu_for', (r) =>
        prose`CPU on host {{ $labels.instance }} has been {{ $value | humanizePercentage }} busy
          (threshold ${pct(r)}) for ${dur('host.cpu_for')}: processes on it are starved and slow down.`,
      ),
      ...pair('FleetHostMemoryHigh', 'memory', 'fleet:host:memory_utilization', 'memory', 'memory_for', (r) =>
        prose`{{ $value | humanizePercentage }} of the memory of host {{ $labels.instance }} is in use
          (threshold ${pct(r)}) for ${dur('host.memory_for')}: the kernel will soon swap or OOM-kill processes.`,
      ),
      ...pair('FleetHostDiskFull', 'disk {{ $labels.mountpoint }}', 'fleet:host:filesystem_utilization', 'disk', 'disk_for', (r) =>
        prose`Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on host {{ $labels.instance }} is
          {{ $value | humanizePercentage }} full (threshold ${pct(r)}): writes (logs, Redis RDB/AOF, Postgres WAL)
          fail when it reaches 100%.`,
      ),
      alert('FleetEndpointDown', {
        expr: `probe_success${sel(bb)} == 0`,
        for: dur('endpoints.down_for'),
        severity: 'critical',
        summary: 'Health endpoint {{ $labels.instance }} is down',
        description: prose`blackbox_exporter has failed to get a successful answer from {{ $labels.instance }} for
          ${dur('endpoints.down_for')}: the service behind it is down, hangs, or answers with an error status.`,
      }),
    ],
  };
}

// ---------------------------------------------------------------- output
const files = {
  'exporter.rules.yml': exporterGroup(),
  'workers.rules.yml': workersGroup(),
  'streams.rules.yml': streamsGroup(),
  'redis.rules.yml': redisGroup(),
  'postgres.rules.yml': postgresGroup(),
  'tasks.rules.yml': tasksGroup(),
  'sandboxes.rules.yml': sandboxesGroup(),
  'ec2.rules.yml': ec2Group(),
  'host.rules.yml': hostGroup(),
};

const header = `# GENERATED by rules/generate.mjs from rules/thresholds.yml. Do not edit:
# change rules/thresholds.yml (or the generator) and run \`node rules/generate.mjs\`.
`;

const stale = [];
for (const [file, group] of Object.entries(files)) {
  const text = header + yaml.dump({ groups: [group] }, { lineWidth: -1, noRefs: true, quotingType: '"' });
  const path = join(outDir, file);
  if (checkOnly) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(path);
  } else {
    writeFileSync(path, text);
  }
}
if (checkOnly) {
  if (stale.length) {
    console.error(`out of date (run \`node rules/generate.mjs\`):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`${Object.keys(files).length} rule files are up to date with ${thresholdsFile}`);
} else {
  console.log(`wrote ${Object.keys(files).length} rule files to ${outDir}`);
}
