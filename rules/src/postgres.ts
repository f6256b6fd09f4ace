import { metric as m } from '../../src/metrics/names.js';
import { JOB as E, pct, prose, record, type Area, type Severity } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-postgres', title });

export const postgres: Area = {
  file: 'postgres.rules.yml',
  group: ({ t, alert }) => {
    const conn = (severity: Severity, r: number) =>
      alert('FleetPostgresConnectionsHigh', {
        expr: `fleet:postgres:connection_utilization > ${r}`,
        for: t.postgres.connections_for,
        severity,
        collector: 'postgres',
        summary: `Postgres connections are above ${pct(r)} of max_connections`,
        description: prose`Postgres behind {{ $labels.instance }} has {{ $value | humanizePercentage }} of max_connections
          in use (threshold ${pct(r)}). When it reaches 100% new connections fail and workers, the API and the exporter
          get "too many clients" errors.`,
        panel: panel('Connections'),
      });
    return {
      name: 'fleet-postgres',
      rules: [
        record(
          'fleet:postgres:connection_utilization',
          `sum without (state) (${m.fleet_postgres_connections}{${E}}) / on (job, instance) (${m.fleet_postgres_max_connections}{${E}} > 0)`,
        ),
        alert('FleetPostgresDown', {
          expr: `${m.fleet_postgres_up}{${E}} == 0`,
          for: t.postgres.down_for,
          severity: 'critical',
          collector: 'postgres',
          summary: 'Postgres is unreachable from fleet-exporter',
          description: prose`fleet-exporter {{ $labels.instance }} cannot connect to or query Postgres: application state
            (queries, callbacks, tasks, operations, sandbox events) is unreadable, and the application is likely failing too.
            Task, callback and operation alerts are inhibited while this fires.`,
          panel: panel('Postgres up'),
        }),
        conn('warning', t.postgres.connections_warning_ratio),
        conn('critical', t.postgres.connections_critical_ratio),
      ],
    };
  },
};
