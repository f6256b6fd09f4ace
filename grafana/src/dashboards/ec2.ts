import { levels, q, row, stat, table, timeseries, upLevels, type DashboardSpec } from '../builder.js';
import type { Thresholds } from '../../../rules/src/thresholds.js';
import { metric as m } from '../../../src/metrics/names.js';

/** CloudWatch GetMetricData list price: USD 0.01 per 1,000 metrics requested. */
const USD_PER_CLOUDWATCH_METRIC = 0.01 / 1000;
const NODE_EXPORTER = 'runs in the compose stack; npm run stack starts it only where prometheus-node-exporter is installed';
const BLACKBOX = 'runs in the compose stack; npm run stack starts it only where prometheus-blackbox-exporter is installed';

export function ec2(t: Thresholds): DashboardSpec {
  const { blackbox } = t.selectors;
  const h = t.host;
  return {
    uid: 'fleet-ec2',
    title: 'EC2 hosts',
    description: 'EC2 instances (state, status checks, CloudWatch CPU/memory and freshness, AWS API cost), plus node_exporter hosts and blackbox endpoint probes.',
    variables: [],
    items: [
      row(1, 'Instances'),
      timeseries(2, 'Instances by state', 'short', [q(`sum by (state) (${m.fleet_ec2_instances})`, '{{state}}')], {
        description: 'EC2 instances by state (pending, running, stopping, stopped, ...).',
        stacked: true,
      }),
      table(3, 'Failing status checks', 'none', [q(`${m.fleet_ec2_instance_status_check_ok} == 0 and on (instance_id) ${m.fleet_ec2_instance_state}{state="running"}`)], {
        description: 'Running instances whose system or instance status check is not ok. Empty = all checks pass.',
        w: 8,
      }),
      table(4, 'Instances', 'none', [q(`${m.fleet_ec2_instance_info}`)], {
        description: 'Instance id, type, availability zone and Name tag.',
        w: 8,
      }),
      timeseries(5, 'CPU utilization (CloudWatch)', 'percentunit', [q(`${m.fleet_ec2_cpu_utilization_ratio}`, '{{instance_id}}')], {
        description: `CloudWatch CPUUtilization. Line: ${t.ec2.cpu_high_ratio * 100} %.`,
        w: 12,
        min: 0,
        max: 1,
        thresholds: levels(t.ec2.cpu_high_ratio),
      }),
      timeseries(6, 'Memory utilization (CloudWatch agent)', 'percentunit', [q(`${m.fleet_ec2_memory_utilization_ratio}`, '{{instance_id}}')], {
        description: `mem_used_percent from the CloudWatch agent (absent without the agent). Line: ${t.ec2.memory_high_ratio * 100} %.`,
        w: 12,
        min: 0,
        max: 1,
        thresholds: levels(t.ec2.memory_high_ratio),
      }),
      timeseries(7, 'CloudWatch datapoint age', 's', [q(`${m.fleet_cloudwatch_datapoint_age_seconds}`, '{{instance_id}}')], {
        description: `Age of the newest CloudWatch datapoint per instance. Line: ${t.ec2.cloudwatch_stale_seconds} s.`,
        thresholds: levels(t.ec2.cloudwatch_stale_seconds),
      }),
      timeseries(
        8,
        'AWS API requests',
        'reqps',
        [q(`sum by (service, operation, outcome) (rate(${m.fleet_aws_requests_total}[$__rate_interval]))`, '{{service}} {{operation}} {{outcome}}')],
        { description: 'EC2 and CloudWatch API calls by the exporter. They refresh in the background, so this does not grow with scrapes.' },
      ),
      timeseries(
        9,
        'CloudWatch API cost',
        'currencyUSD',
        [q(`rate(${m.fleet_cloudwatch_metrics_requested_total}[$__rate_interval]) * 86400 * ${USD_PER_CLOUDWATCH_METRIC}`, 'USD per day at this rate')],
        { description: 'GetMetricData metrics requested x USD 0.01 / 1,000 (list price; EC2 Describe calls are free).' },
      ),
      row(10, 'Hosts (node_exporter) and endpoints (blackbox_exporter)'),
      timeseries(11, 'Host CPU', 'percentunit', [q('fleet:host:cpu_utilization:rate5m', '{{instance}}')], {
        description: `Busy CPU share per host (5 min average, as the alert sees it); alerts at ${h.cpu_warning_ratio * 100} % / ${h.cpu_critical_ratio * 100} %.`,
        min: 0,
        max: 1,
        thresholds: levels(h.cpu_warning_ratio, h.cpu_critical_ratio),
        notFilledByDemo: NODE_EXPORTER,
      }),
      timeseries(12, 'Host memory', 'percentunit', [q('fleet:host:memory_utilization', '{{instance}}')], {
        description: `Memory in use (not available) per host; alerts at ${h.memory_warning_ratio * 100} % / ${h.memory_critical_ratio * 100} %.`,
        min: 0,
        max: 1,
        thresholds: levels(h.memory_warning_ratio, h.memory_critical_ratio),
        notFilledByDemo: NODE_EXPORTER,
      }),
      timeseries(13, 'Host disk', 'percentunit', [q('fleet:host:filesystem_utilization', '{{instance}} {{mountpoint}}')], {
        description: `Filesystem space in use; alerts at ${h.disk_warning_ratio * 100} % / ${h.disk_critical_ratio * 100} %.`,
        min: 0,
        max: 1,
        thresholds: levels(h.disk_warning_ratio, h.disk_critical_ratio),
        notFilledByDemo: NODE_EXPORTER,
      }),
      stat(14, 'Endpoints up', 'none', [q(`probe_success{${blackbox}}`, '{{instance}}')], {
        description: 'blackbox_exporter HTTP probes of the /health endpoints listed in prometheus/prometheus.yml.',
        w: 12,
        thresholds: upLevels(),
        notFilledByDemo: BLACKBOX,
      }),
      timeseries(15, 'Probe duration', 's', [q(`probe_duration_seconds{${blackbox}}`, '{{instance}}')], {
        description: 'How long each probe took.',
        w: 12,
        notFilledByDemo: BLACKBOX,
      }),
    ],
  };
}
