-- fleet-exporter: indexes the presets rely on to stay cheap on big tables.
--
-- Run once per database, as the owner of the tables:
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/indexes.sql
-- CONCURRENTLY builds without blocking writes (so it cannot run inside a
-- transaction block: do not wrap this file in BEGIN/COMMIT). Every statement
-- is IF NOT EXISTS and can be re-run. Skip the sections of presets you do
-- not enable.
--
-- The partial indexes' WHERE clauses repeat the presets' default statuses
-- (active_statuses, running_status, pending_status). If preset_options
-- changes them, or renames tables/columns, change them here too: the planner
-- only uses a partial index when the query's status implies its predicate.
-- Plans and timings with and without these: docs/benchmarks-postgres.md.

-- shepherd: fleet_queries{status} for QUEUED/RUNNING (index-only count per
-- status), fleet_queries_oldest_running_age_seconds (first entry) and
-- fleet_callbacks_* (callbacks are matched against the active queries' qid).
CREATE INDEX CONCURRENTLY IF NOT EXISTS fleet_shepherd_brain_active_idx
  ON shepherd_brain (state, start_time) INCLUDE (qid) WHERE state IN ('QUEUED', 'RUNNING');
-- shepherd: fleet_queries_by_target (range of the last hour, index-only).
CREATE INDEX CONCURRENTLY IF NOT EXISTS fleet_shepherd_brain_start_time_idx
  ON shepherd_brain (start_time) INCLUDE (domain);

-- tasks: fleet_tasks{status} for active statuses and fleet_tasks_stuck{status}
-- (status = X AND updated_at < threshold: a range within one status).
CREATE INDEX CONCURRENTLY IF NOT EXISTS fleet_tasks_active_idx
  ON tasks (status, updated_at) WHERE status IN ('pending', 'assigned', 'running');
-- tasks: fleet_tasks_oldest_pending_age_seconds (first entry).
CREATE INDEX CONCURRENTLY IF NOT EXISTS fleet_tasks_pending_created_idx
  ON tasks (created_at) WHERE status = 'pending';
-- worker_heartbeats: one row per worker; the seed's own indexes suffice.

-- operations: fleet_operations{status} for active statuses and
-- fleet_operations_stale (RUNNING and not updated since the threshold).
CREATE INDEX CONCURRENTLY IF NOT EXISTS fleet_operations_active_idx
  ON operations (status, last_state_update_timestamp) WHERE status IN ('PENDING', 'RUNNING');

-- sandbox_events: fleet_sandbox_last_event_age_seconds walks the distinct
-- sandboxes (loose index scan) and reads each one's newest event.
CREATE INDEX CONCURRENTLY IF NOT EXISTS fleet_sandbox_events_sandbox_created_idx
  ON sandbox_events (sandbox_id, created_at);
