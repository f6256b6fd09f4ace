import { metric as m } from '../../src/metrics/names.js';
import { JOB as E, pq, prose, record, type Area } from './build.js';

export const workers: Area = {
  file: 'workers.rules.yml',
  group: ({ t, alert }) => {
    const w = t.workers;
    const ttl = w.heartbeat_ttl_seconds;
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
                (max_over_time(${m.fleet_workers_alive}{${E}}[${w.seen_alive_lookback}]) > 0) * 0 + 1
              or
                last_over_time(fleet:worker_type:seen_alive[${w.seen_alive_lookback}])
            )
            and on (job, instance, worker_type) ${m.fleet_workers_alive}{${E}}`,
        ),
        record(
          'fleet:worker_type:down_cause',
          pq`
            # Present while a type has no live worker; label cause is decided when the
            # count drops to zero and kept (through its own previous value, which ends
            # with a staleness marker when a worker is back) until a worker
            # is back: scaled_down if a clean-shutdown marker was seen within
            # ${w.shutdown_marker_window}, else crashed.
            (
                fleet:worker_type:down_cause
              or on (job, instance, worker_type)
                label_replace((max_over_time(${m.fleet_worker_shutdown_markers}{${E}}[${w.shutdown_marker_window}]) > 0) * 0 + 1, "cause", "scaled_down", "", "")
              or on (job, instance, worker_type)
                label_replace(${m.fleet_workers_alive}{${E}} * 0 + 1, "cause", "crashed", "", "")
            )
            and on (job, instance, worker_type) (${m.fleet_workers_alive}{${E}} == 0)`,
        ),
        record(
          'fleet:worker_type:capacity',
          pq`
            ${m.fleet_workers_alive}{${E}} * on (job, instance, worker_type) ${m.fleet_worker_concurrency}{${E}}`,
        ),
        record(
          'fleet:stream_group:backlog',
          pq`
            # Entries not yet done: undelivered (lag; 0 when Redis cannot tell) + delivered, not acked.
              (${m.fleet_stream_group_lag}{${E}} or on (job, instance, stream, group) ${m.fleet_stream_group_pending}{${E}} * 0)
            + on (job, instance, stream, group)
              ${m.fleet_stream_group_pending}{${E}}`,
        ),
        record('fleet:stream:backlog', 'sum without (group) (fleet:stream_group:backlog)'),
        record(
          'fleet:worker_type:backlog',
          pq`
            # Stream -> worker type through ${m.fleet_worker_stream_info} when the exporter
            # exports it, else the contract default (worker_type = stream name).
              sum without (stream) (fleet:stream:backlog * on (job, instance, stream) group_left (worker_type) ${m.fleet_worker_stream_info}{${E}})
            or on (job, instance, worker_type)
              sum without (stream) (
                label_replace(fleet:stream:backlog unless on (job, instance, stream) ${m.fleet_worker_stream_info}{${E}}, "worker_type", "$1", "stream", "(.*)")
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
            ${m.fleet_worker_heartbeat_max_age_seconds}{${E}} / ${ttl}`,
        ),
        alert('FleetWorkerTypeDown', {
          // min_alive defaults to 1 where only fleet_workers_alive exists (heartbeat
          // table of the Postgres tasks preset); min_alive 0 allows scale-to-zero.
          expr: pq`
            (
                (${m.fleet_worker_min_alive}{${E}} > 0)
              or on (job, instance, worker_type)
                (${m.fleet_workers_alive}{${E}} * 0 + 1 unless on (job, instance, worker_type) ${m.fleet_worker_min_alive}{${E}})
            )
              * on (job, instance, worker_type) group_left (cause) fleet:worker_type:down_cause
              and on (job, instance, worker_type) fleet:worker_type:seen_alive
              ${grace}`,
          for: w.down_for,
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
          panel: { dashboard: 'fleet-overview', title: 'Worker type state' },
        }),
        alert('FleetWorkersBelowMinimum', {
          expr: pq`
            (${m.fleet_workers_alive}{${E}} > 0)
              < on (job, instance, worker_type) ${m.fleet_worker_min_alive}{${E}}
              ${grace}`,
          for: w.below_minimum_for,
          severity: 'warning',
          collector: 'redis',
          summary: 'Worker type {{ $labels.worker_type }} runs below its minimum',
          description: prose`Only {{ $value }} worker(s) of type {{ $labels.worker_type }} have a live heartbeat,
            fewer than its configured min_alive
            ({{ with printf "${m.fleet_worker_min_alive}{job=%q,instance=%q,worker_type=%q}" $labels.job $labels.instance $labels.worker_type | query }}{{ . | first | value }}{{ end }}).
            The type still processes tasks but with less capacity and no redundancy.`,
          panel: { dashboard: 'fleet-overview', title: 'Live workers and minimum' },
        }),
      ],
    };
  },
};
