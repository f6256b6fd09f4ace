import { levels, q, row, stat, table, timeseries, type DashboardSpec } from '../builder.js';
import type { Thresholds } from '../../../rules/src/thresholds.js';
import { metric as m } from '../../../src/metrics/names.js';

const started = '{state="started"}';

export function sandboxes(t: Thresholds): DashboardSpec {
  const s = t.sandboxes;
  const zombies = `${m.fleet_daytona_sandbox_idle_seconds} > ${s.zombie_idle_seconds} and on (sandbox_id) ${m.fleet_daytona_sandbox_info}${started}`;
  return {
    uid: 'fleet-sandboxes',
    title: 'Sandboxes',
    description: 'Daytona sandboxes: count by state, idle and zombie sandboxes, resources and estimated cost.',
    variables: [],
    items: [
      row(1, 'Sandboxes'),
      timeseries(2, 'Sandboxes by state', 'short', [q(`sum by (state) (${m.fleet_daytona_sandboxes})`, '{{state}}')], {
        description: 'Sandboxes by Daytona state; any in "error" needs a look.',
        w: 12,
        stacked: true,
      }),
      timeseries(3, 'Sandboxes by target', 'short', [q(`sum by (target) (${m.fleet_daytona_sandboxes})`, '{{target}}')], {
        description: 'Sandboxes per Daytona target (region).',
        w: 12,
        stacked: true,
      }),
      stat(4, 'Zombie sandboxes', 'short', [q(`count(${zombies})`, 'zombies')], {
        description: `Started sandboxes without activity for more than ${s.zombie_idle_seconds} s: they cost money and do nothing. No value = none.`,
        w: 6,
        thresholds: levels(1),
      }),
      table(5, 'Idle sandboxes', 's', [q(`topk(10, ${m.fleet_daytona_sandbox_idle_seconds})`)], {
        description: 'Longest time since last activity (lastActivityAt), per sandbox.',
        w: 9,
      }),
      table(6, 'Oldest sandboxes', 's', [q(`topk(10, ${m.fleet_daytona_sandbox_age_seconds})`)], {
        description: `Sandbox age since creation; alert when started longer than ${s.long_lived_seconds} s.`,
        w: 9,
      }),
      row(7, 'Resources and cost'),
      timeseries(8, 'CPU cores by state', 'short', [q(`sum by (state) (${m.fleet_daytona_sandbox_cpu_cores})`, '{{state}}')], {
        description: 'vCPUs allocated to sandboxes.',
        w: 6,
        stacked: true,
      }),
      timeseries(9, 'Memory by state', 'bytes', [q(`sum by (state) (${m.fleet_daytona_sandbox_memory_bytes})`, '{{state}}')], {
        description: 'Memory allocated to sandboxes.',
        w: 6,
        stacked: true,
      }),
      timeseries(10, 'Disk by state', 'bytes', [q(`sum by (state) (${m.fleet_daytona_sandbox_disk_bytes})`, '{{state}}')], {
        description: 'Disk allocated to sandboxes.',
        w: 6,
        stacked: true,
      }),
      timeseries(11, 'GPUs by state', 'short', [q(`sum by (state) (${m.fleet_daytona_sandbox_gpus})`, '{{state}}')], {
        description: 'GPUs allocated to sandboxes.',
        w: 6,
        stacked: true,
      }),
      timeseries(
        12,
        'Estimated cost',
        'currencyUSD',
        [q('sum(fleet:daytona:estimated_cost_per_hour)', 'USD per hour'), q('sum(fleet:daytona:estimated_cost_per_hour) * 24', 'USD per day at this rate')],
        {
          description:
            'Allocated resources x the list prices in rules/thresholds.yml (sandboxes.price_*), from the recording rule fleet:daytona:estimated_cost_per_hour: an estimate, not a bill.',
          w: 24,
        },
      ),
    ],
  };
}
