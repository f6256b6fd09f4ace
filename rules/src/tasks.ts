import { metric as m } from '../../src/metrics/names.js';
import { human, JOB as E, prose, type Area } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-postgres', title });

export const tasks: Area = {
  file: 'tasks.rules.yml',
  group: ({ t, alert }) => {
    const k = t.tasks;
    return {
      name: 'fleet-tasks',
      rules: [
        alert('FleetCallbacksStale', {
          expr: `${m.fleet_callbacks_oldest_age_seconds}{${E}} > ${k.callbacks_stale_seconds}`,
          for: k.callbacks_stale_for,
          severity: 'warning',
          collector: 'postgres',
          summary: 'Pending callbacks are not being answered',
          description: prose`The oldest pending callback row is {{ $value | humanizeDuration }} old
            (threshold ${human(k.callbacks_stale_seconds)}): a downstream service did not answer and the
            queries waiting for it will time out.`,
          panel: panel('Oldest pending callback'),
        }),
        alert('FleetCallbacksOrphaned', {
          expr: `${m.fleet_callbacks_orphaned}{${E}} > 0`,
          for: k.callbacks_orphaned_for,
          severity: 'warning',
          collector: 'postgres',
          summary: 'Callback rows outlive their queries',
          description: prose`{{ $value }} callback rows belong to queries that already finished, for more than
            ${k.callbacks_orphaned_for}: a completion path does not delete them and the janitor does not reap
            them, so the callbacks table grows without bound.`,
          panel: panel('Callbacks pending and orphaned'),
        }),
        alert('FleetQueriesStuck', {
          expr: `${m.fleet_queries_oldest_running_age_seconds}{${E}} > ${k.queries_stuck_seconds}`,
          for: k.queries_stuck_for,
          severity: 'warning',
          collector: 'postgres',
          summary: 'A query has been running for too long',
          description: prose`The oldest running query started {{ $value | humanizeDuration }} ago
            (threshold ${human(k.queries_stuck_seconds)}), past any time budget: it is stuck and its caller
            waits for an answer that will not come.`,
          panel: panel('Oldest running query'),
        }),
        alert('FleetTasksStuck', {
          expr: `${m.fleet_tasks_stuck}{${E}} > 0`,
          for: k.tasks_stuck_for,
          severity: 'warning',
          collector: 'postgres',
          summary: 'Tasks are stuck in status {{ $labels.status }}',
          description: prose`{{ $value }} tasks in status {{ $labels.status }} have made no progress for longer than the
            tasks preset allows, for ${k.tasks_stuck_for}: their worker died or hangs and nobody reassigns them.`,
          panel: panel('Stuck tasks'),
        }),
        alert('FleetOperationStuck', {
          expr: `${m.fleet_operations_stale}{${E}} > 0`,
          for: k.operation_stuck_for,
          severity: 'warning',
          collector: 'postgres',
          summary: 'Operations are stuck in RUNNING',
          description: prose`{{ $value }} operations are RUNNING without a state update for longer than the operations
            preset's stale_after_seconds (default 10m): the process that runs them is alive but its logic is stuck
            (zombie), or it died without marking them failed.`,
          panel: panel('Operations by status and stale'),
        }),
      ],
    };
  },
};
