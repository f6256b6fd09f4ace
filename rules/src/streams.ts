import { metric as m } from '../../src/metrics/names.js';
import { human, JOB as E, pq, prose, record, sel, type Area } from './build.js';

const panel = (title: string) => ({ dashboard: 'fleet-streams', title });

export const streams: Area = {
  file: 'streams.rules.yml',
  group: ({ t, alert, perStreamExpr, perStreamTemplate }) => {
    const s = t.streams;
    const margin = s.defaults.reclaim_margin_seconds;
    return {
      name: 'fleet-streams',
      rules: [
        record('fleet:stream:arrival_rate5m', `rate(${m.fleet_stream_entries_added_total}{${E}}[5m])`),
        record('fleet:stream_group:delivery_rate5m', `rate(${m.fleet_stream_group_entries_read_total}{${E}}[5m])`),
        alert('FleetStreamBacklogHigh', {
          expr: perStreamExpr('backlog_high', (matcher, v) => `${m.fleet_stream_group_lag}${sel(E, matcher)} > ${v}`),
          for: s.backlog_high_for,
          severity: 'warning',
          collector: 'redis',
          summary: 'Stream {{ $labels.stream }} has a high backlog',
          description: prose`{{ $value }} entries of stream {{ $labels.stream }} have not been delivered to group
            {{ $labels.group }} (threshold ${perStreamTemplate('backlog_high')}) for ${s.backlog_high_for}:
            workers do not keep up with arrivals and tasks wait before they start.`,
          panel: panel('Backlog (undelivered entries)'),
        }),
        alert('FleetStreamBacklogGrowing', {
          expr: pq`
            ${m.fleet_stream_group_lag}{${E}} > ${s.backlog_growing_min}
              and on (job, instance, stream, group)
            deriv(${m.fleet_stream_group_lag}{${E}}[${s.backlog_growing_window}]) > 0`,
          for: s.backlog_growing_for,
          severity: 'warning',
          collector: 'redis',
          summary: 'Backlog of stream {{ $labels.stream }} keeps growing',
          description: prose`The backlog of stream {{ $labels.stream }} for group {{ $labels.group }} has been growing
            for ${s.backlog_growing_for} and is now {{ $value }} entries: arrivals outpace deliveries and
            the queue is not draining. Add workers or find what slows them down.`,
          panel: panel('Backlog (undelivered entries)'),
        }),
        alert('FleetPendingStuck', {
          expr: perStreamExpr('pending_stuck_seconds', (matcher, v) => `${m.fleet_stream_group_oldest_pending_idle_seconds}${sel(E, matcher)} > ${v}`),
          for: s.pending_stuck_for,
          severity: 'warning',
          collector: 'redis',
          summary: 'Stream {{ $labels.stream }} has a pending entry that is not acknowledged',
          description: prose`The oldest pending entry of stream {{ $labels.stream }} in group {{ $labels.group }} was delivered
            {{ $value | humanizeDuration }} ago and is still not acknowledged (threshold ${perStreamTemplate('pending_stuck_seconds', human)}):
            its consumer is stuck or lost it, and the task is not progressing.`,
          panel: panel('Oldest pending idle'),
        }),
        alert('FleetStrandedMessages', {
          // Orphaned entries present for the whole reclaim idle floor + margin of the stream.
          expr: perStreamExpr('reclaim_min_idle_seconds', (matcher, v) => `min_over_time(${m.fleet_stream_group_orphaned_pending}${sel(E, matcher)}[${human(v + margin)}]) > 0`),
          for: '1m',
          severity: 'warning',
          collector: 'redis',
          summary: 'Stream {{ $labels.stream }} has messages stranded on dead consumers',
          description: prose`At least {{ $value }} pending entries of stream {{ $labels.stream }} (group {{ $labels.group }}) have been owned
            by consumers without a live heartbeat for longer than the reclaim idle floor of
            ${perStreamTemplate('reclaim_min_idle_seconds', human)} plus ${human(margin)}: nobody reclaims them
            (XAUTOCLAIM/XCLAIM), so those tasks are lost until someone does.`,
          panel: panel('Stranded messages (orphaned pending)'),
        }),
        alert('FleetPoisonMessage', {
          expr: `${m.fleet_stream_group_oldest_pending_deliveries}{${E}} >= ${s.poison_deliveries}`,
          for: s.poison_for,
          severity: 'warning',
          collector: 'redis',
          summary: 'Stream {{ $labels.stream }} has a poison message',
          description: prose`The oldest pending entry of stream {{ $labels.stream }} (group {{ $labels.group }}) has been delivered
            {{ $value }} times (threshold ${s.poison_deliveries}): every consumer that takes it fails or dies,
            so it is retried forever. Move it to a dead-letter stream and ack it.`,
          panel: panel('Poison messages (oldest pending deliveries)'),
        }),
        alert('FleetPhantomConsumers', {
          expr: `${m.fleet_stream_group_consumers}{${E},state="phantom"} > ${s.phantom_consumers_max}`,
          for: s.phantom_for,
          severity: 'info',
          collector: 'redis',
          summary: 'Stream {{ $labels.stream }} accumulates phantom consumers',
          description: prose`Group {{ $labels.group }} of stream {{ $labels.stream }} has {{ $value }} consumers without a
            heartbeat and without pending entries (threshold ${s.phantom_consumers_max}), left behind by
            restarted workers. They are harmless but clutter XINFO and idle statistics; delete them with XGROUP DELCONSUMER.`,
          panel: panel('Consumers by state'),
        }),
        alert('FleetStreamUnbounded', {
          expr: pq`
            ${m.fleet_stream_length}{${E}} > ${s.unbounded_length}
              and on (job, instance, stream)
            ${m.fleet_stream_oldest_entry_age_seconds}{${E}} > ${s.unbounded_oldest_age_seconds}`,
          for: s.unbounded_for,
          severity: 'info',
          collector: 'redis',
          summary: 'Stream {{ $labels.stream }} is not trimmed',
          description: prose`Stream {{ $labels.stream }} holds {{ $value }} entries and its oldest entry is older than
            ${human(s.unbounded_oldest_age_seconds)}: acknowledged entries are never deleted or trimmed
            (XDEL/XTRIM), so the stream and Redis memory grow without bound.`,
          panel: panel('Stream length'),
        }),
      ],
    };
  },
};
