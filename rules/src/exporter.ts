import { metric as m } from '../../src/metrics/names.js';
import { human, JOB as E, pq, prose, record, type Area } from './build.js';

export const exporter: Area = {
  file: 'exporter.rules.yml',
  group: ({ t, alert }) => {
    const G = t.exporter.startup_grace_seconds;
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
          for: t.exporter.down_for,
          severity: 'critical',
          summary: 'fleet-exporter is down',
          description: prose`Prometheus cannot scrape fleet-exporter
            {{ with $labels.instance }}at {{ . }}{{ else }}(no target of job="fleet-exporter" is configured or discovered){{ end }}.
            Every fleet alert (workers, streams, Postgres, sandboxes, EC2) is blind until it is back.`,
          panel: { dashboard: 'fleet-exporter', title: 'Exporter up' },
        }),
        alert('FleetCollectorFailing', {
          expr: pq`
              (time() - ${m.fleet_collector_last_success_timestamp_seconds}{${E}})
                and on (job, instance, collector) (${m.fleet_collector_up}{${E}} == 0)
            or
              (time() - ${m.fleet_collector_last_success_timestamp_seconds}{${E}}) > ${t.exporter.collector_stale_seconds}
            or
              (${m.fleet_collector_up}{${E}} == 0)
                unless on (job, instance, collector) ${m.fleet_collector_last_success_timestamp_seconds}{${E}}`,
          for: t.exporter.collector_failing_for,
          severity: 'warning',
          summary: 'fleet-exporter collector {{ $labels.collector }} is failing',
          description: prose`The {{ $labels.collector }} collector of {{ $labels.instance }} is failing:
            {{ if eq $value 0.0 }}it has not succeeded since the exporter started{{ else }}its last successful collection was {{ $value | humanizeDuration }} ago{{ end }}.
            Metrics from this source are missing or stale, so the alerts that depend on it cannot fire;
            the exporter log and ${m.fleet_collector_errors_total}{collector="{{ $labels.collector }}"} show the error.`,
          panel: { dashboard: 'fleet-exporter', title: 'Collector up' },
        }),
        alert('FleetExporterShardMissing', {
          // Distinct shards reporting, per job, against the total the shards were started with.
          expr: pq`
            max by (job, total_shards) (${m.fleet_exporter_shard_info}{${E}})
            unless on (job, total_shards)
            count_values by (job) ("total_shards",
              count by (job) (count by (job, shard) (${m.fleet_exporter_shard_info}{${E}})))`,
          for: t.exporter.shard_missing_for,
          severity: 'warning',
          summary: 'Job {{ $labels.job }}: fewer distinct shards report than total_shards={{ $labels.total_shards }}',
          description: prose`Fewer than the {{ $labels.total_shards }} shards of job {{ $labels.job }} report:
            a shard is down, two pods claim the same shard, or the shards disagree on --total-shards.
            The worker types of a missing shard are not monitored.`,
          panel: { dashboard: 'fleet-exporter', title: 'Shards reporting' },
        }),
      ],
    };
  },
};
