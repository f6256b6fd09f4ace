import { q, row, stat, table, timeseries, upLevels, type DashboardSpec } from '../builder.js';
import { metric as m } from '../../../src/metrics/names.js';

const JOB = 'job="fleet-exporter"';

export function exporter(): DashboardSpec {
  return {
    uid: 'fleet-exporter',
    title: 'Exporter',
    description: 'fleet-exporter itself: is it scraped, which collectors succeed, how long they take, what the caps drop.',
    variables: [],
    items: [
      row(1, 'Scrapes'),
      stat(2, 'Exporter up', 'none', [q(`up{${JOB}}`, '{{instance}}')], {
        description: 'Whether Prometheus could scrape the exporter.',
        w: 6,
        thresholds: upLevels(),
      }),
      table(3, 'Build', 'none', [q(`${m.fleet_exporter_build_info}`)], { description: 'Exporter and Node.js versions per instance.', w: 9 }),
      timeseries(4, 'Scrape duration', 's', [q(`scrape_duration_seconds{${JOB}}`, '{{instance}}')], {
        description: "How long Prometheus's scrape of /metrics took (all collectors, in parallel).",
        w: 9,
      }),
      timeseries(
        14,
        'Shards reporting',
        'none',
        [q(`count by (job, total_shards) (count by (job, shard, total_shards) (${m.fleet_exporter_shard_info}))`, 'shards reporting of {{total_shards}}')],
        { description: 'Distinct shards that report, against --total-shards (1 of 1 when not sharded): fewer means worker types nobody watches.' },
      ),
      row(5, 'Collectors'),
      timeseries(6, 'Collector up', 'none', [q(`${m.fleet_collector_up}`, '{{collector}}')], {
        description: '1 when the last collection succeeded; a failing collector never fails the whole scrape.',
        w: 12,
        min: 0,
        max: 1,
        thresholds: upLevels(),
      }),
      timeseries(7, 'Collector duration', 's', [q(`${m.fleet_collector_duration_seconds}`, '{{collector}}')], {
        description: 'Time each collector took on the last collection.',
        w: 12,
      }),
      timeseries(8, 'Collector errors', 'ops', [q(`sum by (collector) (rate(${m.fleet_collector_errors_total}[$__rate_interval]))`, '{{collector}}')], {
        description: 'Failed collections per second; the exporter log says why.',
      }),
      timeseries(9, 'Time since last success', 's', [q(`time() - ${m.fleet_collector_last_success_timestamp_seconds}`, '{{collector}}')], {
        description: 'For background collectors (Daytona, AWS) this is the age of the data being served.',
      }),
      timeseries(10, 'Series dropped by caps', 'ops', [q(`sum by (collector) (rate(${m.fleet_series_dropped_total}[$__rate_interval]))`, '{{collector}}')], {
        description: 'Per-entity series left out because of max_*_series caps: raise the cap or accept the aggregate view.',
      }),
      row(11, 'Process'),
      timeseries(12, 'Resident memory', 'bytes', [q(`process_resident_memory_bytes{${JOB}}`, '{{instance}}')], { description: 'RSS of the exporter process.', w: 12 }),
      timeseries(13, 'CPU', 'percentunit', [q(`rate(process_cpu_seconds_total{${JOB}}[$__rate_interval])`, '{{instance}}')], {
        description: 'CPU share the exporter uses.',
        w: 12,
      }),
    ],
  };
}
