import { heatmap, levels, q, row, timeseries, type DashboardSpec } from '../builder.js';
import type { Thresholds } from '../../../rules/src/thresholds.js';
import { metric as m } from '../../../src/metrics/names.js';

const WT = 'worker_type=~"$worker_type"';

/** p50 / p95 / p99 from the recording rules of rules/task-metrics.rules.yml. */
const quantiles = (what: string) => [50, 95, 99].map((p) => q(`fleet:worker_type:${what}:p${p}_5m{${WT}}`, `p${p}`));

/**
 * Task metrics workers flush to Redis (docs/task-metrics.md). Replicas of the
 * exporter export the same counters: queries take `max by` the worker type's
 * labels before summing, as the recording rules do.
 */
export function tasks(t: Thresholds): DashboardSpec {
  const d = t.task_metrics.defaults;
  const line = (v: number | null) => (v === null ? {} : { thresholds: levels(v) });
  return {
    uid: 'fleet-tasks',
    title: 'Tasks: throughput, failures, latency',
    description: 'Per worker type: tasks finished per second, failure ratio, duration and queue-wait percentiles from the histograms workers flush to Redis.',
    variables: [{ name: 'worker_type', label: 'Worker type', query: `label_values(${m.fleet_tasks_total}, worker_type)` }],
    items: [
      row(1, 'Throughput and failures'),
      timeseries(2, 'Throughput', 'ops', [q(`fleet:worker_type:tasks:rate5m{${WT}}`, '{{worker_type}}')], {
        description: 'Tasks finished per second (every outcome), over 5m.',
        min: 0,
      }),
      timeseries(3, 'Failure ratio', 'percentunit', [q(`fleet:worker_type:task_failure_ratio:rate5m{${WT}}`, '{{worker_type}}')], {
        description: `Tasks finished with an outcome other than ok / all finished tasks, over 5m. Line: failure_ratio (${d.failure_ratio ?? 'none'}; per-type overrides in rules/thresholds.yml); the alert also needs ${t.task_metrics.min_tasks} tasks in 5m.`,
        min: 0,
        ...line(d.failure_ratio),
      }),
      timeseries(
        4,
        'Tasks by outcome',
        'ops',
        [q(`sum by (worker_type, outcome) (max by (job, worker_type, outcome) (rate(${m.fleet_tasks_total}{${WT}}[$__rate_interval])))`, '{{worker_type}} {{outcome}}')],
        { description: 'Tasks finished per second by outcome (ok, error, or what workers record).', stacked: true },
      ),
      row(5, 'Task duration per worker type'),
      timeseries(6, 'Task duration p50 / p95 / p99: $worker_type', 's', quantiles('task_duration_seconds'), {
        description: `Percentiles of task duration over 5m for worker type $worker_type, from the histogram (one panel per type). Line: duration_p95_seconds where a default is set (${d.duration_p95_seconds ?? 'none by default'}).`,
        w: 6,
        min: 0,
        repeat: 'worker_type',
        ...line(d.duration_p95_seconds),
      }),
      row(7, 'Queue wait per worker type'),
      timeseries(8, 'Queue wait p50 / p95 / p99: $worker_type', 's', quantiles('task_queue_wait_seconds'), {
        description: `Percentiles of queue wait (first delivery minus enqueue time) over 5m for worker type $worker_type (one panel per type). Line: queue_wait_p95_seconds (${d.queue_wait_p95_seconds ?? 'none'}).`,
        w: 6,
        min: 0,
        repeat: 'worker_type',
        ...line(d.queue_wait_p95_seconds),
      }),
      row(9, 'Distributions'),
      heatmap(10, 'Queue wait heatmap', 's', [q(`sum by (le) (max by (job, worker_type, le) (increase(${m.fleet_task_queue_wait_seconds}_bucket{${WT}}[$__rate_interval])))`)], {
        description: 'Tasks per queue-wait bucket and interval, for the selected worker types: a band moving up is a queue that stops draining.',
        w: 12,
      }),
      timeseries(
        11,
        'Recent task duration (latency lists)',
        's',
        [q(`max by (worker_type, quantile) (${m.fleet_task_recent_duration_seconds}{${WT}})`, '{{worker_type}} q{{quantile}}')],
        {
          description:
            'Quantiles over the newest entries of the latency lists workers push (redis.task_metrics.latency_list_key, seed-compatible). Not aggregatable across types or time: the histograms above are the ones to alert on.',
          w: 12,
          min: 0,
        },
      ),
    ],
  };
}
