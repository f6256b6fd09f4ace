/**
 * The names of the metric families the exporter exposes, shared by the
 * collectors, the rules, the dashboards and the status page, so a misspelt
 * name fails to compile instead of silently matching no series.
 * Use them as `metric.fleet_stream_length` (the key is the name, so a grep
 * for a name finds every use).
 */
const NAMES = [
  // exporter self-metrics
  'fleet_exporter_build_info',
  'fleet_exporter_shard_info',
  'fleet_collector_up',
  'fleet_collector_duration_seconds',
  'fleet_collector_last_success_timestamp_seconds',
  'fleet_collector_errors_total',
  'fleet_series_dropped_total',
  // Redis and streams
  'fleet_redis_up',
  'fleet_redis_used_memory_bytes',
  'fleet_redis_maxmemory_bytes',
  'fleet_redis_connected_clients',
  'fleet_redis_discovery_age_seconds',
  'fleet_stream_length',
  'fleet_stream_entries_added_total',
  'fleet_stream_oldest_entry_age_seconds',
  'fleet_stream_last_entry_age_seconds',
  'fleet_stream_group_entries_read_total',
  'fleet_stream_group_lag',
  'fleet_stream_group_pending',
  'fleet_stream_group_oldest_pending_idle_seconds',
  'fleet_stream_group_oldest_pending_deliveries',
  'fleet_stream_group_consumers',
  'fleet_stream_group_orphaned_pending',
  'fleet_stream_consumer_pending',
  'fleet_stream_consumer_idle_seconds',
  // workers
  'fleet_workers_alive',
  'fleet_worker_shutdown_markers',
  'fleet_worker_min_alive',
  'fleet_worker_concurrency',
  'fleet_worker_heartbeat_max_age_seconds',
  'fleet_worker_stream_info',
  // tasks (worker:metrics hashes and latency lists)
  'fleet_tasks_total',
  'fleet_task_duration_seconds',
  'fleet_task_queue_wait_seconds',
  'fleet_task_recent_duration_seconds',
  'fleet_task_metrics_invalid_fields',
  // Postgres and its presets
  'fleet_postgres_up',
  'fleet_postgres_probe_duration_seconds',
  'fleet_postgres_connections',
  'fleet_postgres_max_connections',
  'fleet_postgres_database_size_bytes',
  'fleet_postgres_oldest_transaction_age_seconds',
  'fleet_postgres_lock_waiting_queries',
  'fleet_sql_query_duration_seconds',
  'fleet_sql_query_errors_total',
  'fleet_queries',
  'fleet_queries_by_target',
  'fleet_queries_oldest_running_age_seconds',
  'fleet_callbacks_pending',
  'fleet_callbacks_oldest_age_seconds',
  'fleet_callbacks_orphaned',
  'fleet_tasks',
  'fleet_tasks_stuck',
  'fleet_tasks_oldest_pending_age_seconds',
  'fleet_operations',
  'fleet_operations_stale',
  'fleet_sandbox_last_event_age_seconds',
  // Daytona
  'fleet_daytona_sandboxes',
  'fleet_daytona_sandboxes_listed',
  'fleet_daytona_sandboxes_auto_stop_disabled',
  'fleet_daytona_invalid_sandboxes',
  'fleet_daytona_sandbox_cpu_cores',
  'fleet_daytona_sandbox_memory_bytes',
  'fleet_daytona_sandbox_disk_bytes',
  'fleet_daytona_sandbox_gpus',
  'fleet_daytona_sandbox_info',
  'fleet_daytona_sandbox_error',
  'fleet_daytona_sandbox_age_seconds',
  'fleet_daytona_sandbox_idle_seconds',
  'fleet_daytona_sandbox_auto_stop_seconds',
  'fleet_daytona_estimated_cost_per_hour',
  'fleet_daytona_requests_total',
  'fleet_daytona_refresh_duration_seconds',
  'fleet_daytona_refresh_pages',
  // AWS
  'fleet_ec2_instances',
  'fleet_ec2_instance_info',
  'fleet_ec2_instance_state',
  'fleet_ec2_instance_status_check_ok',
  'fleet_ec2_cpu_utilization_ratio',
  'fleet_ec2_memory_utilization_ratio',
  'fleet_cloudwatch_datapoint_age_seconds',
  'fleet_cloudwatch_metrics_requested_total',
  'fleet_aws_requests_total',
  'fleet_aws_refresh_success_timestamp_seconds',
] as const;

export type MetricName = (typeof NAMES)[number];

export const metricNames: readonly MetricName[] = NAMES;

export const metric = Object.fromEntries(NAMES.map((n) => [n, n])) as { readonly [N in MetricName]: N };
