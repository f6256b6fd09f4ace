-- fleet-exporter: a least-privilege role for the exporter.
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v password="$FLEET_EXPORTER_PASSWORD" -f sql/grant-readonly.sql
--
-- (run as a superuser or a role with CREATEROLE that owns the tables, in the
-- monitored database). Re-runnable. The role gets:
--   * pg_monitor: reads pg_stat_activity for every role (connections by
--     state, oldest transaction, lock waits) and pg_database_size;
--   * SELECT on the preset tables only, nothing else; no INSERT/UPDATE/DELETE,
--     and every session is read-only by default on top of that.
-- Without -v password the role is created without one (for peer/cert auth).
-- Declarative metrics on other tables need their own GRANT SELECT.

\if :{?password}
  SELECT format('CREATE ROLE fleet_exporter LOGIN PASSWORD %L', :'password')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fleet_exporter')
  \gexec
  SELECT format('ALTER ROLE fleet_exporter PASSWORD %L', :'password')
  \gexec
\else
  SELECT 'CREATE ROLE fleet_exporter LOGIN'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fleet_exporter')
  \gexec
\endif

ALTER ROLE fleet_exporter SET default_transaction_read_only = on;
ALTER ROLE fleet_exporter SET statement_timeout = '5s';
GRANT pg_monitor TO fleet_exporter;

SELECT format('GRANT CONNECT ON DATABASE %I TO fleet_exporter', current_database())
\gexec
GRANT USAGE ON SCHEMA public TO fleet_exporter;

-- Only tables that exist are granted, so the file works whichever presets you use.
SELECT format('GRANT SELECT ON %I.%I TO fleet_exporter', schemaname, tablename)
FROM pg_tables
WHERE schemaname = 'public'
  AND tablename IN ('shepherd_brain', 'callbacks', 'tasks', 'worker_heartbeats', 'operations', 'sandbox_events')
\gexec
