// GENERATED from rules/src, rules/thresholds.yml and grafana/src by scripts/generate.ts
// (npm run generate). Do not edit: override _config instead (see README.md).
// Numbers as JavaScript prints them (jsonnet's own toString shows 0.8 as 0.80000000000000004).
local num(x) = if x == std.floor(x) then std.toString(x) else std.format('%.15g', x);
local pct(r) = num(std.floor(r * 1000 + 0.5) / 10) + '%';
local human(s) =
  if s > 0 && std.mod(s, 86400) == 0 then num(s / 86400) + 'd'
  else if s > 0 && std.mod(s, 3600) == 0 then num(s / 3600) + 'h'
  else if s > 0 && std.mod(s, 60) == 0 then num(s / 60) + 'm'
  else num(s) + 's';
{
  _config+:: {
    // Label matcher(s) selecting fleet-exporter's series in every rule.
    fleetExporterSelector: "job=\"fleet-exporter\"",
    // rules/thresholds.yml; the keys listed in README.md change the rules.
    thresholds: {
      "links": {
        "runbook_base_url": "https://github.com/fleet-exporter/fleet-exporter/blob/main/docs/runbooks.md",
        "grafana_url": "http://localhost:3000"
      },
      "selectors": {
        "node": "job=\"node\"",
        "node_filesystem": "fstype!~\"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs|fuse\\\\..*\",mountpoint!~\"/(proc|sys|dev|run)($|/).*\"",
        "blackbox": "job=\"blackbox\""
      },
      "exporter": {
        "down_for": "3m",
        "collector_failing_for": "5m",
        "collector_stale_seconds": 900,
        "startup_grace_seconds": 300,
        "shard_missing_for": "5m"
      },
      "workers": {
        "heartbeat_ttl_seconds": 15,
        "down_for": "1m",
        "shutdown_marker_window": "2m",
        "seen_alive_lookback": "1h",
        "below_minimum_for": "5m"
      },
      "streams": {
        "defaults": {
          "reclaim_min_idle_seconds": 30,
          "reclaim_margin_seconds": 60,
          "pending_stuck_seconds": 300,
          "backlog_high": 1000
        },
        "overrides": {},
        "backlog_high_for": "10m",
        "backlog_growing_min": 100,
        "backlog_growing_window": "15m",
        "backlog_growing_for": "20m",
        "pending_stuck_for": "2m",
        "poison_deliveries": 5,
        "poison_for": "1m",
        "phantom_consumers_max": 10,
        "phantom_for": "1h",
        "unbounded_length": 10000,
        "unbounded_oldest_age_seconds": 86400,
        "unbounded_for": "1h"
      },
      "redis": {
        "down_for": "1m",
        "memory_warning_ratio": 0.8,
        "memory_critical_ratio": 0.95,
        "memory_for": "5m"
      },
      "postgres": {
        "down_for": "1m",
        "connections_warning_ratio": 0.8,
        "connections_critical_ratio": 0.95,
        "connections_for": "5m"
      },
      "tasks": {
        "callbacks_stale_seconds": 600,
        "callbacks_stale_for": "5m",
        "callbacks_orphaned_for": "30m",
        "queries_stuck_seconds": 600,
        "queries_stuck_for": "5m",
        "tasks_stuck_for": "10m",
        "operation_stuck_for": "2m"
      },
      "task_metrics": {
        "defaults": {
          "failure_ratio": 0.05,
          "duration_p95_seconds": null,
          "queue_wait_p95_seconds": 300
        },
        "overrides": {},
        "min_tasks": 20,
        "failure_for": "10m",
        "duration_for": "10m",
        "queue_wait_for": "10m"
      },
      "sandboxes": {
        "zombie_idle_seconds": 600,
        "zombie_for": "1m",
        "errored_for": "2m",
        "long_lived_seconds": 86400,
        "long_lived_for": "5m",
        "price_per_cpu_core_hour": 0.0504,
        "price_per_memory_gib_hour": 0.0162,
        "price_per_disk_gib_hour": 0.000108,
        "price_per_gpu_hour": 0
      },
      "ec2": {
        "cpu_high_ratio": 0.9,
        "cpu_high_for": "10m",
        "memory_high_ratio": 0.9,
        "memory_high_for": "10m",
        "status_check_failed_for": "5m",
        "cloudwatch_stale_seconds": 2400,
        "cloudwatch_stale_for": "10m"
      },
      "host": {
        "cpu_warning_ratio": 0.8,
        "cpu_critical_ratio": 0.95,
        "cpu_for": "10m",
        "memory_warning_ratio": 0.8,
        "memory_critical_ratio": 0.95,
        "memory_for": "5m",
        "disk_warning_ratio": 0.8,
        "disk_critical_ratio": 0.95,
        "disk_for": "5m"
      },
      "endpoints": {
        "down_for": "2m"
      }
    },
  },
  prometheusAlerts+:: {
    groups+: [
      {
        "name": "fleet-ec2",
        "rules": [
          {
            "alert": "FleetInstanceCPUHigh",
            "expr": "fleet_ec2_cpu_utilization_ratio{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.ec2.cpu_high_ratio) + " and on (job, instance, instance_id) (fleet_ec2_instance_state{" + $._config.fleetExporterSelector + ",state=\"running\"} == 1)",
            "for": $._config.thresholds.ec2.cpu_high_for,
            "labels": {
              "severity": "warning",
              "collector": "aws",
            },
            "annotations": {
              "summary": "EC2 instance {{ $labels.instance_id }} CPU is above " + pct($._config.thresholds.ec2.cpu_high_ratio),
              "description": "CloudWatch reports {{ $value | humanizePercentage }} average CPU on instance {{ $labels.instance_id }} (threshold " + pct($._config.thresholds.ec2.cpu_high_ratio) + ") for " + $._config.thresholds.ec2.cpu_high_for + ": the workers on it are CPU-bound and tasks slow down.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetinstancecpuhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=5",
            },
          },
          {
            "alert": "FleetInstanceMemoryHigh",
            "expr": "fleet_ec2_memory_utilization_ratio{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.ec2.memory_high_ratio) + " and on (job, instance, instance_id) (fleet_ec2_instance_state{" + $._config.fleetExporterSelector + ",state=\"running\"} == 1)",
            "for": $._config.thresholds.ec2.memory_high_for,
            "labels": {
              "severity": "warning",
              "collector": "aws",
            },
            "annotations": {
              "summary": "EC2 instance {{ $labels.instance_id }} memory is above " + pct($._config.thresholds.ec2.memory_high_ratio),
              "description": "CloudWatch reports {{ $value | humanizePercentage }} memory in use on instance {{ $labels.instance_id }} (threshold " + pct($._config.thresholds.ec2.memory_high_ratio) + ") for " + $._config.thresholds.ec2.memory_high_for + ": the OOM killer may soon kill workers on it.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetinstancememoryhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=6",
            },
          },
          {
            "alert": "FleetInstanceStatusCheckFailed",
            "expr": "fleet_ec2_instance_status_check_ok{" + $._config.fleetExporterSelector + "} == 0 and on (job, instance, instance_id) (fleet_ec2_instance_state{" + $._config.fleetExporterSelector + ",state=\"running\"} == 1)",
            "for": $._config.thresholds.ec2.status_check_failed_for,
            "labels": {
              "severity": "critical",
              "collector": "aws",
            },
            "annotations": {
              "summary": "EC2 instance {{ $labels.instance_id }} fails its {{ $labels.check }} status check",
              "description": "The {{ $labels.check }} status check of running instance {{ $labels.instance_id }} has failed for " + $._config.thresholds.ec2.status_check_failed_for + ": the instance is impaired (system = AWS host or network, instance = OS or boot, ebs = attached volumes) and the workers on it are probably not working.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetinstancestatuscheckfailed",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=3",
            },
          },
          {
            "alert": "FleetCloudWatchStale",
            "expr": "fleet_cloudwatch_datapoint_age_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.ec2.cloudwatch_stale_seconds) + " and on (job, instance, instance_id) (fleet_ec2_instance_state{" + $._config.fleetExporterSelector + ",state=\"running\"} == 1)",
            "for": $._config.thresholds.ec2.cloudwatch_stale_for,
            "labels": {
              "severity": "warning",
              "collector": "aws",
            },
            "annotations": {
              "summary": "CloudWatch data of {{ $labels.instance_id }} is stale",
              "description": "The newest CloudWatch datapoint of running instance {{ $labels.instance_id }} is {{ $value | humanizeDuration }} old (threshold " + human($._config.thresholds.ec2.cloudwatch_stale_seconds) + "): CPU and memory alerts for it are blind (agent stopped, metrics not published, or API throttling).",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetcloudwatchstale",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=7",
            },
          },
        ],
      },
      {
        "name": "fleet-exporter",
        "rules": [
          {
            "record": "fleet:exporter:startup_grace",
            "expr": "# Present (value = process uptime in seconds) while the exporter started less\n# than " + human($._config.thresholds.exporter.startup_grace_seconds) + " ago; worker alerts are suppressed while it exists.\n(time() - process_start_time_seconds{" + $._config.fleetExporterSelector + "}) < " + num($._config.thresholds.exporter.startup_grace_seconds),
          },
          {
            "alert": "FleetExporterDown",
            "expr": "up{" + $._config.fleetExporterSelector + "} == 0\nor\nabsent(up{" + $._config.fleetExporterSelector + "})",
            "for": $._config.thresholds.exporter.down_for,
            "labels": {
              "severity": "critical",
            },
            "annotations": {
              "summary": "fleet-exporter is down",
              "description": "Prometheus cannot scrape fleet-exporter {{ with $labels.instance }}at {{ . }}{{ else }}(no target of " + $._config.fleetExporterSelector + " is configured or discovered){{ end }}. Every fleet alert (workers, streams, Postgres, sandboxes, EC2) is blind until it is back.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetexporterdown",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-exporter?viewPanel=2",
            },
          },
          {
            "alert": "FleetCollectorFailing",
            "expr": "  (time() - fleet_collector_last_success_timestamp_seconds{" + $._config.fleetExporterSelector + "})\n    and on (job, instance, collector) (fleet_collector_up{" + $._config.fleetExporterSelector + "} == 0)\nor\n  (time() - fleet_collector_last_success_timestamp_seconds{" + $._config.fleetExporterSelector + "}) > " + num($._config.thresholds.exporter.collector_stale_seconds) + "\nor\n  (fleet_collector_up{" + $._config.fleetExporterSelector + "} == 0)\n    unless on (job, instance, collector) fleet_collector_last_success_timestamp_seconds{" + $._config.fleetExporterSelector + "}",
            "for": $._config.thresholds.exporter.collector_failing_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "fleet-exporter collector {{ $labels.collector }} is failing",
              "description": "The {{ $labels.collector }} collector of {{ $labels.instance }} is failing: {{ if eq $value 0.0 }}it has not succeeded since the exporter started{{ else }}its last successful collection was {{ $value | humanizeDuration }} ago{{ end }}. Metrics from this source are missing or stale, so the alerts that depend on it cannot fire; the exporter log and fleet_collector_errors_total{collector=\"{{ $labels.collector }}\"} show the error.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetcollectorfailing",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-exporter?viewPanel=6",
            },
          },
          {
            "alert": "FleetExporterShardMissing",
            "expr": "max by (job, total_shards) (fleet_exporter_shard_info{" + $._config.fleetExporterSelector + "})\nunless on (job, total_shards)\ncount_values by (job) (\"total_shards\",\n  count by (job) (count by (job, shard) (fleet_exporter_shard_info{" + $._config.fleetExporterSelector + "})))",
            "for": $._config.thresholds.exporter.shard_missing_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Job {{ $labels.job }}: fewer distinct shards report than total_shards={{ $labels.total_shards }}",
              "description": "Fewer than the {{ $labels.total_shards }} shards of job {{ $labels.job }} report: a shard is down, two pods claim the same shard, or the shards disagree on --total-shards. The worker types of a missing shard are not monitored.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetexportershardmissing",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-exporter?viewPanel=14",
            },
          },
        ],
      },
      {
        "name": "fleet-host",
        "rules": [
          {
            "record": "fleet:host:cpu_utilization:rate5m",
            "expr": "1 - avg without (cpu, mode) (rate(node_cpu_seconds_total{" + $._config.thresholds.selectors.node + ",mode=\"idle\"}[5m]))",
          },
          {
            "record": "fleet:host:memory_utilization",
            "expr": "1 - node_memory_MemAvailable_bytes{" + $._config.thresholds.selectors.node + "} / node_memory_MemTotal_bytes{" + $._config.thresholds.selectors.node + "}",
          },
          {
            "record": "fleet:host:filesystem_utilization",
            "expr": "1 - node_filesystem_avail_bytes{" + $._config.thresholds.selectors.node + "," + $._config.thresholds.selectors.node_filesystem + "} / node_filesystem_size_bytes{" + $._config.thresholds.selectors.node + "," + $._config.thresholds.selectors.node_filesystem + "}",
          },
          {
            "alert": "FleetHostCPUHigh",
            "expr": "fleet:host:cpu_utilization:rate5m > " + num($._config.thresholds.host.cpu_warning_ratio),
            "for": $._config.thresholds.host.cpu_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Host {{ $labels.instance }} CPU is above " + pct($._config.thresholds.host.cpu_warning_ratio),
              "description": "CPU on host {{ $labels.instance }} has been {{ $value | humanizePercentage }} busy (threshold " + pct($._config.thresholds.host.cpu_warning_ratio) + ") for " + $._config.thresholds.host.cpu_for + ": processes on it are starved and slow down.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleethostcpuhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=11",
            },
          },
          {
            "alert": "FleetHostCPUHigh",
            "expr": "fleet:host:cpu_utilization:rate5m > " + num($._config.thresholds.host.cpu_critical_ratio),
            "for": $._config.thresholds.host.cpu_for,
            "labels": {
              "severity": "critical",
            },
            "annotations": {
              "summary": "Host {{ $labels.instance }} CPU is above " + pct($._config.thresholds.host.cpu_critical_ratio),
              "description": "CPU on host {{ $labels.instance }} has been {{ $value | humanizePercentage }} busy (threshold " + pct($._config.thresholds.host.cpu_critical_ratio) + ") for " + $._config.thresholds.host.cpu_for + ": processes on it are starved and slow down.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleethostcpuhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=11",
            },
          },
          {
            "alert": "FleetHostMemoryHigh",
            "expr": "fleet:host:memory_utilization > " + num($._config.thresholds.host.memory_warning_ratio),
            "for": $._config.thresholds.host.memory_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Host {{ $labels.instance }} memory is above " + pct($._config.thresholds.host.memory_warning_ratio),
              "description": "{{ $value | humanizePercentage }} of the memory of host {{ $labels.instance }} is in use (threshold " + pct($._config.thresholds.host.memory_warning_ratio) + ") for " + $._config.thresholds.host.memory_for + ": the kernel will soon swap or OOM-kill processes.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleethostmemoryhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=12",
            },
          },
          {
            "alert": "FleetHostMemoryHigh",
            "expr": "fleet:host:memory_utilization > " + num($._config.thresholds.host.memory_critical_ratio),
            "for": $._config.thresholds.host.memory_for,
            "labels": {
              "severity": "critical",
            },
            "annotations": {
              "summary": "Host {{ $labels.instance }} memory is above " + pct($._config.thresholds.host.memory_critical_ratio),
              "description": "{{ $value | humanizePercentage }} of the memory of host {{ $labels.instance }} is in use (threshold " + pct($._config.thresholds.host.memory_critical_ratio) + ") for " + $._config.thresholds.host.memory_for + ": the kernel will soon swap or OOM-kill processes.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleethostmemoryhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=12",
            },
          },
          {
            "alert": "FleetHostDiskFull",
            "expr": "fleet:host:filesystem_utilization > " + num($._config.thresholds.host.disk_warning_ratio),
            "for": $._config.thresholds.host.disk_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Host {{ $labels.instance }} disk {{ $labels.mountpoint }} is above " + pct($._config.thresholds.host.disk_warning_ratio),
              "description": "Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on host {{ $labels.instance }} is {{ $value | humanizePercentage }} full (threshold " + pct($._config.thresholds.host.disk_warning_ratio) + "): writes (logs, Redis RDB/AOF, Postgres WAL) fail when it reaches 100%.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleethostdiskfull",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=13",
            },
          },
          {
            "alert": "FleetHostDiskFull",
            "expr": "fleet:host:filesystem_utilization > " + num($._config.thresholds.host.disk_critical_ratio),
            "for": $._config.thresholds.host.disk_for,
            "labels": {
              "severity": "critical",
            },
            "annotations": {
              "summary": "Host {{ $labels.instance }} disk {{ $labels.mountpoint }} is above " + pct($._config.thresholds.host.disk_critical_ratio),
              "description": "Filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on host {{ $labels.instance }} is {{ $value | humanizePercentage }} full (threshold " + pct($._config.thresholds.host.disk_critical_ratio) + "): writes (logs, Redis RDB/AOF, Postgres WAL) fail when it reaches 100%.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleethostdiskfull",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=13",
            },
          },
          {
            "alert": "FleetEndpointDown",
            "expr": "probe_success{" + $._config.thresholds.selectors.blackbox + "} == 0",
            "for": $._config.thresholds.endpoints.down_for,
            "labels": {
              "severity": "critical",
            },
            "annotations": {
              "summary": "Health endpoint {{ $labels.instance }} is down",
              "description": "blackbox_exporter has failed to get a successful answer from {{ $labels.instance }} for " + $._config.thresholds.endpoints.down_for + ": the service behind it is down, hangs, or answers with an error status.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetendpointdown",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-ec2?viewPanel=14",
            },
          },
        ],
      },
      {
        "name": "fleet-postgres",
        "rules": [
          {
            "record": "fleet:postgres:connection_utilization",
            "expr": "sum without (state) (fleet_postgres_connections{" + $._config.fleetExporterSelector + "}) / on (job, instance) (fleet_postgres_max_connections{" + $._config.fleetExporterSelector + "} > 0)",
          },
          {
            "alert": "FleetPostgresDown",
            "expr": "fleet_postgres_up{" + $._config.fleetExporterSelector + "} == 0",
            "for": $._config.thresholds.postgres.down_for,
            "labels": {
              "severity": "critical",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Postgres is unreachable from fleet-exporter",
              "description": "fleet-exporter {{ $labels.instance }} cannot connect to or query Postgres: application state (queries, callbacks, tasks, operations, sandbox events) is unreadable, and the application is likely failing too. Task, callback and operation alerts are inhibited while this fires.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetpostgresdown",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=12",
            },
          },
          {
            "alert": "FleetPostgresConnectionsHigh",
            "expr": "fleet:postgres:connection_utilization > " + num($._config.thresholds.postgres.connections_warning_ratio),
            "for": $._config.thresholds.postgres.connections_for,
            "labels": {
              "severity": "warning",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Postgres connections are above " + pct($._config.thresholds.postgres.connections_warning_ratio) + " of max_connections",
              "description": "Postgres behind {{ $labels.instance }} has {{ $value | humanizePercentage }} of max_connections in use (threshold " + pct($._config.thresholds.postgres.connections_warning_ratio) + "). When it reaches 100% new connections fail and workers, the API and the exporter get \"too many clients\" errors.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetpostgresconnectionshigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=13",
            },
          },
          {
            "alert": "FleetPostgresConnectionsHigh",
            "expr": "fleet:postgres:connection_utilization > " + num($._config.thresholds.postgres.connections_critical_ratio),
            "for": $._config.thresholds.postgres.connections_for,
            "labels": {
              "severity": "critical",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Postgres connections are above " + pct($._config.thresholds.postgres.connections_critical_ratio) + " of max_connections",
              "description": "Postgres behind {{ $labels.instance }} has {{ $value | humanizePercentage }} of max_connections in use (threshold " + pct($._config.thresholds.postgres.connections_critical_ratio) + "). When it reaches 100% new connections fail and workers, the API and the exporter get \"too many clients\" errors.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetpostgresconnectionshigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=13",
            },
          },
        ],
      },
      {
        "name": "fleet-redis",
        "rules": [
          {
            "record": "fleet:redis:memory_utilization",
            "expr": "fleet_redis_used_memory_bytes{" + $._config.fleetExporterSelector + "} / on (job, instance) (fleet_redis_maxmemory_bytes{" + $._config.fleetExporterSelector + "} > 0)",
          },
          {
            "alert": "FleetRedisDown",
            "expr": "fleet_redis_up{" + $._config.fleetExporterSelector + "} == 0",
            "for": $._config.thresholds.redis.down_for,
            "labels": {
              "severity": "critical",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Redis is unreachable from fleet-exporter",
              "description": "fleet-exporter {{ $labels.instance }} cannot reach Redis: task streams, heartbeats and shutdown markers are unreadable, and if workers cannot reach it either no task is queued or processed. Stream and worker alerts are inhibited while this fires.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetredisdown",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=14",
            },
          },
          {
            "alert": "FleetRedisMemoryHigh",
            "expr": "fleet:redis:memory_utilization > " + num($._config.thresholds.redis.memory_warning_ratio),
            "for": $._config.thresholds.redis.memory_for,
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Redis memory is above " + pct($._config.thresholds.redis.memory_warning_ratio) + " of maxmemory",
              "description": "Redis behind {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its maxmemory (threshold " + pct($._config.thresholds.redis.memory_warning_ratio) + "). At 100% it evicts keys (heartbeats, stream entries) or refuses writes, depending on maxmemory-policy, and the fleet stops taking tasks.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetredismemoryhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=15",
            },
          },
          {
            "alert": "FleetRedisMemoryHigh",
            "expr": "fleet:redis:memory_utilization > " + num($._config.thresholds.redis.memory_critical_ratio),
            "for": $._config.thresholds.redis.memory_for,
            "labels": {
              "severity": "critical",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Redis memory is above " + pct($._config.thresholds.redis.memory_critical_ratio) + " of maxmemory",
              "description": "Redis behind {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its maxmemory (threshold " + pct($._config.thresholds.redis.memory_critical_ratio) + "). At 100% it evicts keys (heartbeats, stream entries) or refuses writes, depending on maxmemory-policy, and the fleet stops taking tasks.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetredismemoryhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=15",
            },
          },
        ],
      },
      {
        "name": "fleet-sandboxes",
        "rules": [
          {
            "record": "fleet:daytona:sandboxes",
            "expr": "sum without (target) (fleet_daytona_sandboxes{" + $._config.fleetExporterSelector + "})",
          },
          {
            "record": "fleet:daytona:cpu_core_hours:1h",
            "expr": "# Core-hours of started sandboxes consumed over the last hour.\navg_over_time(fleet_daytona_sandbox_cpu_cores{" + $._config.fleetExporterSelector + ",state=\"started\"}[1h])",
          },
          {
            "record": "fleet:daytona:estimated_cost_per_hour",
            "expr": "# USD per hour at the prices in rules/thresholds.yml: cpu, memory, gpu of\n# started sandboxes, disk of started and stopped ones.\nsum by (job, instance) (\n    label_replace(fleet_daytona_sandbox_cpu_cores{" + $._config.fleetExporterSelector + ",state=\"started\"} * " + num($._config.thresholds.sandboxes.price_per_cpu_core_hour) + ", \"resource\", \"cpu\", \"\", \"\")\n  or\n    label_replace(fleet_daytona_sandbox_memory_bytes{" + $._config.fleetExporterSelector + ",state=\"started\"} / 1073741824 * " + num($._config.thresholds.sandboxes.price_per_memory_gib_hour) + ", \"resource\", \"memory\", \"\", \"\")\n  or\n    label_replace(fleet_daytona_sandbox_gpus{" + $._config.fleetExporterSelector + ",state=\"started\"} * " + num($._config.thresholds.sandboxes.price_per_gpu_hour) + ", \"resource\", \"gpu\", \"\", \"\")\n  or\n    label_replace(fleet_daytona_sandbox_disk_bytes{" + $._config.fleetExporterSelector + ",state=~\"started|stopped\"} / 1073741824 * " + num($._config.thresholds.sandboxes.price_per_disk_gib_hour) + ", \"resource\", \"disk\", \"\", \"\")\n)",
          },
          {
            "alert": "FleetSandboxZombie",
            "expr": "(fleet_daytona_sandbox_idle_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.sandboxes.zombie_idle_seconds) + ")\n  * on (job, instance, sandbox_id) group_left (name, target) (fleet_daytona_sandbox_info{" + $._config.fleetExporterSelector + ",state=\"started\"} * 0 + 1)\n  unless on (sandbox_id) (fleet_sandbox_last_event_age_seconds{" + $._config.fleetExporterSelector + "} <= " + num($._config.thresholds.sandboxes.zombie_idle_seconds) + ")",
            "for": $._config.thresholds.sandboxes.zombie_for,
            "labels": {
              "severity": "warning",
              "collector": "daytona",
            },
            "annotations": {
              "summary": "Sandbox {{ $labels.sandbox_id }} is a zombie",
              "description": "Sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) is started but has had no activity for {{ $value | humanizeDuration }} (threshold " + human($._config.thresholds.sandboxes.zombie_idle_seconds) + "), and no sandbox event arrived in that time either: its worker is gone or hangs while the sandbox keeps costing money.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetsandboxzombie",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-sandboxes?viewPanel=4",
            },
          },
          {
            "alert": "FleetSandboxErrored",
            "expr": "fleet_daytona_sandbox_info{" + $._config.fleetExporterSelector + ",state=~\"error|build_failed\"}",
            "for": $._config.thresholds.sandboxes.errored_for,
            "labels": {
              "severity": "warning",
              "collector": "daytona",
            },
            "annotations": {
              "summary": "Sandbox {{ $labels.sandbox_id }} is in state {{ $labels.state }}",
              "description": "Daytona reports sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) in state {{ $labels.state }} for " + $._config.thresholds.sandboxes.errored_for + ": the task it was created for cannot run, and the sandbox may still hold resources until it is deleted.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetsandboxerrored",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-sandboxes?viewPanel=2",
            },
          },
          {
            "alert": "FleetSandboxLongLived",
            "expr": "(fleet_daytona_sandbox_age_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.sandboxes.long_lived_seconds) + ")\n  * on (job, instance, sandbox_id) group_left (name, target) (fleet_daytona_sandbox_info{" + $._config.fleetExporterSelector + ",state=\"started\"} * 0 + 1)",
            "for": $._config.thresholds.sandboxes.long_lived_for,
            "labels": {
              "severity": "info",
              "collector": "daytona",
            },
            "annotations": {
              "summary": "Sandbox {{ $labels.sandbox_id }} has been running for a long time",
              "description": "Sandbox {{ $labels.sandbox_id }} ({{ $labels.name }}, target {{ $labels.target }}) was created {{ $value | humanizeDuration }} ago and is still started (threshold " + human($._config.thresholds.sandboxes.long_lived_seconds) + "). Check that it is still needed; forgotten sandboxes are a cost leak.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetsandboxlonglived",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-sandboxes?viewPanel=6",
            },
          },
        ],
      },
      {
        "name": "fleet-streams",
        "rules": [
          {
            "record": "fleet:stream:arrival_rate5m",
            "expr": "rate(fleet_stream_entries_added_total{" + $._config.fleetExporterSelector + "}[5m])",
          },
          {
            "record": "fleet:stream_group:delivery_rate5m",
            "expr": "rate(fleet_stream_group_entries_read_total{" + $._config.fleetExporterSelector + "}[5m])",
          },
          {
            "alert": "FleetStreamBacklogHigh",
            "expr": "fleet_stream_group_lag{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.streams.defaults.backlog_high),
            "for": $._config.thresholds.streams.backlog_high_for,
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Stream {{ $labels.stream }} has a high backlog",
              "description": "{{ $value }} entries of stream {{ $labels.stream }} have not been delivered to group {{ $labels.group }} (threshold " + num($._config.thresholds.streams.defaults.backlog_high) + ") for " + $._config.thresholds.streams.backlog_high_for + ": workers do not keep up with arrivals and tasks wait before they start.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetstreambackloghigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=2",
            },
          },
          {
            "alert": "FleetStreamBacklogGrowing",
            "expr": "fleet_stream_group_lag{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.streams.backlog_growing_min) + "\n  and on (job, instance, stream, group)\nderiv(fleet_stream_group_lag{" + $._config.fleetExporterSelector + "}[" + $._config.thresholds.streams.backlog_growing_window + "]) > 0",
            "for": $._config.thresholds.streams.backlog_growing_for,
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Backlog of stream {{ $labels.stream }} keeps growing",
              "description": "The backlog of stream {{ $labels.stream }} for group {{ $labels.group }} has been growing for " + $._config.thresholds.streams.backlog_growing_for + " and is now {{ $value }} entries: arrivals outpace deliveries and the queue is not draining. Add workers or find what slows them down.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetstreambackloggrowing",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=2",
            },
          },
          {
            "alert": "FleetPendingStuck",
            "expr": "fleet_stream_group_oldest_pending_idle_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.streams.defaults.pending_stuck_seconds),
            "for": $._config.thresholds.streams.pending_stuck_for,
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Stream {{ $labels.stream }} has a pending entry that is not acknowledged",
              "description": "The oldest pending entry of stream {{ $labels.stream }} in group {{ $labels.group }} was delivered {{ $value | humanizeDuration }} ago and is still not acknowledged (threshold " + human($._config.thresholds.streams.defaults.pending_stuck_seconds) + "): its consumer is stuck or lost it, and the task is not progressing.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetpendingstuck",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=8",
            },
          },
          {
            "alert": "FleetStrandedMessages",
            "expr": "min_over_time(fleet_stream_group_orphaned_pending{" + $._config.fleetExporterSelector + "}[90s]) > 0",
            "for": "1m",
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Stream {{ $labels.stream }} has messages stranded on dead consumers",
              "description": "At least {{ $value }} pending entries of stream {{ $labels.stream }} (group {{ $labels.group }}) have been owned by consumers without a live heartbeat for longer than the reclaim idle floor of " + human($._config.thresholds.streams.defaults.reclaim_min_idle_seconds) + " plus " + human($._config.thresholds.streams.defaults.reclaim_margin_seconds) + ": nobody reclaims them (XAUTOCLAIM/XCLAIM), so those tasks are lost until someone does.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetstrandedmessages",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=9",
            },
          },
          {
            "alert": "FleetPoisonMessage",
            "expr": "fleet_stream_group_oldest_pending_deliveries{" + $._config.fleetExporterSelector + "} >= " + num($._config.thresholds.streams.poison_deliveries),
            "for": $._config.thresholds.streams.poison_for,
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Stream {{ $labels.stream }} has a poison message",
              "description": "The oldest pending entry of stream {{ $labels.stream }} (group {{ $labels.group }}) has been delivered {{ $value }} times (threshold " + num($._config.thresholds.streams.poison_deliveries) + "): every consumer that takes it fails or dies, so it is retried forever. Move it to a dead-letter stream and ack it.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetpoisonmessage",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=10",
            },
          },
          {
            "alert": "FleetPhantomConsumers",
            "expr": "fleet_stream_group_consumers{" + $._config.fleetExporterSelector + ",state=\"phantom\"} > " + num($._config.thresholds.streams.phantom_consumers_max),
            "for": $._config.thresholds.streams.phantom_for,
            "labels": {
              "severity": "info",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Stream {{ $labels.stream }} accumulates phantom consumers",
              "description": "Group {{ $labels.group }} of stream {{ $labels.stream }} has {{ $value }} consumers without a heartbeat and without pending entries (threshold " + num($._config.thresholds.streams.phantom_consumers_max) + "), left behind by restarted workers. They are harmless but clutter XINFO and idle statistics; delete them with XGROUP DELCONSUMER.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetphantomconsumers",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=11",
            },
          },
          {
            "alert": "FleetStreamUnbounded",
            "expr": "fleet_stream_length{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.streams.unbounded_length) + "\n  and on (job, instance, stream)\nfleet_stream_oldest_entry_age_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.streams.unbounded_oldest_age_seconds),
            "for": $._config.thresholds.streams.unbounded_for,
            "labels": {
              "severity": "info",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Stream {{ $labels.stream }} is not trimmed",
              "description": "Stream {{ $labels.stream }} holds {{ $value }} entries and its oldest entry is older than " + human($._config.thresholds.streams.unbounded_oldest_age_seconds) + ": acknowledged entries are never deleted or trimmed (XDEL/XTRIM), so the stream and Redis memory grow without bound.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetstreamunbounded",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-streams?viewPanel=4",
            },
          },
        ],
      },
      {
        "name": "fleet-task-metrics",
        "rules": [
          {
            "record": "fleet:worker_type_outcome:tasks:rate5m",
            "expr": "max by (job, worker_type, outcome) (rate(fleet_tasks_total{" + $._config.fleetExporterSelector + "}[5m]))",
          },
          {
            "record": "fleet:worker_type:tasks:rate5m",
            "expr": "sum by (job, worker_type) (fleet:worker_type_outcome:tasks:rate5m)",
          },
          {
            "record": "fleet:worker_type:task_failure_ratio:rate5m",
            "expr": "(\n  sum by (job, worker_type) (fleet:worker_type_outcome:tasks:rate5m{outcome!=\"ok\"})\nor\n  fleet:worker_type:tasks:rate5m * 0\n)\n/ (fleet:worker_type:tasks:rate5m > 0)",
          },
          {
            "record": "fleet:worker_type_le:task_duration_seconds_bucket:rate5m",
            "expr": "max by (job, worker_type, le) (rate(fleet_task_duration_seconds_bucket{" + $._config.fleetExporterSelector + "}[5m]))",
          },
          {
            "record": "fleet:worker_type:task_duration_seconds:p50_5m",
            "expr": "histogram_quantile(0.5, fleet:worker_type_le:task_duration_seconds_bucket:rate5m)",
          },
          {
            "record": "fleet:worker_type:task_duration_seconds:p95_5m",
            "expr": "histogram_quantile(0.95, fleet:worker_type_le:task_duration_seconds_bucket:rate5m)",
          },
          {
            "record": "fleet:worker_type:task_duration_seconds:p99_5m",
            "expr": "histogram_quantile(0.99, fleet:worker_type_le:task_duration_seconds_bucket:rate5m)",
          },
          {
            "record": "fleet:worker_type_le:task_queue_wait_seconds_bucket:rate5m",
            "expr": "max by (job, worker_type, le) (rate(fleet_task_queue_wait_seconds_bucket{" + $._config.fleetExporterSelector + "}[5m]))",
          },
          {
            "record": "fleet:worker_type:task_queue_wait_seconds:p50_5m",
            "expr": "histogram_quantile(0.5, fleet:worker_type_le:task_queue_wait_seconds_bucket:rate5m)",
          },
          {
            "record": "fleet:worker_type:task_queue_wait_seconds:p95_5m",
            "expr": "histogram_quantile(0.95, fleet:worker_type_le:task_queue_wait_seconds_bucket:rate5m)",
          },
          {
            "record": "fleet:worker_type:task_queue_wait_seconds:p99_5m",
            "expr": "histogram_quantile(0.99, fleet:worker_type_le:task_queue_wait_seconds_bucket:rate5m)",
          },
          {
            "alert": "FleetTaskFailureRateHigh",
            "expr": "fleet:worker_type:task_failure_ratio:rate5m > " + num($._config.thresholds.task_metrics.defaults.failure_ratio) + "\n  and on (job, worker_type)\nfleet:worker_type:tasks:rate5m * 300 >= " + num($._config.thresholds.task_metrics.min_tasks),
            "for": $._config.thresholds.task_metrics.failure_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Tasks of worker type {{ $labels.worker_type }} fail",
              "description": "{{ $value | humanizePercentage }} of the tasks of worker type {{ $labels.worker_type }} finished with an outcome other than ok over 5m (threshold " + pct($._config.thresholds.task_metrics.defaults.failure_ratio) + ", at least " + num($._config.thresholds.task_metrics.min_tasks) + " tasks), for " + $._config.thresholds.task_metrics.failure_for + ": a dependency fails, a bad deploy, or poison input.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleettaskfailureratehigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-tasks?viewPanel=3",
            },
          },
          {
            "alert": "FleetTaskLatencyHigh",
            "expr": "# no worker type has a task_metrics duration_p95_seconds: never fires\nfleet:worker_type:task_duration_seconds:p95_5m > +Inf\n  and on (job, worker_type)\nfleet:worker_type:tasks:rate5m * 300 >= " + num($._config.thresholds.task_metrics.min_tasks),
            "for": $._config.thresholds.task_metrics.duration_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Tasks of worker type {{ $labels.worker_type }} are slow",
              "description": "The 95th percentile duration of the tasks of worker type {{ $labels.worker_type }} is {{ $value | humanizeDuration }} over 5m (threshold none), for " + $._config.thresholds.task_metrics.duration_for + ": a slow dependency or heavier input; the backlog grows if it lasts.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleettasklatencyhigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-tasks?viewPanel=6",
            },
          },
          {
            "alert": "FleetTaskQueueWaitHigh",
            "expr": "fleet:worker_type:task_queue_wait_seconds:p95_5m > " + num($._config.thresholds.task_metrics.defaults.queue_wait_p95_seconds) + "\n  and on (job, worker_type)\nfleet:worker_type:tasks:rate5m * 300 >= " + num($._config.thresholds.task_metrics.min_tasks),
            "for": $._config.thresholds.task_metrics.queue_wait_for,
            "labels": {
              "severity": "warning",
            },
            "annotations": {
              "summary": "Tasks of worker type {{ $labels.worker_type }} wait long in the queue",
              "description": "The 95th percentile queue wait of the tasks of worker type {{ $labels.worker_type }} (first delivery minus enqueue time) is {{ $value | humanizeDuration }} over 5m (threshold " + human($._config.thresholds.task_metrics.defaults.queue_wait_p95_seconds) + "), for " + $._config.thresholds.task_metrics.queue_wait_for + ": too few workers for the arrivals, or entries stranded on dead consumers before someone reclaimed them.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleettaskqueuewaithigh",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-tasks?viewPanel=8",
            },
          },
        ],
      },
      {
        "name": "fleet-tasks",
        "rules": [
          {
            "alert": "FleetCallbacksStale",
            "expr": "fleet_callbacks_oldest_age_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.tasks.callbacks_stale_seconds),
            "for": $._config.thresholds.tasks.callbacks_stale_for,
            "labels": {
              "severity": "warning",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Pending callbacks are not being answered",
              "description": "The oldest pending callback row is {{ $value | humanizeDuration }} old (threshold " + human($._config.thresholds.tasks.callbacks_stale_seconds) + "): a downstream service did not answer and the queries waiting for it will time out.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetcallbacksstale",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=5",
            },
          },
          {
            "alert": "FleetCallbacksOrphaned",
            "expr": "fleet_callbacks_orphaned{" + $._config.fleetExporterSelector + "} > 0",
            "for": $._config.thresholds.tasks.callbacks_orphaned_for,
            "labels": {
              "severity": "warning",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Callback rows outlive their queries",
              "description": "{{ $value }} callback rows belong to queries that already finished, for more than " + $._config.thresholds.tasks.callbacks_orphaned_for + ": a completion path does not delete them and the janitor does not reap them, so the callbacks table grows without bound.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetcallbacksorphaned",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=4",
            },
          },
          {
            "alert": "FleetQueriesStuck",
            "expr": "fleet_queries_oldest_running_age_seconds{" + $._config.fleetExporterSelector + "} > " + num($._config.thresholds.tasks.queries_stuck_seconds),
            "for": $._config.thresholds.tasks.queries_stuck_for,
            "labels": {
              "severity": "warning",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "A query has been running for too long",
              "description": "The oldest running query started {{ $value | humanizeDuration }} ago (threshold " + human($._config.thresholds.tasks.queries_stuck_seconds) + "), past any time budget: it is stuck and its caller waits for an answer that will not come.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetqueriesstuck",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=3",
            },
          },
          {
            "alert": "FleetTasksStuck",
            "expr": "fleet_tasks_stuck{" + $._config.fleetExporterSelector + "} > 0",
            "for": $._config.thresholds.tasks.tasks_stuck_for,
            "labels": {
              "severity": "warning",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Tasks are stuck in status {{ $labels.status }}",
              "description": "{{ $value }} tasks in status {{ $labels.status }} have made no progress for longer than the tasks preset allows, for " + $._config.thresholds.tasks.tasks_stuck_for + ": their worker died or hangs and nobody reassigns them.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleettasksstuck",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=8",
            },
          },
          {
            "alert": "FleetOperationStuck",
            "expr": "fleet_operations_stale{" + $._config.fleetExporterSelector + "} > 0",
            "for": $._config.thresholds.tasks.operation_stuck_for,
            "labels": {
              "severity": "warning",
              "collector": "postgres",
            },
            "annotations": {
              "summary": "Operations are stuck in RUNNING",
              "description": "{{ $value }} operations are RUNNING without a state update for longer than the operations preset's stale_after_seconds (default 10m): the process that runs them is alive but its logic is stuck (zombie), or it died without marking them failed.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetoperationstuck",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-postgres?viewPanel=9",
            },
          },
        ],
      },
      {
        "name": "fleet-workers",
        "rules": [
          {
            "record": "fleet:worker_type:seen_alive",
            "expr": "# 1 for every worker type that has had at least one live worker. Latched:\n# once seen it stays 1 (through its own last value) while the exporter\n# reports the type, so a type that never had a worker never alerts and a\n# long outage keeps alerting.\n(\n    (max_over_time(fleet_workers_alive{" + $._config.fleetExporterSelector + "}[" + $._config.thresholds.workers.seen_alive_lookback + "]) > 0) * 0 + 1\n  or\n    last_over_time(fleet:worker_type:seen_alive[" + $._config.thresholds.workers.seen_alive_lookback + "])\n)\nand on (job, instance, worker_type) fleet_workers_alive{" + $._config.fleetExporterSelector + "}",
          },
          {
            "record": "fleet:worker_type:down_cause",
            "expr": "# Present while a type has no live worker; label cause is decided when the\n# count drops to zero and kept (through its own previous value, which ends\n# with a staleness marker when a worker is back) until a worker\n# is back: scaled_down if a clean-shutdown marker was seen within\n# " + $._config.thresholds.workers.shutdown_marker_window + ", else crashed.\n(\n    fleet:worker_type:down_cause\n  or on (job, instance, worker_type)\n    label_replace((max_over_time(fleet_worker_shutdown_markers{" + $._config.fleetExporterSelector + "}[" + $._config.thresholds.workers.shutdown_marker_window + "]) > 0) * 0 + 1, \"cause\", \"scaled_down\", \"\", \"\")\n  or on (job, instance, worker_type)\n    label_replace(fleet_workers_alive{" + $._config.fleetExporterSelector + "} * 0 + 1, \"cause\", \"crashed\", \"\", \"\")\n)\nand on (job, instance, worker_type) (fleet_workers_alive{" + $._config.fleetExporterSelector + "} == 0)",
          },
          {
            "record": "fleet:worker_type:capacity",
            "expr": "fleet_workers_alive{" + $._config.fleetExporterSelector + "} * on (job, instance, worker_type) fleet_worker_concurrency{" + $._config.fleetExporterSelector + "}",
          },
          {
            "record": "fleet:stream_group:backlog",
            "expr": "# Entries not yet done: undelivered (lag; 0 when Redis cannot tell) + delivered, not acked.\n  (fleet_stream_group_lag{" + $._config.fleetExporterSelector + "} or on (job, instance, stream, group) fleet_stream_group_pending{" + $._config.fleetExporterSelector + "} * 0)\n+ on (job, instance, stream, group)\n  fleet_stream_group_pending{" + $._config.fleetExporterSelector + "}",
          },
          {
            "record": "fleet:stream:backlog",
            "expr": "sum without (group) (fleet:stream_group:backlog)",
          },
          {
            "record": "fleet:worker_type:backlog",
            "expr": "# Stream -> worker type through fleet_worker_stream_info when the exporter\n# exports it, else the contract default (worker_type = stream name).\n  sum without (stream) (fleet:stream:backlog * on (job, instance, stream) group_left (worker_type) fleet_worker_stream_info{" + $._config.fleetExporterSelector + "})\nor on (job, instance, worker_type)\n  sum without (stream) (\n    label_replace(fleet:stream:backlog unless on (job, instance, stream) fleet_worker_stream_info{" + $._config.fleetExporterSelector + "}, \"worker_type\", \"$1\", \"stream\", \"(.*)\")\n  )",
          },
          {
            "record": "fleet:worker_type:utilization",
            "expr": "# backlog / (alive x concurrency); absent while no worker is alive.\nfleet:worker_type:backlog / on (job, instance, worker_type) (fleet:worker_type:capacity > 0)",
          },
          {
            "record": "fleet:worker_type:heartbeat_age_ratio",
            "expr": "# Stalest live heartbeat as a fraction of the heartbeat TTL (" + human($._config.thresholds.workers.heartbeat_ttl_seconds) + "); near 1 = about to expire.\nfleet_worker_heartbeat_max_age_seconds{" + $._config.fleetExporterSelector + "} / " + num($._config.thresholds.workers.heartbeat_ttl_seconds),
          },
          {
            "alert": "FleetWorkerTypeDown",
            "expr": "(\n    (fleet_worker_min_alive{" + $._config.fleetExporterSelector + "} > 0)\n  or on (job, instance, worker_type)\n    (fleet_workers_alive{" + $._config.fleetExporterSelector + "} * 0 + 1 unless on (job, instance, worker_type) fleet_worker_min_alive{" + $._config.fleetExporterSelector + "})\n)\n  * on (job, instance, worker_type) group_left (cause) fleet:worker_type:down_cause\n  and on (job, instance, worker_type) fleet:worker_type:seen_alive\n  unless on (job, instance) fleet:exporter:startup_grace",
            "for": $._config.thresholds.workers.down_for,
            "labels": {
              "severity": "critical",
              "collector": "redis",
            },
            "annotations": {
              "summary": "{{ if eq $labels.cause \"scaled_down\" }}Worker type {{ $labels.worker_type }} was scaled down to zero{{ else }}Worker type {{ $labels.worker_type }} crashed: no live workers{{ end }}",
              "description": "{{ if eq $labels.cause \"scaled_down\" }}Every worker of type {{ $labels.worker_type }} shut down cleanly (a clean-shutdown marker was present when the last heartbeat went away), so the type was scaled to zero by a deploy, an autoscaler or an operator. 0 of the required {{ $value }} workers are alive and tasks on its stream wait until one starts.{{ else }}No worker of type {{ $labels.worker_type }} has a live heartbeat and none left a clean-shutdown marker: the workers died without SIGTERM (crash, OOM kill, lost host). 0 of the required {{ $value }} workers are alive and tasks on its stream are not processed; messages they held stay pending until reclaimed.{{ end }}",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetworkertypedown",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-overview?viewPanel=2",
            },
          },
          {
            "alert": "FleetWorkersBelowMinimum",
            "expr": "(fleet_workers_alive{" + $._config.fleetExporterSelector + "} > 0)\n  < on (job, instance, worker_type) fleet_worker_min_alive{" + $._config.fleetExporterSelector + "}\n  unless on (job, instance) fleet:exporter:startup_grace",
            "for": $._config.thresholds.workers.below_minimum_for,
            "labels": {
              "severity": "warning",
              "collector": "redis",
            },
            "annotations": {
              "summary": "Worker type {{ $labels.worker_type }} runs below its minimum",
              "description": "Only {{ $value }} worker(s) of type {{ $labels.worker_type }} have a live heartbeat, fewer than its configured min_alive ({{ with printf \"fleet_worker_min_alive{job=%q,instance=%q,worker_type=%q}\" $labels.job $labels.instance $labels.worker_type | query }}{{ . | first | value }}{{ end }}). The type still processes tasks but with less capacity and no redundancy.",
              "runbook_url": $._config.thresholds.links.runbook_base_url + "#fleetworkersbelowminimum",
              "dashboard_url": $._config.thresholds.links.grafana_url + "/d/fleet-overview?viewPanel=4",
            },
          },
        ],
      },
    ],
  },
  prometheusRules+:: {
    groups+: [
    ],
  },
  grafanaDashboards+:: {
    "fleet-ec2.json": import "dashboards/fleet-ec2.json",
    "fleet-exporter.json": import "dashboards/fleet-exporter.json",
    "fleet-overview.json": import "dashboards/fleet-overview.json",
    "fleet-postgres.json": import "dashboards/fleet-postgres.json",
    "fleet-sandboxes.json": import "dashboards/fleet-sandboxes.json",
    "fleet-streams.json": import "dashboards/fleet-streams.json",
    "fleet-tasks.json": import "dashboards/fleet-tasks.json",
  },
}
