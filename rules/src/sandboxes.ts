import { metric as m } from '../../src/metrics/names.js';
import { human, JOB as E, pq, prose, record, type Area } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-sandboxes', title });
const GIB = 1073741824;

export const sandboxes: Area = {
  file: 'sandboxes.rules.yml',
  group: ({ t, alert }) => {
    const s = t.sandboxes;
    const idle = s.zombie_idle_seconds;
    const started = `(${m.fleet_daytona_sandbox_info}{${E},state="started"} * 0 + 1)`;
    return {
      name: 'fleet-sandboxes',
      rules: [
        record('fleet:daytona:sandboxes', `sum without (target) (${m.fleet_daytona_sandboxes}{${E}})`),
        record(
          'fleet:daytona:cpu_core_hours:1h',
          pq`
            # Core-hours of started sandboxes consumed over the last hour.
            avg_over_time(${m.fleet_daytona_sandbox_cpu_cores}{${E},state="started"}[1h])`,
        ),
        record(
          'fleet:daytona:estimated_cost_per_hour',
          pq`
            # USD per hour at the prices in rules/thresholds.yml: cpu, memory, gpu of
            # started sandboxes, disk of started and stopped ones.
            sum by (job, instance) (
                label_replace(${m.fleet_daytona_sandbox_cpu_cores}{${E},state="started"} * ${s.price_per_cpu_core_hour}, "resource", "cpu", "", "")
              or
                label_replace(${m.fleet_daytona_sandbox_memory_bytes}{${E},state="started"} / ${GIB} * ${s.price_per_memory_gib_hour}, "resource", "memory", "", "")
              or
                label_replace(${m.fleet_daytona_sandbox_gpus}{${E},state="started"} * ${s.price_per_gpu_hour}, "resource", "gpu", "", "")
              or
                label_replace(${m.fleet_daytona_sandbox_disk_bytes}{${E},state=~"started|stopped"} / ${GIB} * ${s.price_per_disk_gib_hour}, "resource", "disk", "", "")
            )`,
        ),
        alert('FleetSandboxZombie', {
          expr: pq`
            (${m.fleet_daytona_sandbox_idle_seconds}{${E}} > ${idle})
              * on (job, instance, sandbox_id) group_left (name, target) ${started}
              unless on (sandbox_id) (${m.fleet_sandbox_last_event_age_seconds}{${E}} <= ${idle})`,
          for: s.zombie_for,
          severity: 'warning',
          collector: 'daytona',
          summary: 'Sandbox {{ $labels.sandbox_id }} is a zombie',
          description: prose`Sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) is started but
            has had no activity for {{ $value | humanizeDuration }} (threshold ${human(idle)}), and no sandbox event
            arrived in that time either: its worker is gone or hangs while the sandbox keeps costing money.`,
          panel: panel('Zombie sandboxes'),
        }),
        alert('FleetSandboxErrored', {
          expr: `${m.fleet_daytona_sandbox_info}{${E},state=~"error|build_failed"}`,
          for: s.errored_for,
          severity: 'warning',
          collector: 'daytona',
          summary: 'Sandbox {{ $labels.sandbox_id }} is in state {{ $labels.state }}',
          description: prose`Daytona reports sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }})
            in state {{ $labels.state }} for ${s.errored_for}: the task it was created for cannot run, and
            the sandbox may still hold resources until it is deleted.`,
          panel: panel('Sandboxes by state'),
        }),
        alert('FleetSandboxLongLived', {
          expr: pq`
            (${m.fleet_daytona_sandbox_age_seconds}{${E}} > ${s.long_lived_seconds})
              * on (job, instance, sandbox_id) group_left (name, target) ${started}`,
          for: s.long_lived_for,
          severity: 'info',
          collector: 'daytona',
          summary: 'Sandbox {{ $labels.sandbox_id }} has been running for a long time',
          description: prose`Sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) was created
            {{ $value | humanizeDuration }} ago and is still started (threshold ${human(s.long_lived_seconds)}).
            Check that it is still needed; forgotten sandboxes are a cost leak.`,
          panel: panel('Oldest sandboxes'),
        }),
      ],
    };
  },
};
