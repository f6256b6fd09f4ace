import { levels, q, row, stat, table, timeseries, upLevels, type DashboardSpec } from '../builder.js';
import type { Thresholds } from '../../../rules/src/thresholds.js';
import { metric as m } from '../../../src/metrics/names.js';

const S = 'stream=~"$stream"';
const SG = '{{stream}} / {{group}}';

export function streams(t: Thresholds): DashboardSpec {
  const d = t.streams.defaults;
  return {
    uid: 'fleet-streams',
    title: 'Streams and consumers',
    description: 'Redis Streams: length, throughput, backlog, pending, stranded and phantom consumers, poison messages; Redis itself.',
    variables: [{ name: 'stream', label: 'Stream', query: `label_values(${m.fleet_stream_length}, stream)` }],
    items: [
      row(1, 'Backlog and throughput'),
      timeseries(2, 'Backlog (undelivered entries)', 'short', [q(`${m.fleet_stream_group_lag}{${S}}`, SG)], {
        description: `Consumer group lag: entries not yet delivered to any consumer. Line: backlog_high (${d.backlog_high}; per-stream overrides in rules/thresholds.yml).`,
        w: 12,
        thresholds: levels(d.backlog_high),
      }),
      timeseries(
        3,
        'Arrival and delivery throughput',
        'ops',
        [
          q(`rate(${m.fleet_stream_entries_added_total}{${S}}[$__rate_interval])`, '{{stream}} added'),
          q(`rate(${m.fleet_stream_group_entries_read_total}{${S}}[$__rate_interval])`, `${SG} delivered`),
        ],
        { description: 'Entries added per second against entries delivered per second; a lasting gap grows the backlog.', w: 12 },
      ),
      timeseries(4, 'Stream length', 'short', [q(`${m.fleet_stream_length}{${S}}`, '{{stream}}')], {
        description: `XLEN. Acked entries stay until trimmed (XDEL / XTRIM / MAXLEN); a stream above ${t.streams.unbounded_length} entries whose oldest entry is old is not being trimmed.`,
        thresholds: levels(t.streams.unbounded_length),
      }),
      timeseries(
        5,
        'Entry age',
        's',
        [q(`${m.fleet_stream_oldest_entry_age_seconds}{${S}}`, '{{stream}} oldest'), q(`${m.fleet_stream_last_entry_age_seconds}{${S}}`, '{{stream}} newest')],
        { description: 'Age of the oldest entry still in the stream, and time since the last entry was added (producers silent?).' },
      ),
      timeseries(6, 'Pending (delivered, not acked)', 'short', [q(`${m.fleet_stream_group_pending}{${S}}`, SG)], {
        description: 'Entries a consumer has read but not acknowledged: work in flight, plus whatever dead consumers hold.',
      }),
      row(7, 'Consumers and stuck messages'),
      timeseries(8, 'Oldest pending idle', 's', [q(`${m.fleet_stream_group_oldest_pending_idle_seconds}{${S}}`, SG)], {
        description: `Idle time of the oldest unacknowledged entry. Line: pending_stuck_seconds (${d.pending_stuck_seconds}), the longest plausible processing time.`,
        thresholds: levels(d.pending_stuck_seconds),
      }),
      timeseries(9, 'Stranded messages (orphaned pending)', 'short', [q(`${m.fleet_stream_group_orphaned_pending}{${S}}`, SG)], {
        description: 'Pending entries owned by consumers without a live heartbeat (crashed workers). They are retried only if someone XCLAIMs them.',
      }),
      timeseries(10, 'Poison messages (oldest pending deliveries)', 'short', [q(`${m.fleet_stream_group_oldest_pending_deliveries}{${S}}`, SG)], {
        description: `Times the oldest pending entry was delivered. From ${t.streams.poison_deliveries} it keeps failing: a poison message.`,
        thresholds: levels(t.streams.poison_deliveries),
      }),
      timeseries(11, 'Consumers by state', 'short', [q(`sum by (stream, state) (${m.fleet_stream_group_consumers}{${S}})`, '{{stream}} {{state}}')], {
        description: `alive: live heartbeat. stranding: no heartbeat, holds pending entries. phantom: no heartbeat, nothing pending (left behind by restarts; alert above ${t.streams.phantom_consumers_max}).`,
        w: 12,
        stacked: true,
      }),
      table(12, 'Consumers holding pending entries', 'short', [q(`topk(20, ${m.fleet_stream_consumer_pending}{${S}} > 0)`)], {
        description: 'Per-consumer pending entries (needs redis.streams.per_consumer: true in the exporter config; capped).',
        w: 12,
      }),
      row(13, 'Redis'),
      stat(14, 'Redis up', 'none', [q(`${m.fleet_redis_up}`, '{{instance}}')], {
        description: 'Whether Redis answered the last scrape.',
        thresholds: upLevels(),
      }),
      timeseries(15, 'Redis memory', 'bytes', [q(`${m.fleet_redis_used_memory_bytes}`, 'used'), q(`${m.fleet_redis_maxmemory_bytes} > 0`, 'maxmemory')], {
        description: `used_memory against maxmemory; alerts at ${t.redis.memory_warning_ratio * 100} % / ${t.redis.memory_critical_ratio * 100} % of maxmemory.`,
      }),
      timeseries(16, 'Redis clients', 'short', [q(`${m.fleet_redis_connected_clients}`, 'connected clients')], {
        description: 'Connected clients: workers, producers, the exporter.',
      }),
    ],
  };
}
