-- fleet-exporter remediate: a least-privilege role for reap_callbacks.
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v password="$FLEET_REMEDIATE_PASSWORD" -f sql/grant-remediate.sql
--
-- (run as a superuser or a role with CREATEROLE that owns the tables, in the
-- monitored database). Re-runnable. Kept apart from the exporter's read-only
-- fleet_exporter role (sql/grant-readonly.sql): the exporter never writes.
-- The role gets SELECT on the shepherd queries table and SELECT + DELETE on
-- the callbacks table, nothing else: no INSERT, no UPDATE, no other table.
-- Tables renamed in postgres.preset_options.shepherd need the same grants.
-- Without -v password the role is created without one (for peer/cert auth).

\if :{?password}
  SELECT format('CREATE ROLE fleet_remediate LOGIN PASSWORD %L', :'password')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fleet_remediate')
  \gexec
  SELECT format('ALTER ROLE fleet_remediate PASSWORD %L', :'password')
  \gexec
\else
  SELECT 'CREATE ROLE fleet_remediate LOGIN'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fleet_remediate')
  \gexec
\endif

ALTER ROLE fleet_remediate SET statement_timeout = '30s';

SELECT format('GRANT CONNECT ON DATABASE %I TO fleet_remediate', current_database())
\gexec
GRANT USAGE ON SCHEMA public TO fleet_remediate;
GRANT SELECT ON shepherd_brain TO fleet_remediate;
GRANT SELECT, DELETE ON callbacks TO fleet_remediate;
