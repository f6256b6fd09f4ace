import { bargauge, instant, levels, q, row, stat, table, timeseries, upLevels, type DashboardSpec } from '../builder.js';
import type { Thresholds } from '../../../rules/src/thresholds.js';
import { metric as m } from '../../../src/metrics/names.js';

const WT = 'worker_type=~"$worker_type"';

/**
 * 2 = up, 1 = scaled down, 0 = crashed. The cause comes from the recording
 * rule FleetWorkerTypeDown uses (rules/workers.rules.yml), so the panel and
 * the alert always agree on why a type is down.
 */
const STATE = `max by (worker_type) (
    (${m.fleet_workers_alive}{${WT}} > 0) * 0 + 2
  or
    fleet:worker_type:down_cause{cause="scaled_down",${WT}} * 0 + 1
  or
    fleet:worker_type:down_cause{cause="crashed",${WT}} * 0
)`;

export function overview(t: Thresholds): DashboardSpec {
  return {
    uid: 'fleet-overview',
    title: 'Overview',
    description: 'Each worker type: alive, state (up / scaled down / crashed), backlog, utilization, scale events; alerts.',
    variables: [{ name: 'worker_type', label: 'Worker type', query: `label_values(${m.fleet_workers_alive}, worker_type)` }],
    annotations: [
      {
        name: 'Scale events',
        expr: `idelta(${m.fleet_workers_alive}{${WT}}[2m]) != 0`,
        color: 'blue',
        titleFormat: '{{worker_type}} scaled by {{value}}',
      },
      { name: 'Firing alerts', expr: 'ALERTS{alertstate="firing"}', color: 'red', titleFormat: '{{alertname}}' },
    ],
    items: [
      row(1, 'Worker types'),
      stat(2, 'Worker type state', 'none', [q(STATE, '{{worker_type}}')], {
        description: 'up: at least one live heartbeat. scaled down: none alive, but workers left clean-shutdown markers (SIGTERM). crashed: none alive and no marker.',
        w: 12,
        h: 5,
        mappings: [
          { value: 2, text: 'up', color: 'green' },
          { value: 1, text: 'scaled down', color: 'orange' },
          { value: 0, text: 'crashed', color: 'red' },
        ],
      }),
      stat(3, 'Live workers', 'none', [q(`${m.fleet_workers_alive}{${WT}}`, '{{worker_type}}')], {
        description: 'Workers with a live heartbeat key, per worker type.',
        w: 12,
        h: 5,
        thresholds: upLevels(),
      }),
      timeseries(
        4,
        'Live workers and minimum',
        'none',
        [q(`${m.fleet_workers_alive}{${WT}}`, '{{worker_type}} alive'), q(`${m.fleet_worker_min_alive}{${WT}}`, '{{worker_type}} minimum')],
        { description: 'Live workers against the configured minimum (min_alive).', w: 12, min: 0 },
      ),
      timeseries(5, 'Scale events', 'none', [q(`idelta(${m.fleet_workers_alive}{${WT}}[$__rate_interval]) != 0`, '{{worker_type}}')], {
        description: 'Change in live workers between scrapes: up bars are scale-ups, down bars scale-downs or crashes.',
        w: 12,
        bars: true,
      }),
      bargauge(6, 'Backlog by worker type', 'short', [instant(`fleet:worker_type:backlog{${WT}}`, '{{worker_type}}')], {
        description: 'Entries waiting (group lag) plus in flight (pending) on the streams each type consumes.',
        w: 8,
        thresholds: levels(t.streams.defaults.backlog_high),
      }),
      timeseries(7, 'Utilization (backlog / capacity)', 'percentunit', [q(`fleet:worker_type:utilization{${WT}}`, '{{worker_type}}')], {
        description: 'Backlog / (live workers x concurrency). Above 100 % the workers are not keeping up and autoscaling should add some; absent while none is alive.',
        w: 16,
        min: 0,
        thresholds: levels(1),
      }),
      timeseries(8, 'Heartbeat age (stalest live worker)', 's', [q(`${m.fleet_worker_heartbeat_max_age_seconds}{${WT}}`, '{{worker_type}}')], {
        description: 'Age of the oldest live heartbeat; near the TTL means a worker stopped refreshing.',
        w: 12,
        thresholds: levels(t.workers.heartbeat_ttl_seconds),
      }),
      timeseries(9, 'Clean shutdown markers', 'none', [q(`${m.fleet_worker_shutdown_markers}{${WT}}`, '{{worker_type}}')], {
        description: 'Workers that stopped on SIGTERM recently (the marker outlives the heartbeat).',
        w: 12,
      }),
      row(10, 'Alerts and dependencies'),
      table(11, 'Alerts (firing and pending)', 'none', [q('sum by (alertname, alertstate, severity, worker_type, stream) (ALERTS)')], {
        description: 'Prometheus alerts right now; see Alertmanager for silences and delivery.',
        w: 16,
        h: 8,
      }),
      stat(12, 'Sources up', 'none', [q('up{job="fleet-exporter"}', 'exporter {{instance}}'), q(`${m.fleet_redis_up}`, 'redis'), q(`${m.fleet_postgres_up}`, 'postgres')], {
        description: 'The exporter (as Prometheus sees it) and the sources it reads.',
        w: 8,
        thresholds: upLevels(),
      }),
    ],
  };
}
