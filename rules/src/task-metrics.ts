import { metric as m } from '../../src/metrics/names.js';
import { human, JOB as E, pct, pq, prose, record, type Area, type Rule } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-tasks', title });

const WINDOW = 300; // seconds in the 5m rate windows below

// Two exporter replicas scraping the same Redis export the same counters under
// different target labels (instance, pod, ...): rates are taken per series and
// then `max by` the labels that identify a worker type, so a replica pair
// counts once. Shards never share a worker type, so `max` merges nothing there.
// The alerts carry neither `instance` nor `collector`, so the exporter-down and
// Redis-down inhibitions do not target them: with their source down these
// series go stale and the alerts resolve instead.
const THROUGHPUT = 'fleet:worker_type:tasks:rate5m';
const FAILURE_RATIO = 'fleet:worker_type:task_failure_ratio:rate5m';
const quantile = (what: 'task_duration_seconds' | 'task_queue_wait_seconds', p: number) => `fleet:worker_type:${what}:p${p}_5m`;

function quantiles(what: 'task_duration_seconds' | 'task_queue_wait_seconds', histogram: string): Rule[] {
  const buckets = `fleet:worker_type_le:${what}_bucket:rate5m`;
  return [
    record(buckets, `max by (job, worker_type, le) (rate(${histogram}_bucket{${E}}[5m]))`),
    ...[50, 95, 99].map((p) => record(quantile(what, p), `histogram_quantile(${p / 100}, ${buckets})`)),
  ];
}

/** A selector from one per-worker-type matcher (none for the default bucket without overrides). */
const on = (matcher: string) => (matcher ? `{${matcher}}` : '');

export const taskMetrics: Area = {
  file: 'task-metrics.rules.yml',
  group: ({ t, alert, perWorkerTypeExpr, perWorkerTypeTemplate }) => {
    const k = t.task_metrics;
    // Every task alert needs this many finished tasks in the window: one failure in two tasks is no rate.
    const volume = `  and on (job, worker_type)\n${THROUGHPUT} * ${WINDOW} >= ${k.min_tasks}`;
    const guarded = (key: 'failure_ratio' | 'duration_p95_seconds' | 'queue_wait_p95_seconds', series: string) => {
      const none = `# no worker type has a task_metrics ${key}: never fires\n${series} > +Inf`;
      const expr = perWorkerTypeExpr(key, (matcher, v) => `${series}${on(matcher)} > ${v}`, none);
      // `and` binds tighter than the `or` between per-type buckets.
      const lhs = /\nor\n/.test(expr) ? `(\n${expr.replace(/^/gm, '  ')}\n)` : expr;
      return `${lhs}\n${volume}`;
    };
    return {
      name: 'fleet-task-metrics',
      rules: [
        record('fleet:worker_type_outcome:tasks:rate5m', `max by (job, worker_type, outcome) (rate(${m.fleet_tasks_total}{${E}}[5m]))`),
        record(THROUGHPUT, 'sum by (job, worker_type) (fleet:worker_type_outcome:tasks:rate5m)'),
        record(
          FAILURE_RATIO,
          // 0 rather than absent while every task succeeds; absent while none finishes.
          pq`
            (
              sum by (job, worker_type) (fleet:worker_type_outcome:tasks:rate5m{outcome!="ok"})
            or
              ${THROUGHPUT} * 0
            )
            / (${THROUGHPUT} > 0)`,
        ),
        ...quantiles('task_duration_seconds', m.fleet_task_duration_seconds),
        ...quantiles('task_queue_wait_seconds', m.fleet_task_queue_wait_seconds),
        alert('FleetTaskFailureRateHigh', {
          expr: guarded('failure_ratio', FAILURE_RATIO),
          for: k.failure_for,
          severity: 'warning',
          summary: 'Tasks of worker type {{ $labels.worker_type }} fail',
          description: prose`{{ $value | humanizePercentage }} of the tasks of worker type {{ $labels.worker_type }} finished
            with an outcome other than ok over 5m (threshold ${perWorkerTypeTemplate('failure_ratio', pct)}, at least
            ${k.min_tasks} tasks), for ${k.failure_for}: a dependency fails, a bad deploy, or poison input.`,
          panel: panel('Failure ratio'),
        }),
        alert('FleetTaskLatencyHigh', {
          expr: guarded('duration_p95_seconds', quantile('task_duration_seconds', 95)),
          for: k.duration_for,
          severity: 'warning',
          summary: 'Tasks of worker type {{ $labels.worker_type }} are slow',
          description: prose`The 95th percentile duration of the tasks of worker type {{ $labels.worker_type }} is
            {{ $value | humanizeDuration }} over 5m (threshold ${perWorkerTypeTemplate('duration_p95_seconds', human)}),
            for ${k.duration_for}: a slow dependency or heavier input; the backlog grows if it lasts.`,
          panel: panel('Task duration p50 / p95 / p99: $worker_type'),
        }),
        alert('FleetTaskQueueWaitHigh', {
          expr: guarded('queue_wait_p95_seconds', quantile('task_queue_wait_seconds', 95)),
          for: k.queue_wait_for,
          severity: 'warning',
          summary: 'Tasks of worker type {{ $labels.worker_type }} wait long in the queue',
          description: prose`The 95th percentile queue wait of the tasks of worker type {{ $labels.worker_type }}
            (first delivery minus enqueue time) is {{ $value | humanizeDuration }} over 5m (threshold
            ${perWorkerTypeTemplate('queue_wait_p95_seconds', human)}), for ${k.queue_wait_for}: too few workers
            for the arrivals, or entries stranded on dead consumers before someone reclaimed them.`,
          panel: panel('Queue wait p50 / p95 / p99: $worker_type'),
        }),
      ],
    };
  },
};
