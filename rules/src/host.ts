import { pct, prose, record, sel, type Area, type RuleContext, type Severity } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-ec2', title });
type HostKey = 'cpu' | 'memory' | 'disk';

/** A warning and a critical alert on one host utilization recording rule. */
function pair({ t, alert }: RuleContext, name: string, key: HostKey, o: { what: string; rec: string; panel: string; description: (r: number) => string }) {
  return (['warning', 'critical'] as Severity[]).map((severity) => {
    const r = t.host[`${key}_${severity as 'warning' | 'critical'}_ratio`];
    return alert(name, {
      expr: `${o.rec} > ${r}`,
      for: t.host[`${key}_for`],
      severity,
      summary: `Host {{ $labels.instance }} ${o.what} is above ${pct(r)}`,
      description: o.description(r),
      panel: panel(o.panel),
    });
  });
}

export const host: Area = {
  file: 'host.rules.yml',
  group: (ctx) => {
    const { t, alert } = ctx;
    const { node, node_filesystem: fs, blackbox: bb } = t.selectors;
    return {
      name: 'fleet-host',
      rules: [
        record('fleet:host:cpu_utilization:rate5m', `1 - avg without (cpu, mode) (rate(node_cpu_seconds_total${sel(node, 'mode="idle"')}[5m]))`),
        record('fleet:host:memory_utilization', `1 - node_memory_MemAvailable_bytes${sel(node)} / node_memory_MemTotal_bytes${sel(node)}`),
        record('fleet:host:filesystem_utilization', `1 - node_filesystem_avail_bytes${sel(node, fs)} / node_filesystem_size_bytes${sel(node, fs)}`),
        ...pair(ctx, 'FleetHostCPUHigh', 'cpu', {
          what: 'CPU',
          rec: 'fleet:host:cpu_utilization:rate5m',
          panel: 'Host CPU',
          description: (r) => prose`CPU on host {{ $labels.instance }} has been {{ $value | humanizePercentage }} busy
            (threshold ${pct(r)}) for ${t.host.cpu_for}: processes on it are starved and slow down.`,
        }),
        ...pair(ctx, 'FleetHostMemoryHigh', 'memory', {
          what: 'memory',
          rec: 'fleet:host:memory_utilization',
          panel: 'Host memory',
          description: (r) => prose`{{ $value | humanizePercentage }} of the memory of host {{ $labels.instance }} is in use
            (threshold ${pct(r)}) for ${t.host.memory_for}: the kernel will soon swap or OOM-kill processes.`,
        }),
        ...pair(ctx, 'FleetHostDiskFull', 'disk', {
          what: 'disk {{ $labels.mountpoint }}',
          rec: 'fleet:host:filesystem_utilization',
          panel: 'Host disk',
          description: (r) => prose`Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on host {{ $labels.instance }} is
            {{ $value | humanizePercentage }} full (threshold ${pct(r)}): writes (logs, Redis RDB/AOF, Postgres WAL)
            fail when it reaches 100%.`,
        }),
        alert('FleetEndpointDown', {
          expr: `probe_success${sel(bb)} == 0`,
          for: t.endpoints.down_for,
          severity: 'critical',
          summary: 'Health endpoint {{ $labels.instance }} is down',
          description: prose`blackbox_exporter has failed to get a successful answer from {{ $labels.instance }} for
            ${t.endpoints.down_for}: the service behind it is down, hangs, or answers with an error status.`,
          panel: panel('Endpoints up'),
        }),
      ],
    };
  },
};
