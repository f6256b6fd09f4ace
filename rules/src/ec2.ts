import { metric as m } from '../../src/metrics/names.js';
import { human, JOB as E, pct, prose, type Area } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-ec2', title });

export const ec2: Area = {
  file: 'ec2.rules.yml',
  group: ({ t, alert }) => {
    const e = t.ec2;
    const running = `on (job, instance, instance_id) (${m.fleet_ec2_instance_state}{${E},state="running"} == 1)`;
    return {
      name: 'fleet-ec2',
      rules: [
        alert('FleetInstanceCPUHigh', {
          expr: `${m.fleet_ec2_cpu_utilization_ratio}{${E}} > ${e.cpu_high_ratio} and ${running}`,
          for: e.cpu_high_for,
          severity: 'warning',
          collector: 'aws',
          summary: `EC2 instance {{ $labels.instance_id }} CPU is above ${pct(e.cpu_high_ratio)}`,
          description: prose`CloudWatch reports {{ $value | humanizePercentage }} average CPU on instance
            {{ $labels.instance_id }} (threshold ${pct(e.cpu_high_ratio)}) for ${e.cpu_high_for}:
            the workers on it are CPU-bound and tasks slow down.`,
          panel: panel('CPU utilization (CloudWatch)'),
        }),
        alert('FleetInstanceMemoryHigh', {
          expr: `${m.fleet_ec2_memory_utilization_ratio}{${E}} > ${e.memory_high_ratio} and ${running}`,
          for: e.memory_high_for,
          severity: 'warning',
          collector: 'aws',
          summary: `EC2 instance {{ $labels.instance_id }} memory is above ${pct(e.memory_high_ratio)}`,
          description: prose`CloudWatch reports {{ $value | humanizePercentage }} memory in use on instance
            {{ $labels.instance_id }} (threshold ${pct(e.memory_high_ratio)}) for ${e.memory_high_for}:
            the OOM killer may soon kill workers on it.`,
          panel: panel('Memory utilization (CloudWatch agent)'),
        }),
        alert('FleetInstanceStatusCheckFailed', {
          expr: `${m.fleet_ec2_instance_status_check_ok}{${E}} == 0 and ${running}`,
          for: e.status_check_failed_for,
          severity: 'critical',
          collector: 'aws',
          summary: 'EC2 instance {{ $labels.instance_id }} fails its {{ $labels.check }} status check',
          description: prose`The {{ $labels.check }} status check of running instance {{ $labels.instance_id }} has failed
            for ${e.status_check_failed_for}: the instance is impaired (system = AWS host or network,
            instance = OS or boot, ebs = attached volumes) and the workers on it are probably not working.`,
          panel: panel('Failing status checks'),
        }),
        alert('FleetCloudWatchStale', {
          expr: `${m.fleet_cloudwatch_datapoint_age_seconds}{${E}} > ${e.cloudwatch_stale_seconds} and ${running}`,
          for: e.cloudwatch_stale_for,
          severity: 'warning',
          collector: 'aws',
          summary: 'CloudWatch data of {{ $labels.instance_id }} is stale',
          description: prose`The newest CloudWatch datapoint of running instance {{ $labels.instance_id }} is
            {{ $value | humanizeDuration }} old (threshold ${human(e.cloudwatch_stale_seconds)}): CPU and
            memory alerts for it are blind (agent stopped, metrics not published, or API throttling).`,
          panel: panel('CloudWatch datapoint age'),
        }),
      ],
    };
  },
};
